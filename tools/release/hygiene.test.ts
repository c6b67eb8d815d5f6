/**
 * What a release needs from the repository itself, checked without building anything: no run data tracked,
 * every package.json carrying the release metadata of ./metadata.mjs and a LICENSE, every deprecation naming
 * the version that removes it, tfjs declared wherever a package loads it, changesets configured for a public release, install scripts reviewed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPOSITORY, releaseMetadata } from './metadata.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PACKAGES = readdirSync(join(ROOT, 'packages')).filter((d) => existsSync(join(ROOT, 'packages', d, 'package.json')));
const git = (args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' });

/** Tracked paths with a `runs` folder anywhere in them (run output belongs in /work/runs or a temp dir). */
export function trackedRunPaths(files: string[]): string[] {
  return files.filter((f) => f.split('/').slice(0, -1).includes('runs'));
}

describe('repository hygiene for a release', () => {
  it('tracks nothing under a runs/ folder', () => {
    expect(trackedRunPaths(['packages/trainer/runs/train-1/config.json', 'runs/x', 'a/runs.ts', 'docs/runs.md', 'src/reruns/a.ts'])).toEqual([
      'packages/trainer/runs/train-1/config.json',
      'runs/x',
    ]);
    expect(trackedRunPaths(git(['ls-files']).split('\n').filter(Boolean))).toEqual([]);
  });

  it.each(PACKAGES)('packages/%s has the release metadata, publishConfig and a LICENSE', (dir) => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject(releaseMetadata(dir));
    expect(pkg.repository.url).toBe(`git+${REPOSITORY}.git`);
    expect(pkg.publishConfig).toEqual({ access: 'public', provenance: true });
    expect(readFileSync(join(ROOT, 'packages', dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
  });

  // '@hop/core' (its tensor entry) loads @tensorflow/tfjs, an optional peer of @hop/core: a package that imports
  // it must make tfjs a peer of its own, or an outside project installing it meets E_DEPENDENCY at import.
  it.each(PACKAGES.filter((d) => d !== 'core'))('packages/%s loads tfjs (directly or through @hop/core) only if it peers on it', (dir) => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8'));
    const peersOnTfjs = pkg.peerDependencies?.['@tensorflow/tfjs'] !== undefined && pkg.peerDependenciesMeta?.['@tensorflow/tfjs']?.optional !== true;
    const src = join(ROOT, 'packages', dir, 'src');
    const loading = (readdirSync(src, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...readFileSync(join(src, f), 'utf8').matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'(@hop\/core|@tensorflow\/[^']+)'/gm)].map((m) => `${f}: ${m[1]}`));
    if (!peersOnTfjs) expect(loading).toEqual([]);
    else expect(loading.length).toBeGreaterThan(0);
  });

  it('names the removal version in every @deprecated text', () => {
    const hits = git(['grep', '-n', '-A3', '@deprecated', '--', ':(glob)packages/*/src/**']).split('\n--\n');
    expect(hits.length).toBeGreaterThan(0);
    for (const hit of hits) {
      // the comment's words only: no `path:line:` prefixes, no leading `*`s
      const text = hit.replace(/^\S+?[-:]\d+[-:]\s*(?:\/\*\*|\*)?/gm, ' ').replace(/\s+/g, ' ');
      expect(text, hit).toMatch(/removed in (?:the )?\d+\.\d+\.\d+/i);
    }
  });

  it('configures changesets for a public release that keeps internal ranges current', () => {
    const config = JSON.parse(readFileSync(join(ROOT, '.changeset/config.json'), 'utf8'));
    expect(config).toMatchObject({ access: 'public', baseBranch: 'main', updateInternalDependencies: 'patch' });
    for (const dir of PACKAGES) expect(JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8')).private).toBeUndefined();
  });

  it('bumps every package to the same 0.x minor: no changeset asks for a major, the release one names them all', () => {
    const dir = join(ROOT, '.changeset');
    const bumps = readdirSync(dir)
      .filter((f) => f.endsWith('.md') && f !== 'README.md')
      .flatMap((f) => {
        const head = /^---\n([\s\S]*?)\n---/.exec(readFileSync(join(dir, f), 'utf8'))?.[1] ?? '';
        return head.split('\n').filter(Boolean).map((line) => ({ file: f, line: line.replace(/['"]/g, '') }));
      });
    expect(bumps.filter((b) => !/^@hop\/[\w-]+: (?:minor|patch)$/.test(b.line))).toEqual([]);
    const names = PACKAGES.map((d) => JSON.parse(readFileSync(join(ROOT, 'packages', d, 'package.json'), 'utf8')).name as string);
    expect(bumps.filter((b) => b.file === 'release-0-1-0.md').map((b) => b.line).sort()).toEqual(names.map((n) => `${n}: minor`).sort());
  });

  it('has reviewed every installed install script in allowScripts (npm 11 runs only the approved ones)', () => {
    const out = execFileSync('npm', ['install-scripts', 'ls'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(out.trim()).toBe('No packages with unreviewed install scripts.');
  });
});

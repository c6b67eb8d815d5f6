/**
 * What each package's tarball holds (`npm pack --dry-run --json`, from the built package): its build, its
 * sources (the source maps point at them, so they are intended), README, LICENSE and CHANGELOG, and nothing
 * else: no tests, benchmarks, scripts, run data or build caches.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PACKAGES = readdirSync(join(ROOT, 'packages')).filter((d) => existsSync(join(ROOT, 'packages', d, 'package.json')));

const ALLOWED = /^(?:dist\/[^/]+\.(?:c?js|d\.c?ts|c?js\.map)|src\/.+\.ts|bin\/[^/]+\.js|README\.md|LICENSE|CHANGELOG\.md|package\.json)$/;
const FORBIDDEN = /(?:^|\/)(?:test|tests|__tests__|bench|runs|scripts|test-results|coverage)\/|\.(?:test|spec|bench)\.|\.test-d\.ts$|\.tsbuildinfo$/;

function packedFiles(dir: string): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], {
    cwd: join(ROOT, 'packages', dir),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return (JSON.parse(out)[0].files as { path: string }[]).map((f) => f.path).sort();
}

describe('package tarballs', () => {
  it('the path rules themselves reject what they should', () => {
    const bad = ['test/a.test.ts', 'src/x.test.ts', 'runs/r/metrics.jsonl', 'bench/index.ts', 'scripts/tensor-entry.mjs', 'dist/a.tsbuildinfo'];
    expect(bad.filter((f) => ALLOWED.test(f) && !FORBIDDEN.test(f))).toEqual([]);
    const good = ['dist/index.js', 'dist/index.d.cts', 'dist/chunk-AB12.cjs.map', 'src/search/engine.ts', 'bin/hop.js', 'LICENSE'];
    expect(good.filter((f) => !ALLOWED.test(f) || FORBIDDEN.test(f))).toEqual([]);
  });

  it.each(PACKAGES)('@hop/%s ships its build, sources, README and LICENSE only; every source map resolves inside it', (dir) => {
    const files = packedFiles(dir);
    expect(files.filter((f) => !ALLOWED.test(f) || FORBIDDEN.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts']));
    const shipped = new Set(files);
    const maps = files.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(readFileSync(join(ROOT, 'packages', dir, map), 'utf8')) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      sources.forEach((source, i) => {
        const target = posix.normalize(posix.join(posix.dirname(map), source));
        // tsup's own CJS shim lives in the build machine's node_modules: only its text embedded in the map
        // can serve it; every source of ours is a shipped file.
        if (source.includes('/node_modules/tsup/')) expect(sourcesContent?.[i], `${map} -> ${source}`).toEqual(expect.any(String));
        else expect(shipped.has(target), `${map} -> ${source}`).toBe(true);
      });
    }
  });
});

/**
 * A package's README blocks as vitest tests (see blocks.mjs for the marks). The blocks import the packages
 * by name; a generated tsconfig maps `@hop/*` to their sources, so a test sees the package as it is now,
 * as the other tests do. All blocks of a README are type-checked by one tsc run; each runnable block then
 * runs with tsx in a child process, in an empty temporary directory (blocks write files such as
 * `runs/a`), and must exit with 0.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without types
import { readBlocks } from './blocks.mjs';

interface Block {
  index: number;
  line: number;
  lang: string;
  mode: 'run' | 'no-run' | 'fragment' | 'file' | 'other';
  file?: string;
  code: string;
}

export interface ReadmeOptions {
  /** Per-block run timeout in ms (default 120 s). */
  timeout?: number;
  /** Extra environment for the runs (e.g. HOP_BACKEND). */
  env?: Record<string, string>;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');

function exec(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(cmd, args, { ...opts, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      done({ code, stdout, stderr: err && code === 1 && !stderr ? String(err.message) : stderr });
    });
  });
}

/** Declares the README tests of the package in `pkgDir`. */
export function describeReadme(pkgDir: string, options: ReadmeOptions = {}): void {
  const readme = join(pkgDir, 'README.md');
  const blocks = (readBlocks(readme) as Block[]).filter((b) => b.mode !== 'other');
  const work = join(pkgDir, '.readme');
  const fileOf = (b: Block) => join(work, `block-line-${b.line}.ts`);
  const checked = blocks.filter((b) => b.mode === 'run' || b.mode === 'no-run');
  const diagnostics = new Map<number, string[]>();

  describe(`README.md of ${relative(ROOT, pkgDir)}`, () => {
    beforeAll(async () => {
      rmSync(work, { recursive: true, force: true });
      mkdirSync(work);
      const pkgs = join(ROOT, 'packages');
      const paths: Record<string, string[]> = { '@hop/core/base': [join(pkgs, 'core/src/base.ts')] };
      for (const dir of readdirSync(pkgs)) paths[`@hop/${dir}`] = [join(pkgs, dir, 'src/index.ts')];
      writeFileSync(
        join(work, 'tsconfig.json'),
        JSON.stringify({
          extends: join(ROOT, 'tsconfig.base.json'),
          compilerOptions: { paths, noEmit: true, types: ['node'] },
          include: ['*.ts'],
        }),
      );
      // `export {}` keeps each block a module of its own (top-level names and await).
      for (const b of checked) writeFileSync(fileOf(b), `${b.code}export {};\n`);
      if (checked.length === 0) return;
      const r = await exec(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(work, 'tsconfig.json'), '--pretty', 'false'], { cwd: work });
      for (const line of `${r.stdout}${r.stderr}`.split('\n')) {
        const m = /^(.*?)\((\d+),(\d+)\): (error .*)$/.exec(line);
        if (!m) continue;
        const b = checked.find((x) => resolve(work, m[1]) === fileOf(x));
        const where = b ? `README.md:${b.line + Number(m[2])}` : m[1];
        const key = b ? b.line : -1;
        diagnostics.set(key, [...(diagnostics.get(key) ?? []), `${where}: ${m[4]}`]);
      }
      if (r.code !== 0 && diagnostics.size === 0) diagnostics.set(-1, [r.stdout + r.stderr]);
    }, 300_000);

    it('has no type errors outside its blocks (the sources the blocks import)', () => {
      expect(diagnostics.get(-1) ?? []).toEqual([]);
    });

    for (const b of blocks) {
      const name = `block at line ${b.line}`;
      if (b.mode === 'fragment') {
        it(`${name} (fragment) is valid TypeScript syntax`, () => {
          const out = ts.transpileModule(b.code, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.ESNext } });
          const errors = (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
          expect(errors, `README.md:${b.line}`).toEqual([]);
        });
      } else if (b.mode === 'file') {
        it(`${name} is ${b.file}, word for word`, () => {
          expect(b.code.trim()).toBe(readFileSync(join(pkgDir, b.file!), 'utf8').trim());
        });
      } else {
        it(`${name} type-checks`, () => {
          expect(diagnostics.get(b.line) ?? []).toEqual([]);
        });
        if (b.mode === 'run')
          it(
            `${name} runs`,
            async () => {
              const cwd = mkdtempSync(join(tmpdir(), 'hop-readme-'));
              try {
                const r = await exec(process.execPath, [TSX, '--tsconfig', join(work, 'tsconfig.json'), fileOf(b)], {
                  cwd,
                  timeout: options.timeout ?? 120_000,
                  env: { ...process.env, ...options.env },
                });
                expect(r.code, `README.md:${b.line} exited with ${r.code}\n${r.stderr}`).toBe(0);
              } finally {
                rmSync(cwd, { recursive: true, force: true });
              }
            },
            (options.timeout ?? 120_000) + 10_000,
          );
      }
    }
  });
}

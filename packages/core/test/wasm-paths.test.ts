import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isModuleNotFound, locateWasmBinaries, withDirnameForWasmGlue } from '../src/backend/wasm-paths';

const HERE = dirname(fileURLToPath(import.meta.url));
const TSX = resolve(HERE, '../../../node_modules/tsx/dist/cli.mjs');
const installedDist = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
const work = mkdtempSync(join(tmpdir(), 'hop-wasm-paths-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs initBackend in a fresh process (the wasm backend starts once per process) and returns its report. */
function initInChild(options: string, env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const script = join(work, `init-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(
    script,
    `import { initBackend } from ${JSON.stringify(resolve(HERE, '../src/backend/init.ts'))};\n` +
      `initBackend(${options}).then((i) => console.log(JSON.stringify({ name: i.name })), (e) => { console.log(JSON.stringify({ error: e.message })); process.exit(2); });\n`,
  );
  return new Promise((done) =>
    execFile(process.execPath, [TSX, script], { cwd: work, env: { ...process.env, HOP_BACKEND: '', HOP_WASM_PATHS: '', ...env } }, (err, stdout) =>
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout.trim().split('\n').at(-1) ?? '' }),
    ),
  );
}

describe('wasm binaries', () => {
  it('are found in the installed package when nothing says where they are', () => {
    expect(locateWasmBinaries()).toBe(`${installedDist}/`);
  });

  it('come from wasmPaths when given: a copy elsewhere starts the backend, an empty directory is a named error', async () => {
    const copy = join(work, 'copy');
    const empty = join(work, 'empty');
    mkdirSync(copy);
    mkdirSync(empty);
    for (const f of readdirSync(installedDist).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(installedDist, f), join(copy, f));
    // The option, then the environment variable, each pointing at nothing: a named error naming the place.
    const [ok, bad, env] = await Promise.all([
      initInChild(`{ force: 'wasm', wasmPaths: ${JSON.stringify(copy)} }`),
      initInChild(`{ force: 'wasm', wasmPaths: ${JSON.stringify(empty)} }`),
      initInChild(`{ force: 'wasm' }`, { HOP_WASM_PATHS: empty }),
    ]);
    expect(ok).toEqual({ code: 0, out: '{"name":"wasm"}' });
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.out).error).toMatch(new RegExp(`HOP_BACKEND=wasm but the wasm backend is not usable: .*binaries looked up in ${empty}`));
    expect(env.code).toBe(2);
    expect(JSON.parse(env.out).error).toContain(`binaries looked up in ${empty}`);
  });
});

describe('the __dirname stand-in for the wasm glue', () => {
  it('exists only while the backend starts, and never replaces a real one', async () => {
    const g = globalThis as { __dirname?: string };
    expect('__dirname' in g).toBe(false);
    const seen = await withDirnameForWasmGlue('/x/dist/', async () => g.__dirname);
    expect(seen).toBe('/x/dist');
    expect('__dirname' in g).toBe(false);
    await expect(withDirnameForWasmGlue('/x/', async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect('__dirname' in g).toBe(false);
    g.__dirname = '/mine';
    try {
      expect(await withDirnameForWasmGlue('/x/', async () => g.__dirname)).toBe('/mine');
      expect(g.__dirname).toBe('/mine');
    } finally {
      delete g.__dirname;
    }
  });
});

describe('isModuleNotFound', () => {
  it('tells a package that is not installed from one that fails while loading', async () => {
    const missing = await import(/* @vite-ignore */ ['@hop', 'no-such-package'].join('/')).catch((e: unknown) => e);
    expect(isModuleNotFound(missing, '@hop/no-such-package')).toBe(true);
    expect(isModuleNotFound(missing, 'onnxruntime-node')).toBe(false);
    // vite-node (these tests) words it its own way
    expect(isModuleNotFound(new Error('Could not resolve "@tensorflow/tfjs-node" imported by "@hop/core".'), '@tensorflow/tfjs-node')).toBe(true);
    // installed, but broken inside: a missing binding or dependency of the package is a load failure
    const binding = "Cannot find module '/app/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node'";
    expect(isModuleNotFound(new Error(binding), '@tensorflow/tfjs-node')).toBe(false);
    const dep = "Cannot find package 'adm-zip' imported from /app/node_modules/@tensorflow/tfjs-node/dist/index.js";
    expect(isModuleNotFound(new Error(dep), '@tensorflow/tfjs-node')).toBe(false);
  });
});

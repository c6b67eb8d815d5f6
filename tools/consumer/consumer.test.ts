/**
 * The packages as an outside project meets them: every package is packed with `npm pack` and published with
 * `npm publish` to a Verdaccio registry started for the test (loopback, temporary storage, ./registry.ts),
 * installed by version from it into a fresh project in a temporary directory (only `@hop:registry` points
 * there; third-party packages come from npm's usual registry), and meet.ts (a small game that is not the stag hunt: it trains a MOA, updates goal beliefs and plans with
 * MCTS) is type-checked under strict `node16` and `bundler` resolution and run as ESM, as CJS and as esbuild
 * bundles, each asserting that the wasm backend ran. A second project installs only @hop/core and
 * @hop/mcts, without tfjs, and imports the search; a third, MOA's, is measured beside it. The registry refuses
 * a changed package republished under the same version, and takes it once the version is bumped.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type LocalRegistry } from './registry';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const PACKAGES = readdirSync(join(ROOT, 'packages')).filter((d) => existsSync(join(ROOT, 'packages', d, 'package.json')));
const version = (pkg: string) => JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version as string;

const work = mkdtempSync(join(tmpdir(), 'hop-consumer-'));
const app = join(work, 'app');
const tarballs: Record<string, string> = {};
/** name -> the version published to (and installed from) the test registry */
const published: Record<string, string> = {};
/** name -> the sha512 integrity of the packed tarball */
const packed: Record<string, string> = {};
let registry: LocalRegistry | undefined;

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${err.stdout ?? ''}\n${err.stderr ?? err.message}`);
  }
}
const npm = (args: string[], cwd: string) => run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], cwd);
const writeJson = (file: string, value: unknown) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);

/** A fresh project directory whose @hop/* packages come from the test registry. */
function project(dir: string, pkg: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  writeJson(join(dir, 'package.json'), { private: true, ...pkg });
  writeFileSync(join(dir, '.npmrc'), registry!.npmrc);
  return dir;
}

/** Bytes of every file under `dir` (symlinks not followed): what an install puts on disk. */
function installedBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) total += installedBytes(p);
    else total += lstatSync(p).size;
  }
  return total;
}
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** What meet.ts prints on its last line, checked the same way for every build of it. */
function expectTrainedAndPlanned(stdout: string): void {
  const last = stdout.trim().split('\n').at(-1) ?? '';
  const r = JSON.parse(last) as { backend: string; top1: number; beliefRight: number; action: number };
  expect(r.backend).toBe('wasm');
  // The co-player's policy is 80% towards its goal (20% stay), so the best possible top-1 is 0.8 on moves
  // and 1 at the ends (stay forced): a MOA that learnt the goal-conditioned policy exceeds 0.75.
  expect(r.top1).toBeGreaterThan(0.75);
  // Two right steps under p(right | right goal) ~ 0.8 vs p(right | left goal) ~ 0: the belief is near 1.
  expect(r.beliefRight).toBeGreaterThan(0.9);
  expect(r.action).toBe(2);
}

beforeAll(async () => {
  registry = await startRegistry(ROOT, join(work, 'registry'));
  mkdirSync(join(work, 'tarballs'));
  const publisher = project(join(work, 'publisher'), { name: 'hop-publisher' });
  for (const dir of PACKAGES) {
    const out = JSON.parse(npm(['pack', '--json', '--pack-destination', join(work, 'tarballs')], join(ROOT, 'packages', dir)));
    tarballs[out[0].name as string] = join(work, 'tarballs', out[0].filename as string);
    // What `npm run release` does per package, minus provenance (it needs a CI's OIDC token; the flag
    // overrides publishConfig.provenance).
    npm(['publish', tarballs[out[0].name as string], '--provenance=false'], publisher);
    published[out[0].name as string] = out[0].version as string;
    packed[out[0].name as string] = out[0].integrity as string;
  }
  project(app, {
    name: 'hop-consumer-app',
    type: 'module',
    dependencies: {
      ...published,
      '@tensorflow/tfjs': `^${version('@tensorflow/tfjs')}`,
      '@tensorflow/tfjs-backend-wasm': `^${version('@tensorflow/tfjs-backend-wasm')}`,
    },
    devDependencies: {
      typescript: version('typescript'),
      '@types/node': `^${version('@types/node').split('.')[0]}`,
      esbuild: `^${version('esbuild')}`,
    },
  });
  npm(['install', '--prefer-offline'], app);
  mkdirSync(join(app, 'src'));
  copyFileSync(join(HERE, 'meet.ts'), join(app, 'src/meet.ts'));
  // skipLibCheck as in any tfjs project: tfjs 4.22's own declarations do not compile under strict (TS2411 in
  // tfjs-layers, a missing 'Long' in tfjs-core). Ours are checked by attw in each package's lint target, and
  // every type the program uses from them is checked here.
  const strict = { strict: true, target: 'ES2022', lib: ['ES2022'], types: ['node'], skipLibCheck: true };
  writeJson(join(app, 'tsconfig.node16.json'), {
    compilerOptions: { ...strict, module: 'node16', moduleResolution: 'node16', outDir: 'dist', rootDir: 'src' },
    include: ['src'],
  });
  writeJson(join(app, 'tsconfig.bundler.json'), {
    compilerOptions: { ...strict, module: 'preserve', moduleResolution: 'bundler', noEmit: true },
    include: ['src'],
  });
  // The same source as CommonJS: a folder whose package.json says so, compiled under node16.
  mkdirSync(join(app, 'cjs/src'), { recursive: true });
  writeJson(join(app, 'cjs/package.json'), { type: 'commonjs' });
  copyFileSync(join(HERE, 'meet.ts'), join(app, 'cjs/src/meet.ts'));
  writeJson(join(app, 'cjs/tsconfig.json'), {
    compilerOptions: { ...strict, module: 'node16', moduleResolution: 'node16', outDir: 'dist', rootDir: 'src' },
    include: ['src'],
  });
}, 600_000);

afterAll(async () => {
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('the published packages in a fresh project', () => {
  it('installs every package by version from the registry: internal dependencies are real ranges it satisfies', () => {
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8'));
    for (const [name, v] of Object.entries(published)) {
      expect(JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8')).version).toBe(v);
      // the bytes we packed, as the test registry's metadata gives them (the public registry has no @hop/*)
      expect(lock.packages[`node_modules/${name}`].integrity, name).toBe(packed[name]);
    }
    expect(Object.keys(tarballs).sort()).toEqual(PACKAGES.map((d) => JSON.parse(readFileSync(join(ROOT, 'packages', d, 'package.json'), 'utf8')).name).sort());
    for (const name of Object.keys(tarballs)) {
      const pkg = JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8'));
      for (const [dep, range] of Object.entries({ ...pkg.dependencies, ...pkg.peerDependencies } as Record<string, string>))
        if (dep.startsWith('@hop/')) expect(range, `${name} -> ${dep}`).toMatch(/^\^\d+\.\d+\.\d+$/);
    }
  });

  it('type-checks under strict node16 resolution and runs as ESM', () => {
    run(join(app, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.node16.json'], app);
    expect(readFileSync(join(app, 'dist/meet.js'), 'utf8')).toMatch(/^import /m);
    expectTrainedAndPlanned(run('node', ['dist/meet.js'], app));
  });

  it('type-checks under bundler resolution', () => {
    run(join(app, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.bundler.json'], app);
  });

  it('runs as CommonJS (the require entries)', () => {
    const cjs = join(app, 'cjs');
    run(join(app, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], cjs);
    expect(readFileSync(join(cjs, 'dist/meet.js'), 'utf8')).toMatch(/require\("@hop\/core"\)/);
    expectTrainedAndPlanned(run('node', ['dist/meet.js'], cjs));
  });

  it('runs as an esbuild ESM bundle moved away from node_modules, with wasmPaths pointing at the shipped binaries', () => {
    const esbuild = join(app, 'node_modules/.bin/esbuild');
    // The banner is esbuild's documented shim for CommonJS dependencies (tfjs) inside an ESM bundle.
    const banner = "import { createRequire as hopCreateRequire } from 'node:module'; const require = hopCreateRequire(import.meta.url);";
    run(esbuild, ['src/meet.ts', '--bundle', '--platform=node', '--format=esm', '--outfile=bundle/meet.mjs', `--banner:js=${banner}`, '--log-level=error'], app);
    const deploy = join(work, 'deploy-esm');
    mkdirSync(deploy);
    copyFileSync(join(app, 'bundle/meet.mjs'), join(deploy, 'meet.mjs'));
    const wasmDir = join(app, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
    for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), join(deploy, f));
    expectTrainedAndPlanned(run('node', ['meet.mjs'], deploy, { HOP_WASM_PATHS: deploy }));
    // Without the binaries and without wasmPaths, the bundle cannot find them: a named error, not a silent cpu run.
    const bare = join(work, 'deploy-bare');
    mkdirSync(bare);
    copyFileSync(join(app, 'bundle/meet.mjs'), join(bare, 'meet.mjs'));
    expect(() => run('node', ['meet.mjs'], bare, { HOP_BACKEND: 'wasm' })).toThrow(/wasm backend is not usable: its \.wasm binaries were not found.*wasmPaths/);
  });

  it('runs as an esbuild CJS bundle of the ESM entries (no import.meta there), finding the binaries from the project', () => {
    const esbuild = join(app, 'node_modules/.bin/esbuild');
    run(esbuild, ['src/meet.ts', '--bundle', '--platform=node', '--format=cjs', '--outfile=bundle/meet.cjs', '--log-level=error'], app);
    expect(readFileSync(join(app, 'bundle/meet.cjs'), 'utf8')).toContain('locateWasmBinaries');
    expectTrainedAndPlanned(run('node', ['bundle/meet.cjs'], app));
  });
});

describe('lean installs', () => {
  const sizes: Record<string, number> = {};
  afterAll(() => console.log(`installed node_modules: planner-only (@hop/core + @hop/mcts) ${mb(sizes.planner)}, MOA (+ @hop/moa, @tensorflow/tfjs, tfjs-backend-wasm) ${mb(sizes.moa)}`));

  it('@hop/core + @hop/mcts install without any @tensorflow package and load the search', () => {
    const dir = project(join(work, 'mcts-only'), {
      name: 'hop-mcts-only',
      dependencies: { '@hop/core': published['@hop/core'], '@hop/mcts': published['@hop/mcts'] },
    });
    npm(['install', '--prefer-offline'], dir);
    expect(existsSync(join(dir, 'node_modules/@tensorflow'))).toBe(false);
    sizes.planner = installedBytes(join(dir, 'node_modules'));
    // The search's config errors are @hop/core's HopError (one class across the '@hop/core/base' entry).
    const probe = (mod: string) =>
      `const m = ${mod}; let code = null; try { m.mctsConfig({ numSimulations: 0 }); } catch (e) { code = e instanceof core.HopError ? e.code : String(e); }` +
      ` console.log(JSON.stringify({ sims: m.mctsConfig({}).numSimulations, planner: typeof m.HopPlanner, code }));`;
    const esm = run('node', ['--input-type=module', '-e', `import * as core from '@hop/core/base'; ${probe("await import('@hop/mcts')")}`], dir);
    const cjs = run('node', ['-e', `const core = require('@hop/core/base'); ${probe("require('@hop/mcts')")}`], dir);
    for (const out of [esm, cjs]) expect(JSON.parse(out.trim())).toEqual({ sims: 200, planner: 'function', code: 'E_CONFIG' });

    // The tensor entry there is a HopError naming what to install, as ESM and as CJS.
    const tensorEntry = (load: string) =>
      `try { ${load}; console.log('loaded'); } catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }`;
    const fromEsm = run('node', ['--input-type=module', '-e', tensorEntry("await import('@hop/core')")], dir);
    const fromCjs = run('node', ['-e', tensorEntry("require('@hop/core')")], dir);
    for (const out of [fromEsm, fromCjs]) {
      const e = JSON.parse(out.trim()) as { name: string; code: string; message: string };
      expect(e).toMatchObject({ name: 'HopError', code: 'E_DEPENDENCY' });
      expect(e.message).toMatch(/needs @tensorflow\/tfjs, which is not installed: run `npm install @tensorflow\/tfjs/);
      expect(e.message).toContain("'@hop/core/base'");
    }
  });

  it('a MOA project installs tfjs beside them, and `@hop/core` loads there', () => {
    const dir = project(join(work, 'moa'), {
      name: 'hop-moa',
      dependencies: {
        '@hop/core': published['@hop/core'],
        '@hop/mcts': published['@hop/mcts'],
        '@hop/moa': published['@hop/moa'],
        '@tensorflow/tfjs': `^${version('@tensorflow/tfjs')}`,
        '@tensorflow/tfjs-backend-wasm': `^${version('@tensorflow/tfjs-backend-wasm')}`,
      },
    });
    npm(['install', '--prefer-offline'], dir);
    sizes.moa = installedBytes(join(dir, 'node_modules'));
    const out = run('node', ['--input-type=module', '-e', "const c = await import('@hop/core'); const m = await import('@hop/moa'); console.log(typeof c.initBackend, typeof m.MOAModel)"], dir);
    expect(out.trim()).toBe('function function');
    expect(sizes.planner).toBeLessThan(sizes.moa / 5);
  });
});

describe('the registry and the release flow', () => {
  it('refuses a changed package published again under the same version, and takes it after the version bump', () => {
    // A change to @hop/mcts after its release: same version, different bytes (what gave EINTEGRITY before).
    const pkgDir = join(work, 'mcts-changed/package');
    mkdirSync(pkgDir, { recursive: true });
    run('tar', ['-xzf', tarballs['@hop/mcts'], '-C', join(work, 'mcts-changed')], work);
    writeFileSync(join(pkgDir, 'README.md'), `${readFileSync(join(pkgDir, 'README.md'), 'utf8')}\nA fix after the release.\n`);
    const publisher = join(work, 'publisher');
    expect(() => npm(['publish', pkgDir, '--provenance=false'], publisher)).toThrow(/E409|EPUBLISHCONFLICT|cannot (?:modify|publish over)|already present/i);
    // The flow: a changeset names the package and bump, `changeset version` raises the version in
    // package.json (here `npm version patch` makes the same edit), then publish takes it and the old
    // version's bytes stay as they were.
    run('npm', ['version', 'patch', '--no-git-tag-version'], pkgDir);
    const bumped = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version as string;
    npm(['publish', pkgDir, '--provenance=false'], publisher);
    const versions = JSON.parse(npm(['view', '@hop/mcts', 'versions', '--json'], publisher)) as string[];
    expect(versions).toEqual([published['@hop/mcts'], bumped]);
    const dist = (v: string) => JSON.parse(npm(['view', `@hop/mcts@${v}`, 'dist.integrity', '--json'], publisher)) as string;
    expect(dist(published['@hop/mcts'])).toBe(JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')).packages['node_modules/@hop/mcts'].integrity);
    expect(dist(bumped)).not.toBe(dist(published['@hop/mcts']));
  });
});

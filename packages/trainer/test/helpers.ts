import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HopError } from '@hop/core';
import { collect } from '@hop/env-staghunt';
import { runCli } from '../src/cli/program';

export const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The built executable, what users run (the test target depends on the build). Started through tsx from
 * src/cli.ts, a child spent 1-1.7 CPU-s more before doing anything (`hop --version`: 2.7-3.4 CPU-s instead
 * of 1.6-1.9), and the CLI tests start well over a hundred children. After a change in src/, rebuild (`npx tsup`)
 * before running them.
 */
export const CLI = join(PKG, 'dist', 'cli.js');

/** Newest modification time of the files under `dir`. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
let builtChecked = false;
/** A missing dist/cli.js is a named error; one older than the sources is said once per file, so a stale build is not tested unawares. */
function warnIfStale(): void {
  if (builtChecked) return;
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: the CLI tests run the built CLI; build it first (npx nx run @hop/trainer:build)`);
  builtChecked = true;
  const src = newest(join(PKG, 'src'));
  if (statSync(CLI).mtimeMs < src)
    console.warn(`${CLI} is older than ${join(PKG, 'src')}: the CLI tests run the built CLI; rebuild it (npx tsup) to test your change`);
}

/**
 * Runs the CLI in this process (no child start-up: most of these cases end before any training), capturing
 * what it prints. Sequential only: the capture replaces process.stdout / stderr writes while it runs.
 */
export async function runHopInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((c: string | Uint8Array) => (out.push(String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => (err.push(String(c)), true)) as typeof process.stderr.write;
  try {
    const code = await runCli(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `hop-trainer-${prefix}-`));
}

/**
 * A small-2p dataset (a few thousand samples at most): what every CLI test trains on. World models want
 * `explore` > 0 (hop world-model refuses data without exploratory actions).
 */
export async function tinyDataset(dir: string, episodes = 60, seed = 3, explore = 0): Promise<string> {
  await collect({ preset: 'small-2p', population: 'mixed', episodes, seed, out: dir, explore });
  return dir;
}

/** Flags of a tiny, fast network for CLI runs. */
export const TINY_NET = ['--moa-filters', '8', '--moa-hidden', '32', '--vae-filters', '8', '--latent-dim', '4', '--batch-size', '32', '--log-every', '5'];

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI in a child process. `onLine` sees stdout lines as they come and may kill the child.
 * The child inherits the environment (HOP_BACKEND, HOP_INFERENCE).
 */
export function runHop(
  args: string[],
  onLine?: (line: string, kill: (signal: NodeJS.Signals) => void) => void,
  onSpawn?: (kill: (signal: NodeJS.Signals) => void) => void,
): Promise<CliRun> {
  warnIfStale();
  return runNode([CLI, ...args], onLine, onSpawn);
}

/** Runs a script in a child process (see runHop): a TypeScript file through tsx, a JavaScript file as it is. */
export function runNode(
  args: string[],
  onLine?: (line: string, kill: (signal: NodeJS.Signals) => void) => void,
  onSpawn?: (kill: (signal: NodeJS.Signals) => void) => void,
): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    // tsx only where there is TypeScript to run: it costs each child about a CPU-second of start-up.
    const loader = args[0].endsWith('.ts') ? ['--import', 'tsx'] : [];
    const child = spawn(process.execPath, [...loader, ...args], { cwd: PKG, env: process.env });
    let stdout = '';
    let stderr = '';
    let pending = '';
    let killed = false;
    const kill = (signal: NodeJS.Signals) => {
      if (killed) return;
      killed = true;
      child.kill(signal);
    };
    onSpawn?.(kill);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) onLine?.(l, kill);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** The HopError `f` throws (fails the test when it throws nothing or something else). */
export function errorOf(f: () => unknown): HopError {
  try {
    f();
  } catch (e) {
    if (e instanceof HopError) return e;
    throw e;
  }
  throw new Error('expected a HopError');
}

/** Flips the last bit of a file (same size, other contents): an input edited after a run started from it. */
export function flipLastBit(file: string): void {
  const bytes = readFileSync(file);
  bytes[bytes.length - 1] ^= 1;
  writeFileSync(file, bytes);
}

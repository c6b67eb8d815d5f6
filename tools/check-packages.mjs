#!/usr/bin/env node
// Package hygiene for every workspace package (or the ones named): publint --strict and attw --pack.
import { execFileSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const dirs = args.length
  ? args.map((a) => resolve(process.cwd(), a))
  : readdirSync(resolve(root, 'packages')).map((d) => resolve(root, 'packages', d));
const bin = (name) => resolve(root, 'node_modules/.bin', name);

let failed = 0;
for (const dir of dirs) {
  if (!existsSync(resolve(dir, 'dist'))) {
    console.error(`${dir}: no dist/ — build the package first (npx nx run-many -t build)`);
    failed++;
    continue;
  }
  for (const [cmd, cmdArgs] of [
    [bin('publint'), ['--strict']],
    // ESM-first packages: node10 resolution ignores `exports`, so it is not a target we support.
    [bin('attw'), ['--pack', '.', '--profile', 'node16', '--format', 'table-flipped']],
  ]) {
    try {
      execFileSync(cmd, cmdArgs, { cwd: dir, stdio: 'inherit' });
    } catch {
      console.error(`${dir}: ${cmd.split('/').pop()} failed`);
      failed++;
    }
  }
}
process.exit(failed ? 1 : 0);

#!/usr/bin/env node
// The `hop` executable: runs dist/cli.js. In a checkout of the HOP.ts repository where nothing is built yet
// (right after `npm ci`), it first builds @hop/trainer and the packages it uses, once, so that `npx hop`
// works from the repository root straight away.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const cli = join(pkg, 'dist', 'cli.js');
if (!existsSync(cli)) {
  const repo = dirname(dirname(pkg));
  if (!existsSync(join(repo, 'nx.json'))) {
    process.stderr.write(`hop: ${cli} is missing: this install of @hop/trainer is incomplete; reinstall it\n`);
    process.exit(1);
  }
  process.stderr.write('hop: first run in this checkout: building @hop/trainer and the packages it uses (npx nx run @hop/trainer:build)\n');
  const r = spawnSync('npx', ['nx', 'run', '@hop/trainer:build', '--outputStyle=static'], {
    cwd: repo,
    stdio: ['ignore', 2, 2],
    shell: process.platform === 'win32',
  });
  if (r.status !== 0 || !existsSync(cli)) {
    process.stderr.write('hop: the build failed (see above); run `npm run build` in the repository root\n');
    process.exit(1);
  }
}
await import(pathToFileURL(cli).href);

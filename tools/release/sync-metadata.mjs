#!/usr/bin/env node
// Writes releaseMetadata(dir) into every packages/<dir>/package.json (keeps the other fields and their order;
// new fields go after `repository`) and a copy of the root LICENSE beside it.
import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { releaseMetadata } from './metadata.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
for (const dir of readdirSync(join(root, 'packages'))) {
  const file = join(root, 'packages', dir, 'package.json');
  if (!existsSync(file)) continue;
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  const meta = releaseMetadata(dir);
  // Fields already there keep their place (fewer merge conflicts); new ones go after `repository`.
  const out = {};
  for (const [k, v] of Object.entries(pkg)) {
    out[k] = k in meta ? meta[k] : v;
    if (k === 'repository') for (const [mk, mv] of Object.entries(meta)) if (!(mk in pkg)) out[mk] = mv;
  }
  for (const [mk, mv] of Object.entries(meta)) if (!(mk in out)) out[mk] = mv;
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  copyFileSync(join(root, 'LICENSE'), join(root, 'packages', dir, 'LICENSE'));
}

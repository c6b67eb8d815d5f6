#!/usr/bin/env node
// Adds up every package's vitest JSON results (written by vitest.shared.ts, restored by nx from its cache
// when a test target is cached) and prints one closing tally for the whole suite.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
// The packages, then the repository's own checks in tools/ (the packed packages in a fresh project, the
// README block extractor).
const suites = [...readdirSync(resolve(root, 'packages')).map((d) => ['packages', d]), ['.', 'tools']];
for (const [parent, dir] of suites) {
  const file = resolve(root, parent, dir, 'test-results/vitest.json');
  if (!existsSync(file)) {
    missing.push(dir);
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  console.log(`${dir.padEnd(14)} ${r.numPassedTests} passed, ${r.numFailedTests} failed in ${r.numTotalTestSuites} suites`);
}
if (missing.length) {
  console.error(`no test results for: ${missing.join(', ')} (run npm test from the repository root)`);
  failed += missing.length;
}
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);

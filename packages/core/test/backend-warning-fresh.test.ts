import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * A model constructor's check in a new Node process (the first model: no tensor exists yet, so no backend is
 * active), then the model's first tensor; returns the @hop/core warnings. From source, like the other tests.
 */
function warningsOfAFreshProcess(before: string): string[] {
  const program = [
    "import * as tf from '@tensorflow/tfjs';",
    "import { warnIfBackendNotInitialised } from './src/index.ts';",
    'const seen = [];',
    'console.warn = (m) => { seen.push(String(m)); };',
    before,
    "warnIfBackendNotInitialised('MOAModel');",
    'tf.zeros([2, 3]).dispose();',
    "process.stdout.write(JSON.stringify({ backend: tf.getBackend(), ours: seen.filter((m) => m.startsWith('@hop/core:')) }));",
  ].join('\n');
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], {
    cwd: PKG,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const r = JSON.parse(out) as { backend: string; ours: string[] };
  expect(r.backend).toBe('cpu');
  return r.ours;
}

// A child process: in this test runner's process another file may already have chosen a backend, and the
// mistake the warning is about is a process where nothing ever did (tf.getBackend() is still undefined).
describe('a model built in a fresh process without initBackend()', () => {
  it('warns at the first model that it runs on the slow default cpu backend when no backend was ever set', () => {
    const ours = warningsOfAFreshProcess('');
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/MOAModel runs on tfjs's plain cpu backend because initBackend\(\) was not called/);
  });

  it('says nothing after initBackend() chose the same cpu backend on purpose (the control)', () => {
    expect(warningsOfAFreshProcess("await (await import('./src/index.ts')).initBackend({ force: 'cpu' });")).toEqual([]);
  });
});

import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, 'fixture');
const depcruise = resolve(here, '../../node_modules/.bin/depcruise');

/** The lint's layering check (dependency-cruiser with tools/layering/rules.cjs) over some of the fixture's files. */
function cruise(...paths: string[]): { code: number | null; out: string } {
  // nx sets FORCE_COLOR for the tasks it runs: without colour the report is plain text the checks can read.
  const env = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' };
  const r = spawnSync(depcruise, [...paths, '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: fixture, encoding: 'utf8', env });
  // eslint-disable-next-line no-control-regex
  return { code: r.status, out: (r.stdout + r.stderr).replace(/\u001b\[[0-9;]*m/g, '') };
}

describe('layering check (npm run lint:layers)', () => {
  it('fails on a cycle through type-only imports too (erased at run time, but not layered)', () => {
    const r = cruise('packages/high/src/types-a.ts');
    expect(r.out).toMatch(/error no-cycles: packages\/high\/src\/types-(a|b)\.ts/);
    expect(r.out).toMatch(/x 1 dependency violations \(1 errors, 0 warnings\)/);
    expect(r.code).not.toBe(0);
  });

  it('fails on a cycle and on an upward import, naming both', () => {
    const r = cruise('packages');
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/error no-cycles: packages\/high\/src\/(a|b)\.ts/);
    expect(r.out).toMatch(/error no-cycles: packages\/high\/src\/types-(a|b)\.ts/);
    expect(r.out).toMatch(/error layers-low: packages\/low\/src\/index\.ts → packages\/high\/src\/ok\.ts/);
    // exactly these three errors (the runtime cycle, the type-only one, the upward import) and no warning:
    // the downward import high/ok -> low/clean is allowed
    expect(r.out).toMatch(/x 3 dependency violations \(3 errors, 0 warnings\)/);
  });

  it('passes on the same packages without them (the downward import alone)', () => {
    const r = cruise('packages/high/src/ok.ts', 'packages/low/src/clean.ts');
    expect(r.out).toMatch(/no dependency violations found/);
    expect(r.code).toBe(0);
  });
});

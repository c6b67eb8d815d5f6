import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, 'fixture');
const depcruise = resolve(here, '../../node_modules/.bin/depcruise');

/** The lint's layering check (dependency-cruiser with tools/layering/rules.cjs) over some of the fixture's files. */
function cruise(...paths: string[]): { code: number | null; out: string } {
  const r = spawnSync(depcruise, [...paths, '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: fixture, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('layering check (npm run lint:layers)', () => {
  it('tells a cycle through type-only imports (a warning) from a runtime one (an error)', () => {
    const r = cruise('packages/high/src/types-a.ts');
    expect(r.out).toMatch(/warn no-type-cycles: packages\/high\/src\/types-a\.ts/);
    expect(r.out).not.toMatch(/error no-/);
    expect(r.out).toMatch(/\(0 errors, 1 warnings\)/);
    expect(r.code).toBe(0);
  });

  it('fails on a cycle and on an upward import, naming both', () => {
    const r = cruise('packages');
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/error no-cycles: packages\/high\/src\/(a|b)\.ts/);
    expect(r.out).toMatch(/error layers-low: packages\/low\/src\/index\.ts → packages\/high\/src\/ok\.ts/);
    // exactly these two errors (no-type-cycles warns about every cycle: this one and types-a / types-b);
    // the downward import high/ok -> low/clean is allowed
    expect(r.out).toMatch(/x 4 dependency violations \(2 errors, 2 warnings\)/);
  });

  it('passes on the same packages without them (the downward import alone)', () => {
    const r = cruise('packages/high/src/ok.ts', 'packages/low/src/clean.ts');
    expect(r.out).toMatch(/no dependency violations found/);
    expect(r.code).toBe(0);
  });
});

import { expect } from 'vitest';
import type { HopError } from '@hop/core';
import type { StagHuntConfigInput } from '../src/config';
import { StagHuntEnv } from '../src/env/parallel';
import { createStagHuntSimulator } from '../src/sim/simulator';
import type { ParseStateOptions } from '../src/render/ascii';

/** A small config for hand-worked positions: no random obstacles, generous time. */
export function tiny(overrides: StagHuntConfigInput = {}): StagHuntConfigInput {
  return { players: 3, height: 3, width: 4, stags: 1, hares: 2, obstacles: 0, finalTime: 20, ...overrides };
}

/** A `StagHuntEnv` put into the position drawn in ASCII. */
export function envAt(config: StagHuntConfigInput, picture: string, opts?: ParseStateOptions): StagHuntEnv {
  const env = new StagHuntEnv(config);
  env.reset(0);
  const sim = createStagHuntSimulator(config);
  const arena = sim.allocate(1);
  sim.parse(picture, arena, 0, opts);
  env.restore(arena, 0);
  return env;
}

export const P = (i: number) => `player_${i}`;

/** The error `f` throws (fails the test when it does not throw). */
export function errorOf(f: () => unknown): HopError {
  try {
    f();
  } catch (e) {
    return e as HopError;
  }
  throw new Error('expected an error');
}

/**
 * Typed-array equality that is cheap when it holds and detailed when it does not (`toEqual` on large typed
 * arrays costs ~0.1 s per call).
 */
export function expectSame(a: ArrayLike<number>, b: ArrayLike<number>): void {
  let same = a.length === b.length;
  for (let i = 0; same && i < a.length; i++) same = Object.is(a[i], b[i]);
  if (!same) expect(Array.from(a)).toEqual(Array.from(b));
}

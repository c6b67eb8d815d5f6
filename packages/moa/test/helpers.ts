import { Rng } from '@hop/core';
import type { MOAConfigInput, MOAModel } from '../src/index';

/** A tiny grid model: fast to build and run in tests. */
export const tinyGrid: MOAConfigInput = {
  observationShape: [5, 5, 3],
  numActions: 5,
  goalDim: 2,
  maxTime: 20,
  convFilters: [4, 8],
  hiddenUnits: 32,
  seed: 1,
};

export interface RandomBatch {
  obs: Float32Array;
  mask: Uint8Array;
  time: Float32Array;
  goal: Float32Array;
}

/** Random inputs with at least one valid action per mask row. */
export function randomBatch(rng: Rng, batch: number, obsSize: number, numActions: number, goalDim: number): RandomBatch {
  const obs = new Float32Array(batch * obsSize).map(() => (rng.next() < 0.3 ? 1 : 0));
  const mask = new Uint8Array(batch * numActions).map(() => (rng.next() < 0.6 ? 1 : 0));
  for (let b = 0; b < batch; b++) mask[b * numActions + rng.int(numActions)] = 1;
  const time = new Float32Array(batch).map(() => rng.int(20));
  const goal = new Float32Array(batch * goalDim).map(() => rng.normal());
  return { obs, mask, time, goal };
}

/** Largest absolute difference of two arrays of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Sum over the trainable weights of (w - a)^2: how far model m is from model a. */
export function sqDist(m: MOAModel, a: MOAModel): number {
  const wa = a.trainableVariables().map((v) => Array.from(v.dataSync()));
  return m.trainableVariables().reduce((s, v, k) => s + Array.from(v.dataSync()).reduce((t, x, i) => t + (x - wa[k][i]) ** 2, 0), 0);
}

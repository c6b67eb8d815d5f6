import type { CoPlayerModelOutput, EvaluatorOutput, GoalBatch, ObservationBatch } from '@hop/core';
import type { RowOwners } from '../../src/index';

/** A 32-bit hash of a row of floats (plus extra words): deterministic "network" outputs for tests. */
function rowHash(x: Float32Array, off: number, n: number, extra: number[]): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) {
    h ^= Math.round(x[off + i] * 1000);
    h = Math.imul(h, 0x01000193);
  }
  for (const e of extra) {
    h ^= e;
    h = Math.imul(h, 0x01000193);
  }
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 13)) >>> 0;
}

function unit(h: number, k: number): number {
  let x = Math.imul(h ^ Math.imul(k + 1, 0x9e3779b1), 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return ((x ^ (x >>> 16)) >>> 0) / 4294967296;
}

/** Pseudo-random but deterministic logits / values as a function of (observation, time, agent). */
export function hashedEvaluator(numActions: number, obsSize: number, salt = 0) {
  const calls: { batch: number; focal: number[] }[] = [];
  const fn = (input: ObservationBatch, owners?: RowOwners): EvaluatorOutput => {
    calls.push({ batch: input.batch, focal: owners ? Array.from(owners.focal) : [] });
    const logits = new Float32Array(input.batch * numActions);
    const values = new Float32Array(input.batch);
    for (let r = 0; r < input.batch; r++) {
      const h = rowHash(input.observations, r * obsSize, obsSize, [input.times[r], salt, owners?.focal[r] ?? 0]);
      for (let a = 0; a < numActions; a++) logits[r * numActions + a] = 2 * unit(h, a) - 1;
      values[r] = 2 * unit(h, 99) - 1;
    }
    return { logits, values };
  };
  return Object.assign(fn, { calls });
}

/** Uniform priors and zero values: a search guided by rewards only. */
export function flatEvaluator(numActions: number) {
  return (input: ObservationBatch): EvaluatorOutput => ({
    logits: new Float32Array(input.batch * numActions),
    values: new Float32Array(input.batch),
  });
}

/** Deterministic goal-conditioned action probabilities (masked), recording every row it was asked for. */
export function hashedCoPlayer(numActions: number, obsSize: number) {
  const rows: { focal: number; agent: number; goal: number; time: number }[] = [];
  let calls = 0;
  const fn = (input: GoalBatch, owners?: RowOwners): CoPlayerModelOutput => {
    calls++;
    const probs = new Float32Array(input.batch * numActions);
    for (let r = 0; r < input.batch; r++) {
      let goal = -1;
      for (let g = 0; g < input.goalDim; g++) if (input.goals[r * input.goalDim + g] === 1) goal = g;
      rows.push({ focal: owners?.focal[r] ?? -1, agent: owners?.agent[r] ?? -1, goal, time: input.times[r] });
      const h = rowHash(input.observations, r * obsSize, obsSize, [input.times[r], goal]);
      let z = 0;
      for (let a = 0; a < numActions; a++) {
        const p = input.masks[r * numActions + a] ? 0.05 + unit(h, a) ** 3 : 0;
        probs[r * numActions + a] = p;
        z += p;
      }
      for (let a = 0; a < numActions; a++) probs[r * numActions + a] /= z;
    }
    return { probs };
  };
  return Object.assign(fn, { rows, callCount: () => calls });
}

/** Wraps a synchronous model so that it answers through a promise (an async backend). */
export function asAsync<I, O>(f: (input: I, owners: RowOwners) => O): (input: I, owners: RowOwners) => Promise<O> {
  return async (input, owners) => {
    await Promise.resolve();
    return f(input, owners);
  };
}

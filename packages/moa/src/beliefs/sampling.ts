import { HopError, type Rng } from '@hop/core';

/**
 * Goal orderings for planners: for each of `numTrees` trees and each of `M` co-players, a permutation of
 * the `G` goals drawn from the belief without replacement (Plackett-Luce: the first goal with probability
 * b(g), the next among the rest in proportion to their beliefs, ...). Goals of belief 0 come last, in
 * uniform random order, so every row is a full permutation: a planner takes the first goal of the
 * ordering that is still available.
 *
 * Returns `Int32Array [numTrees, M, G]` (tree-major). With `layout.focal` the rows are per agent instead,
 * `[numTrees, M + 1, G]`: co-player m is agent `m < focal ? m : m + 1` and the focal agent's own row is
 * -1 — one decision of @hop/mcts' `SearchInput.goalOrders`, written at `layout.outOffset` of `out`.
 */
export function sampleGoalOrderings(
  belief: ArrayLike<number>,
  numCoPlayers: number,
  numGoals: number,
  numTrees: number,
  rng: Rng,
  out?: Int32Array,
  layout: { focal?: number; outOffset?: number } = {},
): Int32Array {
  const g = numGoals;
  const focal = layout.focal ?? -1;
  const rows = focal >= 0 ? numCoPlayers + 1 : numCoPlayers;
  const off = layout.outOffset ?? 0;
  const target = out ?? new Int32Array(off + numTrees * rows * g);
  if (belief.length !== numCoPlayers * g)
    throw new HopError('E_SHAPE', `belief has ${belief.length} values, expected [${numCoPlayers}, ${g}]`);
  if (focal > numCoPlayers || !Number.isInteger(focal))
    throw new HopError('E_SHAPE', `focal agent ${focal} is not one of the ${numCoPlayers + 1} agents`);
  if (target.length < off + numTrees * rows * g)
    throw new HopError('E_SHAPE', `out has ${target.length} values, needs ${off} + [${numTrees}, ${rows}, ${g}]`);
  const w = new Float64Array(g);
  const left = new Int32Array(g);
  for (let t = 0; t < numTrees; t++) {
    if (focal >= 0) target.fill(-1, off + (t * rows + focal) * g, off + (t * rows + focal + 1) * g);
    for (let m = 0; m < numCoPlayers; m++) {
      const o = off + (t * rows + (focal >= 0 && m >= focal ? m + 1 : m)) * g;
      for (let k = 0; k < g; k++) {
        const b = belief[m * g + k];
        if (!(b >= 0)) throw new HopError('E_BELIEF', `belief[${m}, ${k}] = ${b} is not a probability`);
        w[k] = b;
      }
      let pos = 0;
      for (; pos < g; pos++) {
        const k = rng.categorical(w, 0, g);
        if (k < 0) break;
        target[o + pos] = k;
        w[k] = 0;
      }
      // The rest had belief 0 (or were drawn already): append the undrawn goals in random order.
      let n = 0;
      for (let k = 0; k < g; k++) {
        let drawn = false;
        for (let p = 0; p < pos; p++) if (target[o + p] === k) drawn = true;
        if (!drawn) left[n++] = k;
      }
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const tmp = left[i];
        left[i] = left[j];
        left[j] = tmp;
      }
      for (let i = 0; i < n; i++) target[o + pos + i] = left[i];
    }
  }
  return target;
}

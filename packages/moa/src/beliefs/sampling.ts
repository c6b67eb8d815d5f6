import { HopError, type Rng } from '@hop/core';

/**
 * Goal orderings for planners: for each of `numTrees` trees and each of `M` co-players, a permutation of
 * the `G` goals drawn from the belief without replacement (Plackett-Luce: the first goal with probability
 * b(g), the next among the rest in proportion to their beliefs, ...). Goals of belief 0 come last, in
 * uniform random order, so every row is a full permutation: a planner takes the first goal of the
 * ordering that is still available.
 *
 * Returns `Int32Array [numTrees, M, G]` (tree-major), the layout @hop/mcts takes as goal orderings.
 */
export function sampleGoalOrderings(
  belief: ArrayLike<number>,
  numCoPlayers: number,
  numGoals: number,
  numTrees: number,
  rng: Rng,
  out: Int32Array = new Int32Array(numTrees * numCoPlayers * numGoals),
): Int32Array {
  const g = numGoals;
  if (belief.length !== numCoPlayers * g)
    throw new HopError('E_SHAPE', `belief has ${belief.length} values, expected [${numCoPlayers}, ${g}]`);
  if (out.length !== numTrees * numCoPlayers * g)
    throw new HopError('E_SHAPE', `out has ${out.length} values, expected [${numTrees}, ${numCoPlayers}, ${g}]`);
  const w = new Float64Array(g);
  const left = new Int32Array(g);
  for (let t = 0; t < numTrees; t++) {
    for (let m = 0; m < numCoPlayers; m++) {
      const o = (t * numCoPlayers + m) * g;
      for (let k = 0; k < g; k++) {
        const b = belief[m * g + k];
        if (!(b >= 0)) throw new HopError('E_BELIEF', `belief[${m}, ${k}] = ${b} is not a probability`);
        w[k] = b;
      }
      let pos = 0;
      for (; pos < g; pos++) {
        const k = rng.categorical(w, 0, g);
        if (k < 0) break;
        out[o + pos] = k;
        w[k] = 0;
      }
      // The rest had belief 0 (or were drawn already): append the undrawn goals in random order.
      let n = 0;
      for (let k = 0; k < g; k++) {
        let drawn = false;
        for (let p = 0; p < pos; p++) if (out[o + p] === k) drawn = true;
        if (!drawn) left[n++] = k;
      }
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const tmp = left[i];
        left[i] = left[j];
        left[j] = tmp;
      }
      for (let i = 0; i < n; i++) out[o + pos + i] = left[i];
    }
  }
  return out;
}

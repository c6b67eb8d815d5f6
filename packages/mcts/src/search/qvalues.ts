import type { TreeArena } from '../tree/arena';

/**
 * Q of the child of global node `g` under `a` in tree `b`: `W / (1 + n)` (reference) or `W / n` (mean),
 * 0 when the child was never visited.
 */
export function edgeQ(arena: TreeArena, b: number, g: number, a: number, mean: boolean): number {
  const c = arena.children[g * arena.numActions + a];
  if (c < 0) return 0;
  const cg = b * arena.maxNodes + c;
  const n = arena.visits[cg];
  if (n === 0) return 0;
  return arena.valueSum[cg] / (mean ? n : 1 + n);
}

/**
 * Completed and transformed Q-values of node `g` (Danihelka et al. 2022, mctx's
 * `qtransform_completed_by_mix_value`): visited actions keep their mean Q, unvisited valid actions get the
 * mixed value `(v_raw + N * sum_visited(p * q) / sum_visited(p)) / (N + 1)`; the result is rescaled to
 * [0, 1] over the valid actions and multiplied by `(maxVisitInit + max n) * valueScale`.
 * Writes `out[a]` for valid actions; invalid entries are left untouched.
 */
export function completedQ(
  arena: TreeArena,
  b: number,
  g: number,
  valueScale: number,
  maxVisitInit: number,
  out: Float64Array,
): void {
  const A = arena.numActions;
  const off = g * A;
  let sumN = 0;
  let maxN = 0;
  let sumP = 0;
  let weighted = 0;
  for (let a = 0; a < A; a++) {
    if (!arena.legal[off + a]) continue;
    const n = arena.childVisits(b, g, a);
    const q = n > 0 ? arena.childValueSum(b, g, a) / n : 0;
    out[a] = q;
    if (n > 0) {
      const p = Math.max(arena.prior[off + a], 1e-38);
      sumN += n;
      sumP += p;
      weighted += p * q;
      if (n > maxN) maxN = n;
    }
  }
  const mixed = sumN > 0 ? (arena.rawValue[g] + (sumN * weighted) / sumP) / (sumN + 1) : arena.rawValue[g];
  let lo = Infinity;
  let hi = -Infinity;
  for (let a = 0; a < A; a++) {
    if (!arena.legal[off + a]) continue;
    if (arena.childVisits(b, g, a) === 0) out[a] = mixed;
    if (out[a] < lo) lo = out[a];
    if (out[a] > hi) hi = out[a];
  }
  const scale = ((maxVisitInit + maxN) * valueScale) / Math.max(hi - lo, 1e-8);
  for (let a = 0; a < A; a++) if (arena.legal[off + a]) out[a] = (out[a] - lo) * scale;
}

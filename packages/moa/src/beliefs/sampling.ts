import { HopError, sampleGoalOrders, type Rng } from '@hop/core';

/**
 * @deprecated use `sampleGoalOrders(belief, { focal, numGoals, numTrees, rng, out, outOffset })` (from
 * @hop/core, re-exported here) or `GoalBeliefTracker.sampleGoalOrders`: one function and one layout for
 * goal orderings across @hop/moa and @hop/mcts. Removed in 0.2.0.
 *
 * With `layout.focal` this is exactly that function. Without it, it returns the old co-player layout
 * `[numTrees, M, G]` (the same draws as the per-agent layout with the focal agent last, minus its row).
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
  if (belief.length !== numCoPlayers * numGoals)
    throw new HopError('E_SHAPE', `belief has ${belief.length} values, expected [${numCoPlayers}, ${numGoals}]`);
  if (layout.focal !== undefined && layout.focal >= 0)
    return sampleGoalOrders(belief, { focal: layout.focal, numGoals, numTrees, rng, out, outOffset: layout.outOffset });
  const perAgent = sampleGoalOrders(belief, { focal: numCoPlayers, numGoals, numTrees, rng });
  const off = layout.outOffset ?? 0;
  const rows = numCoPlayers * numGoals;
  const target = out ?? new Int32Array(off + numTrees * rows);
  if (target.length < off + numTrees * rows)
    throw new HopError('E_SHAPE', `out has ${target.length} values, needs ${off} + [${numTrees}, ${numCoPlayers}, ${numGoals}]`);
  for (let t = 0; t < numTrees; t++)
    target.set(perAgent.subarray(t * (rows + numGoals), t * (rows + numGoals) + rows), off + t * rows);
  return target;
}

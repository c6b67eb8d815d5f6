import { HopError, sampleGoalOrders as sampleFromCoPlayerBeliefs } from '@hop/core/base';
import type { GoalOrderOptions, Rng } from '@hop/core/base';

/**
 * Goal orderings of one decision, `[numTrees, numAgents, numGoals]` (the layout of `SearchInput.goalOrders`),
 * from the focal agent's beliefs about its co-players `[numAgents - 1, numGoals]` (co-player m is agent
 * `coPlayerAgent(focal, m)`; @hop/moa's `GoalBeliefTracker.belief()` layout). The same function as
 * `sampleGoalOrders` of @hop/core, re-exported here.
 */
export function sampleGoalOrders(belief: ArrayLike<number>, opts: GoalOrderOptions): Int32Array;
/**
 * @deprecated the old form: `beliefs` `[numAgents, numGoals]` with a row for the focal agent too. Use
 * `sampleGoalOrders(coPlayerBeliefs, { focal, numGoals, numTrees, rng, out, outOffset })`; removed in the
 * 0.2.0 release.
 */
export function sampleGoalOrders(
  beliefs: ArrayLike<number>,
  numAgents: number,
  numGoals: number,
  numTrees: number,
  rng: Rng,
  out?: Int32Array,
  outOffset?: number,
): Int32Array;
export function sampleGoalOrders(
  beliefs: ArrayLike<number>,
  optsOrAgents: GoalOrderOptions | number,
  numGoals?: number,
  numTrees?: number,
  rng?: Rng,
  out?: Int32Array,
  outOffset?: number,
): Int32Array {
  if (typeof optsOrAgents !== 'number') return sampleFromCoPlayerBeliefs(beliefs, optsOrAgents);
  if (numGoals === undefined || numTrees === undefined || rng === undefined)
    throw new HopError('E_SHAPE', 'sampleGoalOrders(beliefs, numAgents, numGoals, numTrees, rng): arguments missing');
  return sampleAllAgents(beliefs, optsOrAgents, numGoals, numTrees, rng, out, outOffset);
}

/** The old per-agent sampler (every row, the focal agent's included), kept for the deprecated form. */
function sampleAllAgents(
  beliefs: ArrayLike<number>,
  numAgents: number,
  numGoals: number,
  treeNum: number,
  rng: Rng,
  out: Int32Array = new Int32Array(treeNum * numAgents * numGoals),
  outOffset = 0,
): Int32Array {
  if (beliefs.length !== numAgents * numGoals)
    throw new HopError(
      'E_SHAPE',
      `beliefs has ${beliefs.length} entries, expected [numAgents=${numAgents}, numGoals=${numGoals}]`,
    );
  const w = new Float64Array(numGoals);
  for (let t = 0; t < treeNum; t++) {
    for (let j = 0; j < numAgents; j++) {
      let left = 0;
      for (let g = 0; g < numGoals; g++) {
        const x = beliefs[j * numGoals + g];
        if (!(x >= 0)) throw new HopError('E_BELIEF', `belief of agent ${j} goal ${g} is ${x}; beliefs must be >= 0`);
        w[g] = x;
        left++;
      }
      const o = outOffset + (t * numAgents + j) * numGoals;
      for (let r = 0; r < numGoals; r++) {
        let g = rng.categorical(w);
        if (g < 0) {
          // only zero-belief goals remain: uniform among them
          let pick = rng.int(left);
          g = 0;
          for (; g < numGoals; g++) if (w[g] === 0 && !taken(out, o, r, g) && pick-- === 0) break;
        }
        out[o + r] = g;
        w[g] = 0;
        left--;
      }
    }
  }
  return out;
}

function taken(out: Int32Array, o: number, r: number, g: number): boolean {
  for (let i = 0; i < r; i++) if (out[o + i] === g) return true;
  return false;
}

import { HopError } from '@hop/core/base';
import type { Rng } from '@hop/core/base';

/**
 * Samples every agent's goal ordering for `treeNum` trees from its belief (Plackett-Luce: the first goal
 * drawn in proportion to the belief, the next from the rest, ...). Goals with zero belief come last, in a
 * uniformly random order, so a co-player still pursues some goal while one is available.
 *
 * `beliefs` is `[numAgents, numGoals]` (the focal agent's row is ignored by the search); returns
 * `[treeNum, numAgents, numGoals]`, the layout of one decision in `SearchInput.goalOrders`.
 */
export function sampleGoalOrders(
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

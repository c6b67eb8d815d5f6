import { HopError } from '../errors';
import type { Rng } from '../rng/rng';

/**
 * Agent index of co-player `m` as seen by agent `focal`: the other agents in increasing order
 * (`m < focal ? m : m + 1`). Beliefs are kept per co-player in this order (`[numAgents - 1, numGoals]`).
 */
export function coPlayerAgent(focal: number, m: number): number {
  return m < focal ? m : m + 1;
}

/** Co-player index of agent `agent` as seen by `focal` (the inverse of `coPlayerAgent`; -1 for the focal agent). */
export function coPlayerIndex(focal: number, agent: number): number {
  return agent === focal ? -1 : agent < focal ? agent : agent - 1;
}

export interface GoalOrderOptions {
  /** The deciding agent; its row of the result is -1. */
  focal: number;
  numGoals: number;
  /** Trees per decision (planner config `numTrees`). */
  numTrees: number;
  rng: Rng;
  /** Write into this array (default: a fresh one of exactly the result's size). */
  out?: Int32Array;
  /** Where in `out` to write (e.g. `d * numTrees * numAgents * numGoals` for decision d of a batch). */
  outOffset?: number;
}

/**
 * Goal orderings for a planner, from one observer's beliefs about its co-players.
 *
 * - `belief` is `[numAgents - 1, numGoals]`, co-player m being agent `coPlayerAgent(focal, m)` (the layout
 *   of `GoalBeliefTracker.belief()` in @hop/moa);
 * - the result is `[numTrees, numAgents, numGoals]`, one row per agent, the focal agent's row -1 (one
 *   decision of @hop/mcts' `SearchInput.goalOrders`).
 *
 * Each row is a permutation of the goals drawn without replacement (Plackett-Luce: the first goal with
 * probability b(g), the next among the rest in proportion to their beliefs, ...); goals of belief 0 come
 * last in uniform random order, so a co-player still pursues some goal while one is available.
 */
export function sampleGoalOrders(belief: ArrayLike<number>, opts: GoalOrderOptions): Int32Array {
  const { focal, numGoals: g, numTrees, rng } = opts;
  if (!(Number.isInteger(g) && g >= 1)) throw new HopError('E_SHAPE', `numGoals must be a positive integer, got ${g}`);
  if (!(Number.isInteger(numTrees) && numTrees >= 1))
    throw new HopError('E_SHAPE', `numTrees must be a positive integer, got ${numTrees}`);
  const coPlayers = belief.length / g;
  if (!Number.isInteger(coPlayers) || coPlayers < 1)
    throw new HopError(
      'E_SHAPE',
      `belief has ${belief.length} values, not [coPlayers, numGoals=${g}]; pass one row per co-player (numAgents - 1 rows)`,
    );
  const rows = coPlayers + 1;
  if (!(Number.isInteger(focal) && focal >= 0 && focal < rows))
    throw new HopError('E_SHAPE', `focal agent ${focal} is not one of the ${rows} agents (belief has ${coPlayers} co-player rows)`);
  const off = opts.outOffset ?? 0;
  const size = numTrees * rows * g;
  const target = opts.out ?? new Int32Array(off + size);
  if (!(Number.isInteger(off) && off >= 0) || target.length < off + size)
    throw new HopError('E_SHAPE', `out has ${target.length} values, needs ${off} + [${numTrees}, ${rows}, ${g}]`);
  for (let k = 0; k < belief.length; k++) {
    const b = belief[k];
    if (!(b >= 0 && b < Infinity))
      throw new HopError('E_BELIEF', `belief[${Math.floor(k / g)}, ${k % g}] = ${b} is not a probability`);
  }
  const w = new Float64Array(g);
  const left = new Int32Array(g);
  for (let t = 0; t < numTrees; t++) {
    target.fill(-1, off + (t * rows + focal) * g, off + (t * rows + focal + 1) * g);
    for (let m = 0; m < coPlayers; m++) {
      const o = off + (t * rows + coPlayerAgent(focal, m)) * g;
      for (let k = 0; k < g; k++) w[k] = belief[m * g + k];
      let pos = 0;
      for (; pos < g; pos++) {
        const k = rng.categorical(w, 0, g);
        if (k < 0) break;
        target[o + pos] = k;
        w[k] = 0;
      }
      // The rest had belief 0: append the undrawn goals in random order.
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

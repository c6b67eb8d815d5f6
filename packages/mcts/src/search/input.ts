import { HopError } from '@hop/core/base';
import type { BatchedSimulator } from '@hop/core/base';
import type { MctsConfig } from '../config';
import type { SearchInput } from '../types';

/** Checks a search input against the simulator and the config; every mistake is an `E_SEARCH_INPUT` naming it. */
export function validateInput(input: SearchInput, sim: BatchedSimulator, config: MctsConfig): void {
  const D = input.slots.length;
  const P = sim.numAgents;
  const G = sim.numGoals;
  const W = sim.stateWords;
  const T = config.numTrees;
  const fail = (msg: string): never => {
    throw new HopError('E_SEARCH_INPUT', msg);
  };
  if (D === 0) fail('search input has no decisions (slots is empty)');
  if (input.focal.length !== D) fail(`focal has ${input.focal.length} entries, expected one per decision (${D})`);
  if (input.seeds.length !== D) fail(`seeds has ${input.seeds.length} entries, expected one per decision (${D})`);
  if (input.greedy !== undefined && typeof input.greedy !== 'boolean')
    fail(`greedy must be true (evaluation: argmax) or false (training: sample), got ${String(input.greedy)}`);
  if (input.states.length % W !== 0)
    fail(
      `states has ${input.states.length} words, not a whole number of states of stateWords = ${W} words; ` +
        "allocate the arena as capacity x stateWords (a simulator's allocate(capacity)) and fill whole slots",
    );
  const expected = D * T * P * G;
  if (input.goalOrders.length !== expected) {
    // core's sampleGoalOrders writes one row per agent plus one per belief row: a belief with a row for the
    // focal agent too ([numAgents, numGoals]) makes it write numAgents + 1 rows per tree
    if (G > 0 && input.goalOrders.length === D * T * (P + 1) * G)
      fail(
        `goalOrders has ${input.goalOrders.length} entries = [D=${D}, numTrees=${T}, ${P + 1} agents, numGoals=${G}]: ` +
          `the beliefs given to sampleGoalOrders probably had the wrong layout, [numAgents=${P}, numGoals=${G}] (a row per agent); ` +
          `it takes the focal agent's beliefs about its co-players, [numAgents - 1 = ${P - 1}, numGoals=${G}] ` +
          '(co-player m is agent coPlayerAgent(focal, m), the layout of GoalBeliefTracker.belief()). ' +
          `If the beliefs had that layout, the orderings were sampled for another number of trees or decisions: ` +
          `expected [D=${D}, numTrees=${T}, numAgents=${P}, numGoals=${G}] = ${expected}`,
      );
    fail(
      `goalOrders has ${input.goalOrders.length} entries, expected [D=${D}, numTrees=${T}, ` +
        `numAgents=${P}, numGoals=${G}] = ${expected}; sample them with sampleGoalOrders`,
    );
  }
  for (let i = 0; i < input.goalOrders.length; i++) {
    const g = input.goalOrders[i];
    if (g < -1 || g >= G || !Number.isInteger(g)) fail(`goalOrders[${i}] = ${g} is not a goal index in [-1, ${G})`);
  }
  for (let d = 0; d < D; d++) {
    const f = input.focal[d];
    if (f < 0 || f >= P) fail(`focal[${d}] = ${f} is not an agent index in [0, ${P})`);
    const s = input.slots[d];
    if (s < 0 || (s + 1) * W > input.states.length)
      fail(`slots[${d}] = ${s} is outside the state arena (${input.states.length / W} slots)`);
  }
}

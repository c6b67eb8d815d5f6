import { Rng } from '@hop/core';
import { HopPlanner, sampleGoalOrders } from '../../src/index';
import type { MctsConfigInput, SearchInput } from '../../src/index';
import { LineWorld } from '../sims/lineWorld';
import type { LineWorldOptions } from '../sims/lineWorld';
import { hashedCoPlayer, hashedEvaluator } from '../sims/models';

export interface Decision {
  positions: number[];
  focal: number;
  seed: number;
  time?: number;
}

/** Builds a search input over a LineWorld: one root slot per decision, goal orderings from uniform beliefs. */
export function lineInput(sim: LineWorld, decisions: Decision[], treeNum: number, orderSeed = 7): SearchInput {
  const D = decisions.length;
  const states = new Int32Array(D * sim.stateWords);
  decisions.forEach((d, i) => sim.init(states, i, d.positions, d.time ?? 0));
  const P = sim.numAgents;
  const G = sim.numGoals;
  const goalOrders = new Int32Array(D * treeNum * P * G);
  const beliefs = new Float32Array(P * G).fill(1 / Math.max(1, G));
  decisions.forEach((d, i) =>
    sampleGoalOrders(beliefs, P, G, treeNum, new Rng(orderSeed + d.seed), goalOrders, i * treeNum * P * G),
  );
  return {
    states,
    slots: Int32Array.from(decisions.map((_, i) => i)),
    focal: Int32Array.from(decisions.map((d) => d.focal)),
    goalOrders,
    seeds: decisions.map((d) => d.seed),
  };
}

export function linePlanner(opts: LineWorldOptions, config: MctsConfigInput) {
  const sim = new LineWorld(opts);
  const evaluator = hashedEvaluator(sim.numActions, sim.observationSize);
  const coPlayer = hashedCoPlayer(sim.numActions, sim.observationSize);
  const planner = new HopPlanner({ simulator: sim, evaluator, coPlayerModel: coPlayer, config });
  return { sim, evaluator, coPlayer, planner };
}

/** The standard 3-player test world: a 2-hunter "stag" (goal 0) and two "hares" (goal 1). */
export const threePlayers: LineWorldOptions = {
  length: 6,
  numAgents: 3,
  numGoals: 2,
  timeLimit: 8,
  prey: [
    { cell: 0, reward: 10, goal: 0, need: 2 },
    { cell: 3, reward: 1, goal: 1 },
    { cell: 5, reward: 1, goal: 1 },
  ],
};

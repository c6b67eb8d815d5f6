import { beforeAll, describe, expect, it } from 'vitest';
import { HopError, Rng, initBackend } from '@hop/core';
import { createStagHuntSimulator } from '@hop/env-staghunt';
import { MOAModel, PairRegistry } from '@hop/moa';
import { SelfPlayConfigSchema } from '../src/algos/hop/settings';
import {
  beliefArgmaxGoals,
  checkFocalGoals,
  encodeCoGoals,
  evaluateWithGoals,
  focalGoalDim,
  goalConditionedEvaluator,
  coPlayerGoalLabels,
  withFocalGoals,
} from '../src/team/focal-goals';
import { discreteGoals } from '../src/team/goals';
import { PolicyLearner } from '../src/algos/hop/learner';
import { buildPolicy } from '../src/team/models';
import { runRollout } from '../src/algos/hop/rollout';
import { HopTeam } from '../src/team/team';

const game = createStagHuntSimulator('small-2p');
const base = { env: 'small-2p', policyFilters: [8], policyHidden: 16, seed: 5 };
const P = game.numAgents;
const G = game.numGoals;

function batchOf(n: number, seed: number) {
  const rng = new Rng(seed);
  const O = game.observationSize;
  return {
    batch: n,
    observations: Float32Array.from({ length: n * O }, () => (rng.next() < 0.2 ? 1 : 0)),
    masks: new Uint8Array(n * 7).fill(1),
    times: Float32Array.from({ length: n }, (_, k) => k % 5),
  };
}

describe('--focal-goals co-player', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('off builds the goal-free network; on, the value and prior change with the co-player goal input', () => {
    const off = buildPolicy(SelfPlayConfigSchema.parse(base), game);
    expect(off.goalDim).toBe(0);
    const net = buildPolicy(SelfPlayConfigSchema.parse({ ...base, focalGoals: 'co-player' }), game);
    expect(net.goalDim).toBe(focalGoalDim(P, G));
    expect(net.goalDim).toBe(P * (G + 1));
    const input = batchOf(4, 1);
    // focal 0; co-player 1 goes for the stag (0), the hare (1), or nothing (-1)
    const outs = [0, 1, -1].map((g) => evaluateWithGoals(net, input, encodeCoGoals(Int32Array.from({ length: 8 }, (_, k) => (k % 2 === 1 ? g : -1)), 4, P, G)));
    for (let r = 0; r < 4; r++) {
      expect(outs[0].values[r]).not.toBeCloseTo(outs[1].values[r], 6);
      expect(outs[1].values[r]).not.toBeCloseTo(outs[2].values[r], 6);
    }
    expect(Array.from(outs[0].logits)).not.toEqual(Array.from(outs[1].logits));
    // same goals, same output (deterministic)
    const again = evaluateWithGoals(net, input, encodeCoGoals(Int32Array.from({ length: 8 }, (_, k) => (k % 2 === 1 ? 0 : -1)), 4, P, G));
    expect(Array.from(again.values)).toEqual(Array.from(outs[0].values));
    off.dispose();
    net.dispose();
  });

  it('one-hot layout: one block of numGoals + 1 per agent, "none" last; the evaluator reads owners.coGoals row by row', () => {
    expect(Array.from(encodeCoGoals(Int32Array.of(-1, 1, 0, 7), 2, 2, 2))).toEqual([0, 0, 1, 0, 1, 0, /* row 1 */ 1, 0, 0, 0, 0, 1]);
    const net = buildPolicy(SelfPlayConfigSchema.parse({ ...base, focalGoals: 'co-player' }), game);
    const ev = goalConditionedEvaluator(net, P, G);
    const input = batchOf(3, 2);
    const coGoals = Int32Array.of(-1, 0, -1, 1, 1, -1);
    const viaOwners = ev(input, { coGoals });
    const direct = evaluateWithGoals(net, input, encodeCoGoals(coGoals, 3, P, G));
    expect(Array.from(viaOwners.values)).toEqual(Array.from(direct.values));
    expect(() => ev(input, {})).toThrow(/evaluatorCoPlayerGoals/);
    const wrong = new MOAModel({ observationShape: [...game.observationShape], numActions: 7, goalDim: 3, maxTime: 10, convFilters: [4], hiddenUnits: 8, seed: 1 });
    expect(() => goalConditionedEvaluator(wrong, P, G)).toThrow(HopError);
    wrong.dispose();
    net.dispose();
  });

  it('hindsight co-player goals of a hand-worked episode', () => {
    // 3 players, one env, one episode. Player 0 hunts a hare at t=1 (goal 1), player 1 the stag at t=2
    // (goal 0), player 2 achieves nothing (-1) and plays to t=2. Rows are (player, time).
    const rows = [
      [0, 0, 1],
      [1, 0, 0],
      [2, 0, -1],
      [0, 1, 1],
      [1, 1, 0],
      [2, 1, -1],
      [1, 2, 0],
      [2, 2, -1],
    ];
    const s = {
      count: rows.length,
      player: Int32Array.from(rows, (r) => r[0]),
      time: Float32Array.from(rows, (r) => r[1]),
      goal: Int32Array.from(rows, (r) => r[2]),
      env: new Int32Array(rows.length),
      episode: new Int32Array(rows.length),
    };
    const co = Array.from(coPlayerGoalLabels(s, 3));
    expect(co).toEqual([
      /* p0 t0 */ -1, 0, -1,
      /* p1 t0 */ 1, -1, -1,
      /* p2 t0 */ 1, 0, -1,
      /* p0 t1 */ -1, 0, -1,
      /* p1 t1 */ 1, -1, -1,
      /* p2 t1 */ 1, 0, -1,
      // player 0 is done at t=2 (no row): "none"
      /* p1 t2 */ -1, -1, -1,
      /* p2 t2 */ -1, 0, -1,
    ]);
    // another episode at the same time steps does not mix in
    const two = { ...s, count: 2 * s.count, player: Int32Array.from([...s.player, ...s.player]), time: Float32Array.from([...s.time, ...s.time]), goal: Int32Array.from([...s.goal, ...s.goal.map(() => 1)]), env: new Int32Array(16), episode: Int32Array.from({ length: 16 }, (_, k) => (k < 8 ? 0 : 1)) };
    expect(Array.from(coPlayerGoalLabels(two, 3).subarray(0, 24))).toEqual(co);
    expect(Array.from(coPlayerGoalLabels(two, 3).subarray(24, 27))).toEqual([-1, 1, 1]);
  });

  it('--focal-goal-labels committed: a rule co-player\'s committed goal stands, achieved or not; planners keep hindsight', () => {
    // 3 players, one env, one episode. Player 0 plans (hindsight hare); player 1 is a rule co-player committed
    // to the stag that never catches it (hindsight none); player 2 a rule co-player committed to the hare that
    // catches it at t=1 and is done at t=2. Rows are (player, time, hindsight goal, intent).
    const rows = [
      [0, 0, 1, -1],
      [1, 0, -1, 0],
      [2, 0, 1, 1],
      [0, 1, 1, -1],
      [1, 1, -1, 0],
      [2, 1, 1, 1],
      [0, 2, 1, -1],
      [1, 2, -1, 0],
    ];
    const s = {
      count: rows.length,
      player: Int32Array.from(rows, (r) => r[0]),
      time: Float32Array.from(rows, (r) => r[1]),
      goal: Int32Array.from(rows, (r) => r[2]),
      intent: Int32Array.from(rows, (r) => r[3]),
      env: new Int32Array(rows.length),
      episode: new Int32Array(rows.length),
    };
    expect(Array.from(coPlayerGoalLabels(s, 3, 'committed'))).toEqual([
      /* p0 t0 */ -1, 0, 1,
      /* p1 t0 */ 1, -1, 1,
      /* p2 t0 */ 1, 0, -1,
      /* p0 t1 */ -1, 0, 1,
      /* p1 t1 */ 1, -1, 1,
      /* p2 t1 */ 1, 0, -1,
      // player 2 is done at t=2 (no row): "none", as inside a tree
      /* p0 t2 */ -1, 0, -1,
      /* p1 t2 */ 1, -1, -1,
    ]);
    // control: hindsight labels call the stag-committed player 1 "none" (it never caught the stag)
    const hind = Array.from(coPlayerGoalLabels(s, 3));
    expect(hind.slice(0, 3)).toEqual([-1, -1, 1]);
    expect(Array.from(coPlayerGoalLabels(s, 3, 'hindsight'))).toEqual(hind);
    // the one-hot inputs follow the labels
    const net = buildPolicy(SelfPlayConfigSchema.parse({ ...base, env: 'small-2p', focalGoals: 'co-player' }), game);
    const two = { ...s, count: 2, player: Int32Array.from([0, 1]), time: new Float32Array(2), goal: Int32Array.from([1, -1]), intent: Int32Array.from([-1, 0]), env: new Int32Array(2), episode: new Int32Array(2) };
    const committed = withFocalGoals(two, net, game, 'committed').goals!;
    const hindsight = withFocalGoals(two, net, game).goals!;
    // row 0 (player 0): co-player 1's block is [stag, hare, none]
    expect(Array.from(committed.subarray(3, 6))).toEqual([1, 0, 0]);
    expect(Array.from(hindsight.subarray(3, 6))).toEqual([0, 0, 1]);
    net.dispose();
    const noIntent = { count: s.count, player: s.player, time: s.time, goal: s.goal, env: s.env, episode: s.episode };
    expect(() => coPlayerGoalLabels(noIntent, 3, 'committed')).toThrow(/--focal-goal-labels committed needs the rows' intents/);
  });

  it('argmax of the beliefs outside a tree; refused for direct-om (no goals); identity on the learner batch when off', () => {
    expect(Array.from(beliefArgmaxGoals(Float32Array.of(0.5, 0.5, 0.2, 0.8, 0.9, 0.1), 0, 3, 2))).toEqual([-1, 1, 0]);
    expect(() => checkFocalGoals('co-player', { name: 'direct-om', coPlayerGoals: 'none' })).toThrow(/direct-om/);
    expect(() => checkFocalGoals('co-player', { name: 'hop', coPlayerGoals: 'goals' })).not.toThrow();
    expect(() => checkFocalGoals('off', { name: 'direct-om', coPlayerGoals: 'none' })).not.toThrow();
    const off = buildPolicy(SelfPlayConfigSchema.parse(base), game);
    const s = { count: 1, player: Int32Array.of(0), time: Float32Array.of(0), goal: Int32Array.of(0), env: Int32Array.of(0), episode: Int32Array.of(0) };
    expect(withFocalGoals(s, off, game)).toBe(s);
    off.dispose();
  });

  it('a goal-conditioned team plans with tree goals, and its rollout trains on hindsight goals', async () => {
    const net = buildPolicy(SelfPlayConfigSchema.parse({ ...base, focalGoals: 'co-player' }), game);
    const generic = new MOAModel({ observationShape: [...game.observationShape], numActions: 7, goalDim: 3, maxTime: game.config.finalTime, convFilters: [8], hiddenUnits: 16, seed: 1 });
    const registry = new PairRegistry(generic, P);
    const team = new HopTeam({ game, policy: net, registry, goals: discreteGoals(3, G), planner: { numSimulations: 6, numTrees: 2 }, numEnvs: 2 });
    expect(team.planner.config.evaluatorCoPlayerGoals).toBe(true);
    const r = await runRollout(team, game.config, { seed: 3, envStart: 0, numEnvs: 2, episodesPerEnv: 1, gamma: 0.95 });
    const learner = new PolicyLearner(net, { learningRate: 1e-3, epochs: 1, minibatch: 4096, maxGradNorm: 1 });
    expect(() => learner.update(r.samples, new Rng(1))).toThrow(/goal-conditioned/);
    const batch = withFocalGoals(r.samples, net, game);
    expect(batch.goals?.length).toBe(r.samples.count * P * (G + 1));
    const report = learner.update(batch, new Rng(1));
    expect(Number.isFinite(report.totalLoss)).toBe(true);
    expect(report.steps).toBe(1);
    learner.dispose();
    await team.engines.dispose();
    registry.dispose();
    generic.dispose();
    net.dispose();
  });
});

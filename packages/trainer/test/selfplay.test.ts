import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, initBackend } from '@hop/core';
import { createStagHuntSimulator, VecStagHunt } from '@hop/env-staghunt';
import { MOAModel, OnlineMOA, PairRegistry } from '@hop/moa';
import { SelfPlayConfigSchema } from '../src/algos/hop/settings';
import { discreteGoals } from '../src/team/goals';
import { PolicyLearner } from '../src/algos/hop/learner';
import { buildPolicy } from '../src/team/models';
import { feedOnline } from '../src/beliefs/online-feed';
import { runRollout, type EpisodeSummary, type RolloutSamples } from '../src/algos/hop/rollout';
import { envSlices } from '../src/algos/hop/runner';
import { HopTeam } from '../src/team/team';
import { HopAgent } from '../src/algos/hop/agent';

const game = createStagHuntSimulator('small-2p');
const config = SelfPlayConfigSchema.parse({ env: 'small-2p', policyFilters: [8], policyHidden: 16, seed: 5 });

function coPlayers(goalDim: number): PairRegistry {
  const generic = new MOAModel({ observationShape: [...game.observationShape], numActions: 7, goalDim, maxTime: game.config.finalTime, convFilters: [8], hiddenUnits: 16, seed: 1 });
  return new PairRegistry(generic, game.numAgents);
}

function team(policy: MOAModel, registry: PairRegistry, numEnvs: number, greedy = false): HopTeam {
  return new HopTeam({
    game,
    policy,
    registry,
    goals: discreteGoals(registry.generic.goalDim, game.numGoals),
    planner: { numSimulations: 8, numTrees: 2, greedy },
    numEnvs,
  });
}

describe('self-play pieces', () => {
  let policy: MOAModel;
  let registry: PairRegistry;
  beforeAll(async () => {
    await initBackend();
    policy = buildPolicy(config, game);
    registry = coPlayers(3);
  });

  it('the rollout records every in-play step with a policy target over valid actions only', async () => {
    const r = await runRollout(team(policy, registry, 3), game.config, { seed: 2, envStart: 0, numEnvs: 3, episodesPerEnv: 2, gamma: 0.95 });
    const s = r.samples;
    const A = 7;
    expect(r.episodes).toHaveLength(6);
    // every step of every episode: players in play act until they hunt or time runs out
    const expected = r.episodes.reduce((a, e) => a + e.achievedStep.reduce((b, st) => b + (st >= 0 ? st + 1 : e.length), 0), 0);
    expect(s.count).toBe(expected);
    let maskedMass = 0;
    let sumErr = 0;
    let invalidChosen = 0;
    for (let k = 0; k < s.count; k++) {
      let sum = 0;
      for (let a = 0; a < A; a++) {
        sum += s.policy[k * A + a];
        if (!s.mask[k * A + a]) maskedMass += s.policy[k * A + a];
      }
      sumErr = Math.max(sumErr, Math.abs(sum - 1));
      if (!s.mask[k * A + s.action[k]]) invalidChosen++;
    }
    expect(maskedMass).toBe(0);
    expect(sumErr).toBeLessThan(1e-5);
    expect(invalidChosen).toBe(0);
    // returns are the discounted sums of the player's own rewards to the end of its episode
    const e = r.episodes[0];
    for (let p = 0; p < 2; p++) {
      const rows = Array.from({ length: s.count }, (_, k) => k).filter((k) => s.env[k] === e.env && s.episode[k] === e.episode && s.player[k] === p);
      let g = 0;
      for (let n = rows.length - 1; n >= 0; n--) {
        g = s.reward[rows[n]] + 0.95 * g;
        expect(s.ret[rows[n]]).toBeCloseTo(g, 5);
        expect(s.goal[rows[n]]).toBe(e.achieved[p]);
      }
      expect(rows.reduce((a, k) => a + s.reward[k], 0)).toBeCloseTo(e.returns[p], 5);
    }
  });

  it('slices of environments played separately concatenate to the one-slice rollout', async () => {
    expect(envSlices(5, 2)).toEqual([{ start: 0, count: 3 }, { start: 3, count: 2 }]);
    expect(envSlices(2, 4)).toEqual([{ start: 0, count: 1 }, { start: 1, count: 1 }]);
    const whole = await runRollout(team(policy, registry, 4), game.config, { seed: 3, envStart: 0, numEnvs: 4, episodesPerEnv: 1, gamma: 0.95 });
    const a = await runRollout(team(policy, registry, 1), game.config, { seed: 3, envStart: 0, numEnvs: 1, episodesPerEnv: 1, gamma: 0.95 });
    const b = await runRollout(team(policy, registry, 3), game.config, { seed: 3, envStart: 1, numEnvs: 3, episodesPerEnv: 1, gamma: 0.95 });
    expect([...a.samples.action.subarray(0, a.samples.count), ...b.samples.action.subarray(0, b.samples.count)]).toEqual([...whole.samples.action]);
    expect([...a.episodes, ...b.episodes].map((e) => e.returns)).toEqual(whole.episodes.map((e) => e.returns));
    const other = await runRollout(team(policy, registry, 4), game.config, { seed: 4, envStart: 0, numEnvs: 4, episodesPerEnv: 1, gamma: 0.95 });
    expect([...other.samples.action]).not.toEqual([...whole.samples.action]);
  });

  it('the online buffers receive exactly the co-players\' labelled steps of a scripted episode', () => {
    // 3 players; player 0 hunts a hare at t = 1, player 1 a stag at t = 2, player 2 never hunts.
    const P = 3;
    const O = 4;
    const A = 7;
    const rows: [number, number, number][] = [
      // [time, player, action]
      [0, 0, 1], [0, 1, 3], [0, 2, 4],
      [1, 0, 6], [1, 1, 0], [1, 2, 2],
      [2, 1, 5], [2, 2, 4],
      [3, 2, 1],
    ];
    const n = rows.length;
    const s: RolloutSamples = {
      count: n,
      obs: new Float32Array(n * O),
      mask: new Uint8Array(n * A).fill(1),
      time: Float32Array.from(rows, (r) => r[0]),
      action: Int32Array.from(rows, (r) => r[2]),
      policy: new Float32Array(n * A),
      reward: new Float32Array(n),
      ret: new Float32Array(n),
      player: Int32Array.from(rows, (r) => r[1]),
      env: new Int32Array(n),
      episode: new Int32Array(n),
      goal: new Int32Array(n),
      learn: new Uint8Array(n).fill(1),
      intent: new Int32Array(n).fill(-1),
    };
    rows.forEach((r, k) => s.obs.set([k, r[0], r[1], r[2]], k * O));
    const ep: EpisodeSummary = { env: 0, episode: 0, length: 4, returns: [1, 5, 0], stags: 1, hares: 1, achieved: [1, 0, -1], achievedStep: [1, 2, -1], priorOutcomes: new Int32Array(6), coPlayers: null, loneStart: -1 };
    const generic = new MOAModel({ observationShape: [O], numActions: A, goalDim: 2, maxTime: 10, mlpUnits: [4], hiddenUnits: 4 });
    const reg = new PairRegistry(generic, P);
    const online = Array.from({ length: P }, (_, i) => OnlineMOA.forFocal(reg, i, { capacity: 100 }));
    const reports = feedOnline(online, s, [ep]);
    expect(reports).toHaveLength(0); // nothing is full yet
    const stored = (i: number, m: number) => {
      const b = online[i].buffers[m];
      const d = b.dataset(2);
      return Array.from({ length: b.size }, (_, k) => [d.obs[k * O], d.time[k], d.action[k], b.labels()[k]]);
    };
    // focal 0 sees co-players 1 (m = 0) and 2 (m = 1): player 1's steps at t = 0..2 labelled stag (0);
    // player 2 achieved nothing, so its episode is dropped.
    expect(stored(0, 0)).toEqual([[1, 0, 3, 0], [4, 1, 0, 0], [6, 2, 5, 0]]);
    expect(stored(0, 1)).toEqual([]);
    // focal 1 sees player 0 (hare at t = 1: steps t = 0, 1) and player 2 (dropped)
    expect(stored(1, 0)).toEqual([[0, 0, 1, 1], [3, 1, 6, 1]]);
    expect(stored(1, 1)).toEqual([]);
    // focal 2 sees both
    expect(stored(2, 0)).toEqual([[0, 0, 1, 1], [3, 1, 6, 1]]);
    expect(stored(2, 1)).toEqual([[1, 0, 3, 0], [4, 1, 0, 0], [6, 2, 5, 0]]);
    reg.dispose();
    generic.dispose();
  });

  it('the policy / value loss is (CE(pi, p) + MSE(V, G)) / 2, training lowers it, and nothing leaks', async () => {
    const t = team(policy, registry, 2);
    const net = buildPolicy({ ...config, seed: 77 }, game);
    const learner = new PolicyLearner(net, { learningRate: 3e-3, epochs: 1, minibatch: 4096, maxGradNorm: 1 });
    const batch = (await runRollout(t, game.config, { seed: 7, envStart: 0, numEnvs: 2, episodesPerEnv: 1, gamma: 0.95 })).samples;
    // The loss worked out independently from the network's outputs before the step.
    const logp = net.logProbs({ obs: batch.obs, mask: batch.mask, time: batch.time });
    const v = net.value({ obs: batch.obs, mask: batch.mask, time: batch.time });
    const lp = logp.dataSync();
    const vv = v.dataSync();
    tf.dispose([logp, v]);
    let ce = 0;
    let mse = 0;
    for (let k = 0; k < batch.count; k++) {
      for (let a = 0; a < 7; a++) if (batch.policy[k * 7 + a] > 0) ce -= batch.policy[k * 7 + a] * lp[k * 7 + a];
      mse += (vv[k] - batch.ret[k]) ** 2;
    }
    ce /= batch.count;
    mse /= batch.count;
    const first = learner.update(batch, new Rng(1), 1);
    expect(first.steps).toBe(1);
    expect(first.policyLoss).toBeCloseTo(ce, 4);
    expect(first.valueLoss).toBeCloseTo(mse, 4);
    expect(first.totalLoss).toBeCloseTo((ce + mse) / 2, 4);
    // The CE cannot fall below the targets' entropy: what training must remove is the excess over it.
    let entropy = 0;
    for (let k = 0; k < batch.policy.length; k++) if (batch.policy[k] > 0) entropy -= batch.policy[k] * Math.log(batch.policy[k]);
    entropy /= batch.count;
    learner.update(batch, new Rng(2), 60);
    const after = learner.update(batch, new Rng(3), 1);
    expect(after.policyLoss - entropy).toBeLessThan(0.5 * (first.policyLoss - entropy));
    expect(after.valueLoss).toBeLessThan(0.5 * first.valueLoss);
    // A long run does not grow in tensors: rollouts and updates free what they make.
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) learner.update((await runRollout(t, game.config, { seed: 8 + k, envStart: 0, numEnvs: 2, episodesPerEnv: 1, gamma: 0.95 })).samples, new Rng(k), 2);
    expect(tf.memory().numTensors).toBe(before);
    learner.dispose();
    net.dispose();
  });

  it('HopAgent plays in a plain loop: seeded decisions, beliefs over the co-player', async () => {
    const make = (seed: number, decisions: 'greedy' | 'sample') =>
      new HopAgent({ focal: 0, game, policy, registry, goals: discreteGoals(3, 2), decisions, seed, planner: { numSimulations: 8, numTrees: 2 } });
    const play = async (agent: HopAgent) => {
      const env = new VecStagHunt('small-2p', { numEnvs: 1, seed: 11, autoReset: false, observations: 'none' });
      agent.startEpisode(env.states, 0);
      const acts: number[] = [];
      const actions = new Int32Array(2);
      while (!env.ended[0]) {
        actions[0] = await agent.act(env.states, 0);
        actions[1] = 4; // the co-player stays
        acts.push(actions[0]);
        env.step(actions);
        await agent.observe(env.states, 0, actions);
      }
      const belief = agent.belief();
      expect(belief).toHaveLength(2);
      expect(belief[0] + belief[1]).toBeCloseTo(1, 5);
      agent.endEpisode([-1, -1]);
      return acts;
    };
    const a = await play(make(4, 'greedy'));
    expect(a.length).toBeGreaterThan(0);
    expect(await play(make(4, 'greedy'))).toEqual(a);
    const s4 = await play(make(4, 'sample'));
    expect(await play(make(4, 'sample'))).toEqual(s4);
    expect(await play(make(5, 'sample'))).not.toEqual(s4);
    expect(() => new HopAgent({ focal: 2, game, policy, registry, goals: discreteGoals(3, 2), decisions: 'greedy', seed: 0 })).toThrow(/focal player 2/);
    expect(() => discreteGoals(5, 2)).toThrow(/goal of width 5/);
  });
});

describe('resume on another inference engine', () => {
  it('says so, naming both engines and how to resume on the first; silent when the engine is the same or unknown', async () => {
    const { warnEngineChange } = await import('../src/run/lifecycle');
    const env = (engine: 'onnx' | 'tfjs' | null) =>
      ({ inference: engine ? { engine, reason: 'test', threads: 1, executionProvider: 'cpu' } : null }) as unknown as Parameters<typeof warnEngineChange>[0];
    const lines: string[] = [];
    warnEngineChange(env('onnx'), env('tfjs'), (l) => lines.push(l));
    expect(lines).toEqual([expect.stringMatching(/last trained on the onnx inference engine and resumes on tfjs; .* \(HOP_INFERENCE=onnx resumes on the same engine\)/)]);
    warnEngineChange(env('tfjs'), env('tfjs'), (l) => lines.push(l));
    warnEngineChange(env(null), env('onnx'), (l) => lines.push(l));
    expect(lines).toHaveLength(1);
  });
});

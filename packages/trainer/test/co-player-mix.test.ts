import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, initBackend } from '@hop/core';
import {
  AGENT_KINDS,
  BatchedCommitted,
  COMMITTED_DEFAULTS,
  POPULATIONS,
  TRAINING_CO_PLAYERS,
  VecStagHunt,
  createStagHuntSimulator,
} from '@hop/env-staghunt';
import { MOAModel, PairRegistry } from '@hop/moa';
import { SelfPlayConfigSchema } from '../src/algos/hop/settings';
import { discreteGoals } from '../src/team/goals';
import { PolicyLearner, type LearnerBatch } from '../src/algos/hop/learner';
import { buildPolicy } from '../src/team/models';
import { hindsightCoGoals } from '../src/team/focal-goals';
import { runRollout, type RolloutResult, type RolloutSamples, type RolloutSpec } from '../src/algos/hop/rollout';
import { coPlayerDecisionSeed, coPlayerTeam, drawCoPlayers } from '../src/algos/hop/co-players';
import { coPlayerMixMetrics } from '../src/algos/hop/metrics';
import { ADAPT_CO_PLAYERS, REFERENCE_POPULATIONS } from '../src/eval/protocol';
import { HopTeam } from '../src/team/team';
import { trainConfigOf } from '../src/train/command';

const game = createStagHuntSimulator('small-2p');
const config = SelfPlayConfigSchema.parse({ env: 'small-2p', policyFilters: [8], policyHidden: 16, seed: 5 });

function team(policy: MOAModel, registry: PairRegistry, numEnvs: number): HopTeam {
  return new HopTeam({ game, policy, registry, goals: discreteGoals(registry.generic.goalDim, game.numGoals), planner: { numSimulations: 4, numTrees: 1 }, numEnvs });
}

const spec = (over: Partial<RolloutSpec>): RolloutSpec => ({ seed: 3, envStart: 0, numEnvs: 4, episodesPerEnv: 2, gamma: 0.95, ...over });

const COLUMNS = ['obs', 'mask', 'time', 'action', 'policy', 'reward', 'ret', 'player', 'env', 'episode', 'goal', 'learn'] as const;

function sameSamples(a: RolloutSamples, b: RolloutSamples): boolean {
  if (a.count !== b.count) return false;
  return COLUMNS.every((k) => a[k].length === b[k].length && a[k].every((v, i) => Object.is(v, b[k][i])));
}

describe('--co-player-mix: the training population', () => {
  it('never names an evaluation type (agent kinds, rule populations, the adapt and reference co-players)', () => {
    // Mutation caught: a training population named like an evaluation type ('hare', 'nearest-stag', ...).
    const evaluation = new Set<string>([...AGENT_KINDS, ...POPULATIONS, ...ADAPT_CO_PLAYERS, ...REFERENCE_POPULATIONS]);
    expect(evaluation.size).toBe(7); // random, nearest-stag, nearest-hare, switching, stag, hare, mixed
    expect(TRAINING_CO_PLAYERS).toEqual(['committed']);
    for (const name of TRAINING_CO_PLAYERS) expect(evaluation.has(name), name).toBe(false);
  });

  it('a setting of hop, hop-wm and direct-om; refused by name for ppo and hop-onestep (no planner to train beside them)', () => {
    for (const algo of ['hop', 'hop-wm', 'direct-om'])
      expect(trainConfigOf({ algo, coPlayerMix: 0.5, ...(algo === 'hop-wm' ? { worldModel: 'wm-run' } : {}) }).config.coPlayerMix, algo).toBe(0.5);
    expect(trainConfigOf({ algo: 'hop' }).config.coPlayerMix).toBe(0);
    for (const algo of ['ppo', 'hop-onestep']) expect(() => trainConfigOf({ algo, coPlayerMix: 0.5 }), algo).toThrow(/unknown key "coPlayerMix" from --co-player-mix/);
    expect(() => trainConfigOf({ algo: 'hop', coPlayerMix: 1.5 })).toThrow(/"coPlayerMix" = 1.5 \(from --co-player-mix\) is invalid/);
  });

  it('draws rule envs with probability mix, and all-hare, all-stag and mixed teams 3/8, 3/8, 1/4', () => {
    // P = 4, mix 1: q in {0, .5, 1} each 1/3; all-hare = 1/3 + 1/3 * 1/8 = 0.375 = all-stag, mixed = 1/3 * 6/8 = 0.25.
    // n = 3000: SE(0.375) = sqrt(.375 * .625 / 3000) = 0.0088, 5 SE = 0.044.
    const n = 3000;
    const out = new Int32Array(4);
    const teams = { hare: 0, stag: 0, mixed: 0 };
    for (let e = 0; e < n; e++) {
      expect(drawCoPlayers(11, e, 0, 1, 4, out, 0)).toBe(true);
      expect(out[0]).toBe(-1); // player 0 stays the learner
      teams[coPlayerTeam(Array.from(out))]++;
    }
    expect(Math.abs(teams.hare / n - 0.375)).toBeLessThan(0.044);
    expect(Math.abs(teams.stag / n - 0.375)).toBeLessThan(0.044);
    expect(Math.abs(teams.mixed / n - 0.25)).toBeLessThan(5 * Math.sqrt((0.25 * 0.75) / n));
    // mix 0.3 over (env, episode) pairs: SE = sqrt(.3 * .7 / 3000) = 0.0084, 5 SE = 0.042; mix 0 never.
    let ruled = 0;
    for (let e = 0; e < n; e++) ruled += drawCoPlayers(11, e % 100, Math.floor(e / 100), 0.3, 4, out, 0) ? 1 : 0;
    expect(Math.abs(ruled / n - 0.3)).toBeLessThan(0.042);
    for (let e = 0; e < 200; e++) expect(drawCoPlayers(11, e, 0, 0, 4, out, 0)).toBe(false);
    expect(Array.from(out)).toEqual([-1, -1, -1, -1]);
  });

  it('metrics: player 0 return by co-player team, the fraction of rule episodes, self-play return per player', () => {
    const m = coPlayerMixMetrics([
      { returns: [1, 1, 1, 1], coPlayers: [-1, 1, 1, 1] },
      { returns: [3, 0, 0, 0], coPlayers: [-1, 1, 1, 1] },
      { returns: [5, 5, 5, 5], coPlayers: [-1, 0, 0, 0] },
      { returns: [0, 5, 5, 1], coPlayers: [-1, 0, 0, 1] },
      { returns: [4, 2, 0, 2], coPlayers: null },
    ]);
    expect(m).toEqual({
      'mix/fraction': 0.8,
      'mix/return_vs_hare': 2,
      'mix/return_vs_stag': 5,
      'mix/return_vs_mixed': 0,
      'mix/episodes_vs_hare': 2,
      'mix/episodes_vs_stag': 1,
      'mix/episodes_vs_mixed': 1,
      'mix/return_selfplay': 2,
    });
  });
});

describe('--co-player-mix in the rollout', () => {
  let policy: MOAModel;
  let registry: PairRegistry;
  beforeAll(async () => {
    await initBackend();
    policy = buildPolicy(config, game);
    const generic = new MOAModel({ observationShape: [...game.observationShape], numActions: 7, goalDim: 3, maxTime: game.config.finalTime, convFilters: [8], hiddenUnits: 16, seed: 1 });
    registry = new PairRegistry(generic, game.numAgents);
  });

  it('mix 1: player 1 is the committed agent replayed from its seeds, kept with learn 0 and no policy target', async () => {
    const r = await runRollout(team(policy, registry, 2), game.config, spec({ numEnvs: 2, coPlayerMix: 1 }));
    const s = r.samples;
    const P = 2;
    const A = 7;
    // Only player 0 was planned: decisions = its rows; every episode has a committed player 1.
    const rows0 = s.player.filter((p) => p === 0).length;
    expect(r.decisions).toBe(rows0);
    expect(r.episodes.every((e) => e.coPlayers !== null && e.coPlayers[0] === -1 && e.coPlayers[1] >= 0)).toBe(true);
    for (let k = 0; k < s.count; k++) {
      expect(s.learn[k]).toBe(s.player[k] === 0 ? 1 : 0);
      if (s.player[k] === 1) expect(Array.from(s.policy.subarray(k * A, (k + 1) * A))).toEqual([0, 0, 0, 0, 0, 0, 0]);
    }
    // Replay every episode in a fresh vector with the recorded joint actions: player 1's action at each step is
    // the committed agent's, from coPlayerDecisionSeed. Mutation caught: another seed label or a planned player 1.
    let replayed = 0;
    for (const ep of r.episodes) {
      const vec = new VecStagHunt(game.config, { numEnvs: 1, seed: 3, observations: 'none', autoReset: false, streamOffset: ep.env });
      for (let e = 0; e < ep.episode; e++) vec.resetEnv(0);
      const agent = new BatchedCommitted(vec, COMMITTED_DEFAULTS);
      agent.startEpisode(vec, 0);
      const steps = Array.from({ length: s.count }, (_, k) => k).filter((k) => s.env[k] === ep.env && s.episode[k] === ep.episode);
      const acts = new Int32Array(P).fill(4);
      for (let t = 0; !vec.ended[0]; t++) {
        acts.fill(4);
        for (const k of steps.filter((k) => s.time[k] === t)) acts[s.player[k]] = s.action[k];
        const k1 = steps.find((k) => s.time[k] === t && s.player[k] === 1);
        if (k1 !== undefined) {
          expect(agent.act(vec, 0, 1, ep.coPlayers![1], new Rng(coPlayerDecisionSeed(3, ep.env, ep.episode, t, 1)))).toBe(s.action[k1]);
          replayed++;
        }
        vec.step(acts);
      }
      expect(vec.lastEpisode(0)!.returns).toEqual(ep.returns);
    }
    expect(replayed).toBeGreaterThan(10);
    // The co-player's hindsight goal reaches player 0's rows (what --focal-goals co-player trains on).
    const co = hindsightCoGoals(s, P);
    let seen = 0;
    for (let k = 0; k < s.count; k++) {
      if (s.player[k] !== 0) continue;
      const ep = r.episodes.find((e) => e.env === s.env[k] && e.episode === s.episode[k])!;
      const hasRow = Array.from({ length: s.count }, (_, j) => j).some((j) => s.player[j] === 1 && s.env[j] === s.env[k] && s.episode[j] === s.episode[k] && s.time[j] === s.time[k]);
      expect(co[k * P + 1]).toBe(hasRow ? ep.achieved[1] : -1);
      if (hasRow && ep.achieved[1] >= 0) seen++;
    }
    expect(seen).toBeGreaterThan(0);
  });

  it('mix 0 is the self-play rollout bit for bit; another seed differs (control)', async () => {
    const before = await runRollout(team(policy, registry, 4), game.config, spec({}));
    const zero = await runRollout(team(policy, registry, 4), game.config, spec({ coPlayerMix: 0 }));
    expect(sameSamples(before.samples, zero.samples)).toBe(true);
    expect(zero.episodes.map((e) => [e.returns, e.coPlayers])).toEqual(before.episodes.map((e) => [e.returns, null]));
    expect(zero.samples.learn.every((v) => v === 1)).toBe(true);
    const other = await runRollout(team(policy, registry, 4), game.config, spec({ seed: 4, coPlayerMix: 0 }));
    expect(sameSamples(other.samples, zero.samples)).toBe(false);
  });

  it('mix 0.5: slices of environments (as workers play them) concatenate to the one-slice rollout', async () => {
    const whole = await runRollout(team(policy, registry, 4), game.config, spec({ coPlayerMix: 0.5 }));
    const parts: RolloutResult[] = [
      await runRollout(team(policy, registry, 1), game.config, spec({ numEnvs: 1, coPlayerMix: 0.5 })),
      await runRollout(team(policy, registry, 3), game.config, spec({ envStart: 1, numEnvs: 3, coPlayerMix: 0.5 })),
    ];
    const ruled = whole.episodes.filter((e) => e.coPlayers).length;
    // both kinds of environment occur in this rollout (seed 3: checked, so the split test means something)
    expect(ruled).toBeGreaterThan(0);
    expect(ruled).toBeLessThan(whole.episodes.length);
    const cat = (k: (typeof COLUMNS)[number]) => [...parts[0].samples[k], ...parts[1].samples[k]];
    for (const k of COLUMNS) expect(cat(k), k).toEqual([...whole.samples[k]]);
    expect([...parts[0].episodes, ...parts[1].episodes].map((e) => [e.returns, e.coPlayers])).toEqual(whole.episodes.map((e) => [e.returns, e.coPlayers]));
  });
});

describe('the policy / value update skips learn = 0 rows', () => {
  beforeAll(async () => {
    await initBackend();
  });

  function batch(n: number, learn: number[], seed: number): LearnerBatch {
    const rng = new Rng(seed);
    const O = game.observationSize;
    const A = 7;
    const policy = new Float32Array(n * A);
    for (let k = 0; k < n; k++) policy[k * A + rng.int(A)] = 1;
    return {
      count: n,
      obs: Float32Array.from({ length: n * O }, () => (rng.next() < 0.2 ? 1 : 0)),
      mask: new Uint8Array(n * A).fill(1),
      time: Float32Array.from({ length: n }, () => rng.int(10)),
      policy,
      ret: Float32Array.from({ length: n }, () => rng.next() * 5),
      learn: Uint8Array.from(learn),
    };
  }

  async function updated(b: LearnerBatch): Promise<number[]> {
    const net = buildPolicy(config, game); // same seed: same initial weights
    const learner = new PolicyLearner(net, { learningRate: 1e-2, epochs: 2, minibatch: 4, maxGradNorm: 1 });
    learner.update(b, new Rng(7));
    const w = net.net.getWeights().flatMap((t) => Array.from(t.dataSync()));
    learner.dispose();
    net.dispose();
    return w;
  }

  it('changing the targets of learn = 0 rows changes nothing; the same change on learned rows does (control)', async () => {
    const learn = [1, 0, 1, 1, 0, 1, 0, 1, 1, 1];
    const a = batch(10, learn, 1);
    const b = { ...a, policy: a.policy.slice(), ret: a.ret.slice() };
    for (const k of [1, 4, 6]) {
      b.policy.fill(0, k * 7, (k + 1) * 7);
      b.policy[k * 7 + 6] = 1;
      b.ret[k] = -9;
    }
    const wa = await updated(a);
    expect(await updated(b)).toEqual(wa);
    // the kept rows alone, without the skipped ones, give the very same update
    const keep = [0, 2, 3, 5, 7, 8, 9];
    const only: LearnerBatch = {
      count: 7,
      obs: Float32Array.from(keep.flatMap((k) => Array.from(a.obs.subarray(k * game.observationSize, (k + 1) * game.observationSize)))),
      mask: new Uint8Array(7 * 7).fill(1),
      time: Float32Array.from(keep, (k) => a.time[k]),
      policy: Float32Array.from(keep.flatMap((k) => Array.from(a.policy.subarray(k * 7, (k + 1) * 7)))),
      ret: Float32Array.from(keep, (k) => a.ret[k]),
    };
    expect(await updated(only)).toEqual(wa);
    // control: with every row learned, the same target change moves the weights (mutation caught: a learner that ignores `learn`)
    const all = { ...a, learn: new Uint8Array(10).fill(1) };
    expect(await updated({ ...b, learn: all.learn })).not.toEqual(await updated(all));
  });
});

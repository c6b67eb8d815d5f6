import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { CounterRng, Rng, initBackend } from '@hop/core';
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
import { coPlayerGoalLabels } from '../src/team/focal-goals';
import { permuteSamples, runRollout, type RolloutResult, type RolloutSamples, type RolloutSpec } from '../src/algos/hop/rollout';
import { SAMPLE_COLUMNS, sameSamples } from './rollout-samples';
import { feedOnline, onlineMoaFor } from '../src/beliefs/online-feed';
import { coPlayerDecision, coPlayerRowWeights, coPlayerStreamSeed, coPlayerTeam, drawCoPlayers } from '../src/algos/hop/co-players';
import { coPlayerMixMetrics } from '../src/algos/hop/metrics';
import { episodeMetrics } from '../src/metrics/scalars';
import { ADAPT_CO_PLAYERS, REFERENCE_POPULATIONS } from '../src/eval/protocol';
import { HopTeam } from '../src/team/team';
import { trainConfigOf } from '../src/train/command';
import { coPlayerMixAt, evaluationSpec, rolloutSpec } from '../src/algos/hop/runner';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runHopInProcess, tempDir } from './helpers';
import { expectPlanningKey } from './train-keys';

const game = createStagHuntSimulator('small-2p');
const config = SelfPlayConfigSchema.parse({ env: 'small-2p', policyFilters: [8], policyHidden: 16, seed: 5 });

function team(policy: MOAModel, registry: PairRegistry, numEnvs: number): HopTeam {
  return new HopTeam({ game, policy, registry, goals: discreteGoals(registry.generic.goalDim, game.numGoals), planner: { numSimulations: 4, numTrees: 1 }, numEnvs });
}

const spec = (over: Partial<RolloutSpec>): RolloutSpec => ({ seed: 3, envStart: 0, numEnvs: 4, episodesPerEnv: 2, gamma: 0.95, ...over });

/** A learner batch of `n` random rows (one-hot policy targets, returns in [0, 5)), drawn from `seed`. */
function randomBatch(n: number, seed: number): LearnerBatch {
  const rng = new Rng(seed);
  const A = 7;
  const policy = new Float32Array(n * A);
  for (let k = 0; k < n; k++) policy[k * A + rng.int(A)] = 1;
  return {
    count: n,
    obs: Float32Array.from({ length: n * game.observationSize }, () => (rng.next() < 0.2 ? 1 : 0)),
    mask: new Uint8Array(n * A).fill(1),
    time: Float32Array.from({ length: n }, () => rng.int(10)),
    policy,
    ret: Float32Array.from({ length: n }, () => rng.next() * 5),
  };
}

/**
 * Replays every episode of a 2-player rollout in a fresh vector with the recorded joint actions, asking a committed
 * agent of `epsilon` for player 1's action at each step (draws from coPlayerDecision's counter-based stream).
 */
function replayRulePlayer(
  r: RolloutResult,
  seed: number,
  epsilon: number,
): { replayed: number; mismatches: number; returnsAgree: boolean; intents: Map<number, number> } {
  const s = r.samples;
  const P = 2;
  const cursor = new CounterRng();
  let replayed = 0;
  let mismatches = 0;
  let returnsAgree = true;
  // each rule row's expected intent: its committed goal while a prey of that kind is left in the replayed state
  const intents = new Map<number, number>();
  const available = new Uint8Array(game.numGoals);
  for (const ep of r.episodes) {
    const vec = new VecStagHunt(game.config, { numEnvs: 1, seed, observations: 'none', autoReset: false, streamOffset: ep.env });
    for (let e = 0; e < ep.episode; e++) vec.resetEnv(0);
    const agent = new BatchedCommitted(vec, { ...COMMITTED_DEFAULTS, epsilon });
    agent.startEpisode(vec, 0);
    const steps = Array.from({ length: s.count }, (_, k) => k).filter((k) => s.env[k] === ep.env && s.episode[k] === ep.episode);
    const acts = new Int32Array(P).fill(4);
    for (let t = 0; !vec.ended[0]; t++) {
      acts.fill(4);
      for (const k of steps.filter((k) => s.time[k] === t)) acts[s.player[k]] = s.action[k];
      const k1 = steps.find((k) => s.time[k] === t && s.player[k] === 1);
      if (k1 !== undefined) {
        game.goalsAvailable({ states: vec.states, slots: Int32Array.of(0), count: 1 }, available);
        intents.set(k1, available[ep.coPlayers![1]] ? ep.coPlayers![1] : -1);
        if (agent.act(vec, 0, 1, ep.coPlayers![1], coPlayerDecision(cursor, coPlayerStreamSeed(seed), ep.env, ep.episode, t, 1)) !== s.action[k1]) mismatches++;
        replayed++;
      }
      vec.step(acts);
    }
    returnsAgree &&= JSON.stringify(vec.lastEpisode(0)!.returns) === JSON.stringify(ep.returns);
  }
  return { replayed, mismatches, returnsAgree, intents };
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

  it('--co-player-mix-until n: the mix in iterations 1..n, pure self-play after; every iteration without it', () => {
    const c = SelfPlayConfigSchema.parse({ env: 'small-2p', coPlayerMix: 0.25, coPlayerMixUntil: 40 });
    expect([1, 39, 40, 41, 80].map((it) => coPlayerMixAt(c, it))).toEqual([0.25, 0.25, 0.25, 0, 0]);
    expect([40, 41].map((it) => rolloutSpec(c, it, 0, 4).coPlayerMix)).toEqual([0.25, 0]);
    // control: without the key the mix holds at every iteration
    const always = SelfPlayConfigSchema.parse({ env: 'small-2p', coPlayerMix: 0.25 });
    expect(always.coPlayerMixUntil).toBeUndefined();
    expect([1, 41, 80].map((it) => rolloutSpec(always, it, 0, 4).coPlayerMix)).toEqual([0.25, 0.25, 0.25]);
    // the held-out evaluation never has rule co-players, before or after
    expect(evaluationSpec(c, 10).coPlayerMix).toBeUndefined();
    expectPlanningKey('coPlayerMixUntil', '--co-player-mix-until', 3, { coPlayerMix: 0.5 });
    for (const bad of [0, 2.5]) expect(() => trainConfigOf({ algo: 'hop', coPlayerMix: 0.5, coPlayerMixUntil: bad })).toThrow(/"coPlayerMixUntil" = .* \(from --co-player-mix-until\) is invalid/);
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
      // the rule players' returns: (1 + 1 + 1) + (0 + 0 + 0) + (5 + 5 + 5) + (5 + 5 + 1) over 12 rule players
      'mix/return_rule_players': 29 / 12,
    });
    expect(coPlayerMixMetrics([{ returns: [4, 2], coPlayers: null }])['mix/return_rule_players']).toBeUndefined();
  });

  it('charts/episodic_return is the learners\' return: player 0 beside rule co-players, every player in self-play', () => {
    const ep = (returns: number[], coPlayers: number[] | null) => ({ returns, coPlayers, stags: 1, hares: 0, length: 10 });
    const m = episodeMetrics([ep([3, 0, 0, 0], [-1, 1, 1, 1]), ep([4, 2, 0, 2], null), ep([1, 5, 5, 5], [-1, 0, 0, 0])], 'charts');
    // per episode: 3 (player 0 only), (4 + 2 + 0 + 2) / 4 = 2, 1 (player 0 only): mean 2, population std sqrt(2/3)
    expect(m['charts/episodic_return']).toBe(2);
    expect(m['charts/episodic_return_std']).toBeCloseTo(Math.sqrt(2 / 3), 12);
    expect(m['charts/episodes']).toBe(3);
    // control: without the rule marks every player counts (the old mean over all players: 0.75, 2, 4)
    const all = episodeMetrics([ep([3, 0, 0, 0], null), ep([4, 2, 0, 2], null), ep([1, 5, 5, 5], null)], 'charts');
    expect(all['charts/episodic_return']).toBeCloseTo((0.75 + 2 + 4) / 3, 12);
  });

  it('--co-player-epsilon: default 0.1, 0..1, a named error outside; refused where --co-player-mix is', () => {
    expect(trainConfigOf({ algo: 'hop' }).config.coPlayerEpsilon).toBe(0.1);
    for (const algo of ['hop', 'hop-wm', 'direct-om'])
      expect(trainConfigOf({ algo, coPlayerMix: 0.5, coPlayerEpsilon: 0, ...(algo === 'hop-wm' ? { worldModel: 'wm-run' } : {}) }).config.coPlayerEpsilon, algo).toBe(0);
    expect(trainConfigOf({ algo: 'hop', coPlayerEpsilon: 1 }).config.coPlayerEpsilon).toBe(1);
    for (const bad of [1.5, -0.1])
      expect(() => trainConfigOf({ algo: 'hop', coPlayerEpsilon: bad })).toThrow(
        new RegExp(`"coPlayerEpsilon" = ${bad} \\(from --co-player-epsilon\\) is invalid: a probability must be between 0 and 1`),
      );
    for (const algo of ['ppo', 'hop-onestep']) expect(() => trainConfigOf({ algo, coPlayerEpsilon: 0.2 }), algo).toThrow(/unknown key "coPlayerEpsilon" from --co-player-epsilon/);
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
    // the committed agent's, from the counter-based draws of coPlayerDecision. Mutation caught: another key or a
    // planned player 1.
    const replay = replayRulePlayer(r, 3, COMMITTED_DEFAULTS.epsilon);
    expect(replay.mismatches).toBe(0);
    expect(replay.returnsAgree).toBe(true);
    expect(replay.replayed).toBeGreaterThan(10);
    // The co-player's hindsight goal reaches player 0's rows (what --focal-goals co-player trains on).
    const co = coPlayerGoalLabels(s, P);
    let seen = 0;
    for (let k = 0; k < s.count; k++) {
      if (s.player[k] !== 0) continue;
      const ep = r.episodes.find((e) => e.env === s.env[k] && e.episode === s.episode[k])!;
      const hasRow = Array.from({ length: s.count }, (_, j) => j).some((j) => s.player[j] === 1 && s.env[j] === s.env[k] && s.episode[j] === s.episode[k] && s.time[j] === s.time[k]);
      expect(co[k * P + 1]).toBe(hasRow ? ep.achieved[1] : -1);
      if (hasRow && ep.achieved[1] >= 0) seen++;
    }
    expect(seen).toBeGreaterThan(0);
    // Each row carries its player's committed goal (the planner: -1); --focal-goal-labels committed puts it in
    // player 0's goal input wherever player 1 still plays, also where it achieved nothing.
    // (while a prey of that kind is left; -1 once it is gone, as a tree's co-player then has no goal)
    const committed = coPlayerGoalLabels(s, P, 'committed');
    let differ = 0;
    let gone = 0;
    const rowAt = new Map<string, number>();
    for (let k = 0; k < s.count; k++) if (s.player[k] === 1) rowAt.set(`${s.env[k]}|${s.episode[k]}|${s.time[k]}`, k);
    for (let k = 0; k < s.count; k++) {
      if (s.player[k] === 1) {
        expect(s.intent[k]).toBe(replay.intents.get(k));
        if (s.intent[k] === -1) gone++;
        continue;
      }
      expect(s.intent[k]).toBe(-1);
      const k1 = rowAt.get(`${s.env[k]}|${s.episode[k]}|${s.time[k]}`);
      expect(committed[k * P + 1]).toBe(k1 === undefined ? -1 : s.intent[k1] >= 0 ? s.intent[k1] : s.goal[k1]);
      if (committed[k * P + 1] !== co[k * P + 1]) differ++;
    }
    expect(replay.intents.size).toBe(replay.replayed);
    expect(differ).toBeGreaterThan(0);
    console.log(`committed labels: ${differ} of player 0's rows differ from hindsight; ${gone} rule rows with their prey kind gone`);
  });

  it("intent: -1 once a rule co-player's prey kind is gone (3 players, one hare: another may take it first)", async () => {
    const oneHare = createStagHuntSimulator({ ...game.config, players: 3, hares: 1 });
    const policy3 = buildPolicy(config, oneHare);
    const generic3 = new MOAModel({ observationShape: [...oneHare.observationShape], numActions: 7, goalDim: 3, maxTime: oneHare.config.finalTime, convFilters: [8], hiddenUnits: 16, seed: 1 });
    const registry3 = new PairRegistry(generic3, 3);
    const t = new HopTeam({ game: oneHare, policy: policy3, registry: registry3, goals: discreteGoals(3, oneHare.numGoals), planner: { numSimulations: 4, numTrees: 1 }, numEnvs: 8 });
    const r = await runRollout(t, oneHare.config, spec({ numEnvs: 8, episodesPerEnv: 2, coPlayerMix: 1 }));
    const s = r.samples;
    // players 1 and 2 are rule co-players: replay each env with the recorded actions and read what was left
    const expected = new Map<number, number>();
    const available = new Uint8Array(oneHare.numGoals);
    for (const ep of r.episodes) {
      const vec = new VecStagHunt(oneHare.config, { numEnvs: 1, seed: 3, observations: 'none', autoReset: false, streamOffset: ep.env });
      for (let e = 0; e < ep.episode; e++) vec.resetEnv(0);
      const steps = Array.from({ length: s.count }, (_, k) => k).filter((k) => s.env[k] === ep.env && s.episode[k] === ep.episode);
      const acts = new Int32Array(3);
      for (let time = 0; !vec.ended[0]; time++) {
        acts.fill(4);
        oneHare.goalsAvailable({ states: vec.states, slots: Int32Array.of(0), count: 1 }, available);
        for (const k of steps.filter((k) => s.time[k] === time)) {
          acts[s.player[k]] = s.action[k];
          if (s.player[k] > 0) expected.set(k, available[ep.coPlayers![s.player[k]]] ? ep.coPlayers![s.player[k]] : -1);
        }
        vec.step(acts);
      }
      expect(JSON.stringify(vec.lastEpisode(0)!.returns)).toBe(JSON.stringify(ep.returns));
    }
    let gone = 0;
    let kept = 0;
    for (let k = 0; k < s.count; k++) {
      if (s.player[k] === 0) {
        expect(s.intent[k]).toBe(-1);
        continue;
      }
      expect(s.intent[k]).toBe(expected.get(k));
      const committedTo = r.episodes.find((e) => e.env === s.env[k] && e.episode === s.episode[k])!.coPlayers![s.player[k]];
      if (s.intent[k] === -1) gone++;
      else {
        expect(s.intent[k]).toBe(committedTo);
        kept++;
      }
    }
    // both cases occur at this seed (checked), so the replayed availability is what decides
    expect(gone).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(gone);
    expect(expected.size).toBe(kept + gone);
    registry3.dispose();
    generic3.dispose();
    policy3.dispose();
  });

  it('--co-player-epsilon reaches the rule players: epsilon 0 replays with epsilon 0, not with 0.1 (control)', async () => {
    const r = await runRollout(team(policy, registry, 2), game.config, spec({ numEnvs: 2, coPlayerMix: 1, coPlayerEpsilon: 0 }));
    const same = replayRulePlayer(r, 3, 0);
    expect(same.mismatches).toBe(0);
    expect(same.replayed).toBeGreaterThan(10);
    // the default agent's random actions (10% of steps, and the draws they consume) show up at seed 3 (checked)
    expect(replayRulePlayer(r, 3, 0.1).mismatches).toBeGreaterThan(0);
  });

  it("rule decisions are keyed by the rollout's seed: the same env and episode under another seed draw otherwise (control)", async () => {
    const a = new CounterRng();
    const b = new CounterRng();
    const draws = (c: CounterRng, seed: number) => Array.from({ length: 40 }, (_, t) => coPlayerDecision(c, coPlayerStreamSeed(seed), 2, 1, t, 1).next());
    expect(draws(a, 3)).toEqual(draws(b, 3));
    const other = draws(b, 4);
    expect(other.filter((u, t) => u === draws(a, 3)[t]).length).toBe(0);
    // the key words: env, episode, step and player each move the stream
    const first = (env: number, episode: number, t: number, p: number) => coPlayerDecision(a, coPlayerStreamSeed(3), env, episode, t, p).next();
    const base = first(2, 1, 5, 1);
    for (const [env, episode, t, p] of [[3, 1, 5, 1], [2, 2, 5, 1], [2, 1, 6, 1], [2, 1, 5, 2]]) expect(first(env, episode, t, p)).not.toBe(base);
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
    const cat = (k: (typeof SAMPLE_COLUMNS)[number]) => [...parts[0].samples[k], ...parts[1].samples[k]];
    for (const k of SAMPLE_COLUMNS) expect(cat(k), k).toEqual([...whole.samples[k]]);
    expect([...parts[0].episodes, ...parts[1].episodes].map((e) => [e.returns, e.coPlayers])).toEqual(whole.episodes.map((e) => [e.returns, e.coPlayers]));
  });
});

describe('the policy / value update skips learn = 0 rows', () => {
  beforeAll(async () => {
    await initBackend();
  });

  const batch = (n: number, learn: number[], seed: number): LearnerBatch => ({ ...randomBatch(n, seed), learn: Uint8Array.from(learn) });

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

  it('--co-player-value-rows: policy-masked rows train the value only (their policy targets change nothing, their returns do)', async () => {
    const mask = [1, 0, 1, 1, 0, 1, 0, 1, 1, 1];
    const a = { ...batch(10, mask, 2), learn: undefined, policyMask: Uint8Array.from(mask) };
    const otherTargets = { ...a, policy: a.policy.slice() };
    for (const k of [1, 4, 6]) {
      otherTargets.policy.fill(0, k * 7, (k + 1) * 7);
      otherTargets.policy[k * 7 + 6] = 1;
    }
    // (the new targets differ from the drawn ones on these rows)
    expect([1, 4, 6].some((k) => a.policy[k * 7 + 6] !== 1)).toBe(true);
    const wa = await updated(a);
    expect(await updated(otherTargets)).toEqual(wa);
    // control: the same change on a row with a policy target moves the weights
    const onKept = { ...a, policy: a.policy.slice() };
    onKept.policy.fill(0, 0, 7);
    onKept.policy[a.policy[6] === 1 ? 5 : 6] = 1;
    expect(await updated(onKept)).not.toEqual(wa);
    // their returns are value targets: changing them moves the weights (mutation caught: masked rows dropped)
    const otherReturns = { ...a, ret: a.ret.slice() };
    for (const k of [1, 4, 6]) otherReturns.ret[k] = -9;
    expect(await updated(otherReturns)).not.toEqual(wa);
    // and with the rows skipped (learn 0) the same return change does nothing (control)
    const skipped = { ...a, learn: Uint8Array.from(mask), policyMask: undefined };
    expect(await updated({ ...skipped, ret: otherReturns.ret })).toEqual(await updated(skipped));
  });
});

describe('--co-player-weight: the weighted policy / value update', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('weights the rows of episodes with rule co-players (a hand-made rollout)', () => {
    // env 0 episode 0: self-play; env 0 episode 1 and env 1 episode 0: player 1 is a rule co-player
    const rows = [
      [0, 0, -1],
      [0, 0, -1],
      [0, 1, -1],
      [0, 1, 1],
      [1, 0, -1],
      [1, 0, 0],
      [1, 1, -1],
    ];
    const s = { count: rows.length, env: rows.map((r) => r[0]), episode: rows.map((r) => r[1]), learn: rows.map((r) => (r[2] >= 0 ? 0 : 1)) };
    expect(Array.from(coPlayerRowWeights(s, 4))).toEqual([1, 1, 4, 4, 4, 4, 1]);
    expect(Array.from(coPlayerRowWeights(s, 1))).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  it('on a mix 0.5 rollout: weight w exactly on the rows of episodes drawn with rule co-players', async () => {
    const policy = buildPolicy(config, game);
    const generic = new MOAModel({ observationShape: [...game.observationShape], numActions: 7, goalDim: 3, maxTime: game.config.finalTime, convFilters: [8], hiddenUnits: 16, seed: 1 });
    const registry = new PairRegistry(generic, game.numAgents);
    const r = await runRollout(team(policy, registry, 4), game.config, spec({ numEnvs: 4, coPlayerMix: 0.5 }));
    const s = r.samples;
    const w = coPlayerRowWeights(s, 4);
    const kinds = new Set<boolean>();
    for (let k = 0; k < s.count; k++) {
      const ruled = r.episodes.find((e) => e.env === s.env[k] && e.episode === s.episode[k])!.coPlayers !== null;
      kinds.add(ruled);
      expect(w[k]).toBe(ruled ? 4 : 1);
    }
    expect(kinds.size).toBe(2); // both kinds of episode at this seed
    registry.dispose();
    generic.dispose();
    policy.dispose();
  });

  /** The first minibatch's losses at the initial weights (one pass, one minibatch holding every row). */
  function lossesOf(b: LearnerBatch): { policy: number; value: number } {
    const net = buildPolicy(config, game); // same seed: same initial weights
    const learner = new PolicyLearner(net, { learningRate: 1e-2, epochs: 1, minibatch: 64, maxGradNorm: 1 });
    const r = learner.update(b, new Rng(7));
    learner.dispose();
    net.dispose();
    return { policy: r.policyLoss, value: r.valueLoss };
  }

  it('CE and MSE are the weighted means of the rows\' own losses; weight 1 everywhere is the plain mean', () => {
    const n = 6;
    const O = game.observationSize;
    const A = 7;
    const b = randomBatch(n, 11);
    // each row alone: its own CE and squared error at the initial weights
    const own = Array.from({ length: n }, (_, k) =>
      lossesOf({
        count: 1,
        obs: b.obs.slice(k * O, (k + 1) * O),
        mask: b.mask.slice(k * A, (k + 1) * A),
        time: b.time.slice(k, k + 1),
        policy: b.policy.slice(k * A, (k + 1) * A),
        ret: b.ret.slice(k, k + 1),
      }),
    );
    const w = [4, 1, 1, 4, 0, 1];
    const sw = w.reduce((a, x) => a + x, 0);
    const weighted = lossesOf({ ...b, weight: Float32Array.from(w) });
    expect(weighted.policy).toBeCloseTo(own.reduce((a, o, k) => a + w[k] * o.policy, 0) / sw, 5);
    expect(weighted.value).toBeCloseTo(own.reduce((a, o, k) => a + w[k] * o.value, 0) / sw, 5);
    // a policy mask: the CE over the unmasked rows only, the MSE over all (weighted as before)
    const pm = [1, 0, 1, 1, 1, 0];
    const masked = lossesOf({ ...b, weight: Float32Array.from(w), policyMask: Uint8Array.from(pm) });
    const swp = w.reduce((a, x, k) => a + x * pm[k], 0);
    expect(masked.policy).toBeCloseTo(own.reduce((a, o, k) => a + w[k] * pm[k] * o.policy, 0) / swp, 5);
    expect(masked.value).toBeCloseTo(weighted.value, 6);
    const maskOnly = lossesOf({ ...b, policyMask: Uint8Array.from(pm) });
    expect(maskOnly.policy).toBeCloseTo(own.reduce((a, o, k) => a + pm[k] * o.policy, 0) / 4, 5);
    expect(maskOnly.value).toBeCloseTo(own.reduce((a, o) => a + o.value, 0) / n, 5);
    const plain = lossesOf(b);
    expect(plain.value).toBeCloseTo(own.reduce((a, o) => a + o.value, 0) / n, 5);
    const ones = lossesOf({ ...b, weight: new Float32Array(n).fill(1) });
    expect(ones.policy).toBeCloseTo(plain.policy, 5);
    expect(ones.value).toBeCloseTo(plain.value, 5);
    expect(plain.policy).toBeCloseTo(own.reduce((a, o) => a + o.policy, 0) / n, 5);
    // control: the weights move both losses (the rows' losses differ)
    expect(Math.abs(weighted.value - plain.value)).toBeGreaterThan(1e-3);
    expect(Math.abs(weighted.policy - plain.policy)).toBeGreaterThan(1e-3);
  });

  it('keys: default 1 and hindsight, named errors for bad values, refused without what they act on', async () => {
    const c = trainConfigOf({ algo: 'hop' }).config;
    expect(c.coPlayerWeight).toBe(1);
    expect(c.focalGoalLabels).toBe('hindsight');
    expect(() => trainConfigOf({ algo: 'hop', coPlayerWeight: 0 })).toThrow(/"coPlayerWeight" = 0 \(from --co-player-weight\) is invalid: a loss weight must be > 0/);
    expect(() => trainConfigOf({ algo: 'hop', focalGoalLabels: 'achieved' })).toThrow(/"focalGoalLabels".*--focal-goal-labels/);
    for (const algo of ['ppo', 'hop-onestep']) expect(() => trainConfigOf({ algo, coPlayerWeight: 2 }), algo).toThrow(/unknown key "coPlayerWeight" from --co-player-weight/);
    const dir = tempDir('co-weight');
    let r = await runHopInProcess(['train', '--algo', 'hop', '--env', 'small-2p', '--co-player-weight', '4', '--iterations', '1', '--progress', 'none', '--out', join(dir, 'a')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--co-player-weight 4 weights the environments played with rule co-players; there are none without --co-player-mix/);
    r = await runHopInProcess(['train', '--algo', 'hop', '--env', 'small-2p', '--focal-goal-labels', 'committed', '--iterations', '1', '--progress', 'none', '--out', join(dir, 'b')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--focal-goal-labels committed chooses the goal labels of a goal-conditioned focal network: add --focal-goals co-player/);
    r = await runHopInProcess(['train', '--algo', 'hop', '--env', 'small-2p', '--focal-goals', 'co-player', '--focal-goal-labels', 'committed', '--iterations', '1', '--progress', 'none', '--out', join(dir, 'c')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--focal-goal-labels committed differs from hindsight labels only for the rule co-players of --co-player-mix, and there are none/);
    r = await runHopInProcess(['train', '--algo', 'hop', '--env', 'small-2p', '--co-player-mix', '1', '--co-player-weight', '2', '--iterations', '1', '--progress', 'none', '--out', join(dir, 'd')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--co-player-weight 2 changes nothing at --co-player-mix 1/);
    r = await runHopInProcess(['train', '--algo', 'hop', '--env', 'small-2p', '--co-player-value-rows', '--iterations', '1', '--progress', 'none', '--out', join(dir, 'e')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--co-player-value-rows trains the value on the rule co-players' steps; there are none without --co-player-mix/);
    expect(trainConfigOf({ algo: 'hop' }).config.coPlayerValueRows).toBe(false);
    r = await runHopInProcess(['train', '--algo', 'hop', '--env', 'small-2p', '--co-player-mix-until', '2', '--iterations', '1', '--progress', 'none', '--out', join(dir, 'f')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--co-player-mix-until 2 ends the rule co-players of --co-player-mix, and there are none/);
    // refused before anything is written
    for (const run of ['a', 'b', 'c', 'd', 'e', 'f']) expect(existsSync(join(dir, run, 'checkpoints')), run).toBe(false);
  }, 60_000);

  it('PolicyLearner refuses weights of the wrong length or negative', () => {
    const net = buildPolicy(config, game);
    const learner = new PolicyLearner(net, { learningRate: 1e-2, epochs: 1, minibatch: 8, maxGradNorm: 1 });
    const n = 3;
    const b: LearnerBatch = { count: n, obs: new Float32Array(n * game.observationSize), mask: new Uint8Array(n * 7).fill(1), time: new Float32Array(n), policy: new Float32Array(n * 7).fill(1 / 7), ret: new Float32Array(n) };
    expect(() => learner.update({ ...b, weight: new Float32Array(2) }, new Rng(1))).toThrow(/2 loss weights for 3 rows/);
    expect(() => learner.update({ ...b, weight: Float32Array.of(1, -1, 1) }, new Rng(1))).toThrow(/loss weight -1 at row 1: weights must be finite and >= 0/);
    // all-zero weights train on nothing: finite zero losses, not a division by zero
    const r = learner.update({ ...b, weight: new Float32Array(n) }, new Rng(1));
    expect([r.policyLoss, r.valueLoss]).toEqual([0, 0]);
    learner.dispose();
    net.dispose();
  });
});

describe('rule co-players are observed by the learners, never observers (4 players)', () => {
  const game4 = createStagHuntSimulator({ players: 4, height: 5, width: 5, stags: 1, hares: 2, obstacles: 0, finalTime: 10 });
  const cfg4 = SelfPlayConfigSchema.parse({ env: 'small-2p', policyFilters: [8], policyHidden: 16, seed: 5 });
  let policy: MOAModel;
  let registry: PairRegistry;
  const team4 = (numEnvs: number) =>
    new HopTeam({ game: game4, policy, registry, goals: discreteGoals(registry.generic.goalDim, game4.numGoals), planner: { numSimulations: 4, numTrees: 1 }, numEnvs });
  const learner = (ep: { coPlayers: number[] | null }, i: number) => !ep.coPlayers || ep.coPlayers[i] < 0;
  const spec4 = (mix: number): RolloutSpec => ({ seed: 3, envStart: 0, numEnvs: 4, episodesPerEnv: 2, gamma: 0.95, coPlayerMix: mix });

  beforeAll(async () => {
    await initBackend();
    policy = buildPolicy(cfg4, game4);
    const generic = new MOAModel({ observationShape: [...game4.observationShape], numActions: 7, goalDim: 3, maxTime: game4.config.finalTime, convFilters: [8], hiddenUnits: 16, seed: 1 });
    registry = new PairRegistry(generic, game4.numAgents);
  });

  /** Per target j: the (observer, step) rows the inference should have made, counting observers that `counts`. */
  function expectedRows(r: RolloutResult, counts: (ep: RolloutResult['episodes'][number], i: number) => boolean): number[] {
    const s = r.samples;
    const P = 4;
    const out = new Array<number>(P).fill(0);
    const at = new Map<string, number[]>();
    for (let k = 0; k < s.count; k++) {
      const key = `${s.env[k]}/${s.episode[k]}/${s.time[k]}`;
      at.set(key, [...(at.get(key) ?? []), s.player[k]]);
    }
    for (const [key, players] of at) {
      const [env, episode] = key.split('/').map(Number);
      const ep = r.episodes.find((e) => e.env === env && e.episode === episode)!;
      for (const j of players) for (const i of players) if (i !== j && counts(ep, i)) out[j]++;
    }
    return out;
  }

  it('mix 0.5: inference rows and tallies only from the learners\' point of view; prior outcomes only for learners', async () => {
    const r = await runRollout(team4(4), game4.config, spec4(0.5));
    const ruled = r.episodes.filter((e) => e.coPlayers);
    // both kinds of episode occur at seed 3 (checked), so the counts below tell observers apart
    expect(ruled.length).toBeGreaterThan(0);
    expect(ruled.length).toBeLessThan(r.episodes.length);
    // Every (observer, target, step) row the tallies saw: one per learner observer, rule targets included (player
    // 0 models its rule co-players); none from a rule player's view. Mutation caught: rule players as observers
    // (the count with every observer, checked larger below), or rule targets skipped.
    const want = expectedRows(r, learner);
    expect(Array.from(r.tally.sensitivityRows)).toEqual(want);
    const everyone = expectedRows(r, () => true);
    expect(everyone.reduce((a, b) => a + b, 0)).toBeGreaterThan(want.reduce((a, b) => a + b, 0));
    // Prior outcomes: a learner folds what its co-players (rule or not) achieved; a rule player's row is -1 (nothing folded).
    for (const ep of r.episodes)
      for (let i = 0; i < 4; i++)
        for (let m = 0; m < 3; m++)
          expect(ep.priorOutcomes[i * 3 + m], `env ${ep.env} episode ${ep.episode} focal ${i}`).toBe(learner(ep, i) ? ep.achieved[m < i ? m : m + 1] : -1);
  });

  it('mix 0: every player observes every other (the expectation above, on self-play)', async () => {
    const r = await runRollout(team4(4), game4.config, spec4(0));
    expect(r.episodes.every((e) => e.coPlayers === null)).toBe(true);
    expect(Array.from(r.tally.sensitivityRows)).toEqual(expectedRows(r, () => true));
  });

  it('online MOA: a learner\'s buffers take every co-player (rule ones too); a rule player\'s take nothing of that episode', async () => {
    const r = await runRollout(team4(4), game4.config, spec4(0.5));
    const goals = discreteGoals(registry.generic.goalDim, game4.numGoals);
    const fed = (episodes: RolloutResult['episodes'], samples: RolloutSamples) => {
      const online = Array.from({ length: 4 }, (_, i) => onlineMoaFor(registry, i, { capacity: 100_000, epochs: 1, minibatch: 16, seed: 1 }, goals));
      expect(feedOnline(online, samples, episodes)).toEqual([]); // nothing trains: the buffers hold everything
      // each buffer as its size and a digest of its columns (typed-array equality element by element is slow)
      return online.map((o) =>
        o.snapshot().buffers.map((b) => {
          const h = createHash('sha256');
          for (const col of [b.obs, b.mask, b.time, b.action, b.label]) h.update(new Uint8Array(col.buffer, col.byteOffset, col.byteLength));
          return { size: b.size, digest: h.digest('hex') };
        }),
      );
    };
    const withRules = fed(r.episodes, r.samples);
    const asSelfPlay = fed(r.episodes.map((e) => ({ ...e, coPlayers: null })), r.samples);
    const selfIdx = Array.from({ length: r.samples.count }, (_, k) => k).filter((k) => learnerEpisode(r, k));
    const selfOnly = fed(r.episodes.filter((e) => !e.coPlayers), permuteSamples(r.samples, selfIdx));
    // player 0 is the learner everywhere: it learns the rule players' steps as well as the planners'
    expect(withRules[0]).toEqual(asSelfPlay[0]);
    expect(withRules[0].reduce((a, b) => a + b.size, 0)).toBeGreaterThan(selfOnly[0].reduce((a, b) => a + b.size, 0));
    // players 1..3 learn from the self-play episodes only; control: fed as self-play, they would hold more
    for (let i = 1; i < 4; i++) {
      expect(withRules[i], `focal ${i}`).toEqual(selfOnly[i]);
      expect(withRules[i], `focal ${i}`).not.toEqual(asSelfPlay[i]);
    }
  });
});

/** Whether sample k belongs to a self-play episode of `r`. */
function learnerEpisode(r: RolloutResult, k: number): boolean {
  return r.episodes.find((e) => e.env === r.samples.env[k] && e.episode === r.samples.episode[k])!.coPlayers === null;
}

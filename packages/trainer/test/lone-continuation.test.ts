import { beforeAll, describe, expect, it } from 'vitest';
import { CounterRng, initBackend } from '@hop/core';
import { BatchedCommitted, COMMITTED_DEFAULTS, Goal, VecStagHunt, createStagHuntSimulator } from '@hop/env-staghunt';
import { MOAModel, PairRegistry } from '@hop/moa';
import { SelfPlayConfigSchema } from '../src/algos/hop/settings';
import { discreteGoals } from '../src/team/goals';
import { buildPolicy } from '../src/team/models';
import { runRollout, type RolloutResult, type RolloutSamples, type RolloutSpec } from '../src/algos/hop/rollout';
import { SAMPLE_COLUMNS, sameSamples } from './rollout-samples';
import { coPlayerDecision, drawLoneContinuation, loneStreamSeed } from '../src/algos/hop/co-players';
import { loneMetrics } from '../src/algos/hop/metrics';
import { evaluationSpec, rolloutSpec } from '../src/algos/hop/runner';
import { HopTeam } from '../src/team/team';
import { expectProbabilityKey } from './train-keys';

const game = createStagHuntSimulator('small-2p');
const config = SelfPlayConfigSchema.parse({ env: 'small-2p', policyFilters: [8], policyHidden: 16, seed: 5 });
const A = 7;

function team(policy: MOAModel, registry: PairRegistry, numEnvs: number): HopTeam {
  return new HopTeam({ game, policy, registry, goals: discreteGoals(registry.generic.goalDim, game.numGoals), planner: { numSimulations: 4, numTrees: 1 }, numEnvs });
}

const spec = (over: Partial<RolloutSpec>): RolloutSpec => ({ seed: 3, envStart: 0, numEnvs: 4, episodesPerEnv: 2, gamma: 0.95, ...over });

/**
 * Replays every episode of a rollout of `sim` with the recorded joint actions. At each step where exactly one
 * player is still in play and is a planner, asks an epsilon-0 hare-committed agent for its move (draws from the
 * lone stream). Returns the rows that were such lone steps with the rule's move, and the (env/episode/player)
 * whose lone continuation caught a hare.
 */
function replayLone(r: RolloutResult, seed: number, handedOver: (env: number, episode: number) => boolean, sim = game) {
  const s = r.samples;
  const P = sim.numAgents;
  const cursor = new CounterRng();
  const lone = new Map<number, number>();
  const caught = new Set<string>();
  const done = new Uint8Array(P);
  let returnsAgree = true;
  for (const ep of r.episodes) {
    const vec = new VecStagHunt(sim.config, { numEnvs: 1, seed, observations: 'none', autoReset: false, streamOffset: ep.env });
    for (let e = 0; e < ep.episode; e++) vec.resetEnv(0);
    const rule = new BatchedCommitted(vec, { ...COMMITTED_DEFAULTS, epsilon: 0 });
    rule.startEpisode(vec, 0);
    const steps = Array.from({ length: s.count }, (_, k) => k).filter((k) => s.env[k] === ep.env && s.episode[k] === ep.episode);
    const acts = new Int32Array(P);
    for (let t = 0; !vec.ended[0]; t++) {
      acts.fill(sim.noopAction);
      const now = steps.filter((k) => s.time[k] === t);
      for (const k of now) acts[s.player[k]] = s.action[k];
      sim.agentDone({ states: vec.states, slots: Int32Array.of(0), count: 1 }, done);
      const inPlay = Array.from({ length: P }, (_, p) => p).filter((p) => !done[p]);
      let p = -1;
      if (inPlay.length === 1 && (ep.coPlayers === null || ep.coPlayers[inPlay[0]] < 0) && handedOver(ep.env, ep.episode)) p = inPlay[0];
      if (p >= 0) {
        const k = now.find((j) => s.player[j] === p)!;
        lone.set(k, rule.act(vec, 0, p, Goal.Hare, coPlayerDecision(cursor, loneStreamSeed(seed), ep.env, ep.episode, t, p)));
      }
      vec.step(acts);
      if (p >= 0 && vec.hunted[p] >= 0) caught.add(`${ep.env}/${ep.episode}/${p}`);
    }
    returnsAgree &&= JSON.stringify(vec.lastEpisode(0)!.returns) === JSON.stringify(ep.returns);
  }
  return { lone, caught, catches: caught.size, returnsAgree };
}

/**
 * A lone catch is the player's return, not its achievement: its episode summary, prior outcomes and hindsight
 * labels say "none", while its return is the hare, discounted back to its first row of the episode.
 */
function expectUncredited(r: RolloutResult, caught: Set<string>, P: number, gamma: number): void {
  const s = r.samples;
  for (const key of caught) {
    const [env, episode, p] = key.split('/').map(Number);
    const ep = r.episodes.find((e) => e.env === env && e.episode === episode)!;
    expect(ep.achieved[p], key).toBe(-1);
    expect(ep.returns[p], key).toBeGreaterThan(0);
    // every other player's prior outcome about p (the focal i's row, co-player slot m) is "none"
    for (let i = 0; i < P; i++)
      for (let m = 0; m < P - 1; m++) if ((m < i ? m : m + 1) === p) expect(ep.priorOutcomes[i * (P - 1) + m], `${key} focal ${i}`).toBe(-1);
    const rows = Array.from({ length: s.count }, (_, k) => k).filter((k) => s.env[k] === env && s.episode[k] === episode && s.player[k] === p);
    const hit = rows.find((k) => s.reward[k] > 0)!;
    expect(rows.filter((k) => s.reward[k] !== 0)).toEqual([hit]);
    for (const k of rows) {
      expect(s.goal[k]).toBe(-1);
      // the planned rows before the handover learn the hare through their returns
      if (s.time[k] <= s.time[hit]) expect(s.ret[k]).toBeCloseTo(s.reward[hit] * gamma ** (s.time[hit] - s.time[k]), 5);
    }
  }
}

describe('--lone-continuation in the rollout', () => {
  let policy: MOAModel;
  let registry: PairRegistry;
  beforeAll(async () => {
    await initBackend();
    policy = buildPolicy(config, game);
    const generic = new MOAModel({ observationShape: [...game.observationShape], numActions: A, goalDim: 3, maxTime: game.config.finalTime, convFilters: [8], hiddenUnits: 16, seed: 1 });
    registry = new PairRegistry(generic, game.numAgents);
  });

  it('mix 1, continuation 1: once player 1 is done, player 0 moves by the epsilon-0 hare rule, as learned rows with one-hot targets', async () => {
    const r = await runRollout(team(policy, registry, 4), game.config, spec({ coPlayerMix: 1, coPlayerEpsilon: 0, loneContinuation: 1 }));
    const s = r.samples;
    const replay = replayLone(r, 3, () => true);
    expect(replay.returnsAgree).toBe(true);
    // the lone steps are exactly the rows the rollout counts, each the rule's move from the lone stream
    expect(replay.lone.size).toBe(r.loneSteps);
    expect(r.loneSteps).toBeGreaterThan(5);
    expect(r.loneCatches).toBe(replay.catches);
    expect(r.loneCatches).toBeGreaterThan(0);
    let planned = 0;
    for (let k = 0; k < s.count; k++) {
      if (s.player[k] !== 0) continue;
      expect(s.learn[k]).toBe(1);
      const target = Array.from(s.policy.subarray(k * A, (k + 1) * A));
      const move = replay.lone.get(k);
      if (move !== undefined) {
        expect(s.action[k]).toBe(move);
        expect(target).toEqual(Array.from({ length: A }, (_, a) => (a === move ? 1 : 0)));
      } else planned++;
    }
    // player 0 planned the rest: its decisions are all its rows but the lone ones
    expect(r.decisions).toBe(planned);
    expect(planned).toBeGreaterThan(0);
    // the returns of a lone row count the hare the rule caught (the value target the search alone never sees)
    const caught = [...replay.lone.keys()].filter((k) => s.reward[k] > 0);
    expect(caught.length).toBe(r.loneCatches);
    expectUncredited(r, replay.caught, 2, 0.95);
  });

  it('self-play (mix 0): whichever planner is left alone hands over; continuation 0 is the rollout without the key, bit for bit (control)', async () => {
    const on = await runRollout(team(policy, registry, 4), game.config, spec({ loneContinuation: 1 }));
    const replay = replayLone(on, 3, () => true);
    expect(replay.returnsAgree).toBe(true);
    expect(replay.lone.size).toBe(on.loneSteps);
    expect(on.loneSteps).toBeGreaterThan(0);
    const players = new Set([...replay.lone.keys()].map((k) => on.samples.player[k]));
    expect([...players].sort()).toEqual([0, 1]);
    for (const [k, move] of replay.lone) {
      expect(on.samples.action[k]).toBe(move);
      expect(on.samples.learn[k]).toBe(1);
      expect(Array.from(on.samples.policy.subarray(k * A, (k + 1) * A))).toEqual(Array.from({ length: A }, (_, a) => (a === move ? 1 : 0)));
    }
    expect(on.loneCatches).toBe(replay.catches);
    expect(replay.catches).toBeGreaterThan(0);
    // in self-play the other planner observes the lone one: its prior outcome and tallies must not see the rule's hare
    expectUncredited(on, replay.caught, 2, 0.95);
    console.log(`self-play, continuation 1: ${on.loneSteps} lone steps (players ${[...players].join(', ')}), ${on.loneCatches} hares caught`);
    const without = await runRollout(team(policy, registry, 4), game.config, spec({}));
    const off = await runRollout(team(policy, registry, 4), game.config, spec({ loneContinuation: 0 }));
    expect(sameSamples(off.samples, without.samples)).toBe(true);
    expect(off.loneSteps).toBe(0);
    expect(sameSamples(on.samples, off.samples)).toBe(false);
  });

  it('continuation 0.5: only the episodes drawn hand over, and slices of environments (workers) concatenate to the whole', async () => {
    const lone = 0.5;
    const s = spec({ numEnvs: 6, coPlayerMix: 0.5, coPlayerEpsilon: 0, loneContinuation: lone });
    const whole = await runRollout(team(policy, registry, 6), game.config, s);
    const replay = replayLone(whole, 3, (env, episode) => drawLoneContinuation(3, env, episode, lone));
    expect(replay.returnsAgree).toBe(true);
    expect(replay.lone.size).toBe(whole.loneSteps);
    for (const [k, move] of replay.lone) expect(whole.samples.action[k]).toBe(move);
    // both kinds of episode occur, and lone states happen in an episode that does not hand over (seed 3: checked)
    const drawn = whole.episodes.map((e) => drawLoneContinuation(3, e.env, e.episode, lone));
    expect(drawn.some(Boolean)).toBe(true);
    expect(drawn.some((d) => !d)).toBe(true);
    const all = replayLone(whole, 3, () => true);
    expect(all.lone.size).toBeGreaterThan(replay.lone.size);
    const parts = [
      await runRollout(team(policy, registry, 2), game.config, { ...s, numEnvs: 2 }),
      await runRollout(team(policy, registry, 4), game.config, { ...s, envStart: 2, numEnvs: 4 }),
    ];
    for (const k of SAMPLE_COLUMNS) expect([...parts[0].samples[k], ...parts[1].samples[k]], k).toEqual([...whole.samples[k]]);
    expect(parts[0].loneSteps + parts[1].loneSteps).toBe(whole.loneSteps);
    expect(parts[0].loneCatches + parts[1].loneCatches).toBe(whole.loneCatches);
  });

  it('3 players, mix 1: the handover waits until both rule co-players are done', async () => {
    const three = createStagHuntSimulator({ ...game.config, players: 3 });
    const policy3 = buildPolicy(config, three);
    const generic3 = new MOAModel({ observationShape: [...three.observationShape], numActions: A, goalDim: 3, maxTime: three.config.finalTime, convFilters: [8], hiddenUnits: 16, seed: 1 });
    const registry3 = new PairRegistry(generic3, 3);
    const t = new HopTeam({ game: three, policy: policy3, registry: registry3, goals: discreteGoals(3, three.numGoals), planner: { numSimulations: 4, numTrees: 1 }, numEnvs: 6 });
    const r = await runRollout(t, three.config, spec({ numEnvs: 6, coPlayerMix: 1, coPlayerEpsilon: 0, loneContinuation: 1 }));
    const replay = replayLone(r, 3, () => true, three);
    expect(replay.returnsAgree).toBe(true);
    expect(replay.lone.size).toBe(r.loneSteps);
    expect(r.loneSteps).toBeGreaterThan(0);
    expect(r.loneCatches).toBe(replay.catches);
    const s = r.samples;
    // one rule co-player done and the other still playing is not alone: player 0 planned those steps (seed 3: they occur)
    let halfDone = 0;
    for (let k = 0; k < s.count; k++) {
      if (s.player[k] !== 0) continue;
      const others = [1, 2].filter((p) => Array.from({ length: s.count }, (_, j) => j).some((j) => s.env[j] === s.env[k] && s.episode[j] === s.episode[k] && s.time[j] === s.time[k] && s.player[j] === p));
      if (others.length > 0) expect(replay.lone.has(k)).toBe(false);
      if (others.length === 1) halfDone++;
      if (others.length === 0) expect(replay.lone.has(k)).toBe(true);
    }
    expect(halfDone).toBeGreaterThan(0);
    for (const [k, move] of replay.lone) expect(s.action[k]).toBe(move);
    registry3.dispose();
    generic3.dispose();
    policy3.dispose();
  });

  it('metrics: lone steps and catches summed over workers, their share of the learned rows', () => {
    const samples = (learn: number[]) => ({ count: learn.length, learn: Uint8Array.from(learn) }) as RolloutSamples;
    const m = loneMetrics([
      { loneSteps: 2, loneCatches: 1, samples: samples([1, 1, 0, 1]) },
      { loneSteps: 1, loneCatches: 0, samples: samples([1, 1, 1, 0, 0]) },
    ]);
    expect(m).toEqual({ 'lone/steps': 3, 'lone/catches': 1, 'lone/share': 0.5 });
    expect(loneMetrics([{ loneSteps: 0, loneCatches: 0, samples: samples([]) }])['lone/share']).toBe(0);
  });
});

describe('--lone-continuation: the draw, the key and the evaluation', () => {
  it('hands over with probability p per (seed, env, episode): 0 never, 1 always; another seed draws otherwise', () => {
    const n = 4000;
    for (const p of [0.25, 0.5]) {
      let hits = 0;
      for (let k = 0; k < n; k++) if (drawLoneContinuation(11, k % 400, Math.floor(k / 400), p)) hits++;
      // 4 standard errors of a binomial share: a wrong probability (p^2, 1 - p) lands far outside
      expect(Math.abs(hits / n - p), `p ${p}`).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    }
    const seq = (seed: number) => Array.from({ length: 64 }, (_, k) => drawLoneContinuation(seed, k, 0, 0.5));
    expect(seq(11)).toEqual(seq(11));
    expect(seq(12)).not.toEqual(seq(11));
    for (let k = 0; k < 64; k++) {
      expect(drawLoneContinuation(11, k, 0, 0)).toBe(false);
      expect(drawLoneContinuation(11, k, 0, 1)).toBe(true);
    }
  });

  it('a key of hop, hop-wm and direct-om (default 0, a probability), refused by name by ppo and hop-onestep', () => {
    expectProbabilityKey('loneContinuation', '--lone-continuation');
  });

  it('training rollouts carry it; the held-out evaluation never does (every player planned there)', () => {
    const c = SelfPlayConfigSchema.parse({ env: 'small-2p', coPlayerMix: 0.5, loneContinuation: 1, seed: 5 });
    expect(rolloutSpec(c, 3, 0, 4)).toMatchObject({ loneContinuation: 1, coPlayerMix: 0.5 });
    const ev = evaluationSpec(c, 10);
    expect(ev.loneContinuation).toBeUndefined();
    expect(ev.coPlayerMix).toBeUndefined();
    expect(ev).toMatchObject({ record: true, envStart: 0, numEnvs: c.evalEnvs });
  });
});

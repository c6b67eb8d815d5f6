import { CounterRng, deriveSeed } from '@hop/core';
import { BatchedCommitted, COMMITTED_DEFAULTS, Goal, VecStagHunt, type StagHuntConfig, type EpisodeRecord } from '@hop/env-staghunt';
import type { HopTeam, InferenceTally } from '../../team/team';
import { emptyTally } from '../../team/team';
import { coPlayerDecision, coPlayerStreamSeed, drawCoPlayers, drawLoneContinuation, loneStreamSeed } from './co-players';
import { applyLoneStart, drawLoneStart } from './lone-starts';

/** Which episodes a rollout plays: env k (global index) plays episodes `episodeSeed(seed, k, e)`. */
export interface RolloutSpec {
  /** Seed of the episode layouts and of every decision. */
  seed: number;
  /** Global index of the first environment of this slice. */
  envStart: number;
  numEnvs: number;
  /** Complete episodes each environment plays (all environments in lock-step). */
  episodesPerEnv: number;
  /** Discount of the returns the value head regresses on. */
  gamma: number;
  /** Record the first episode of the slice's first environment (for a replay page). */
  record?: boolean;
  /**
   * Fraction of environments (per env and episode, `drawCoPlayers`) whose players 1..P-1 are goal-committed
   * rule agents instead of planners (`--co-player-mix`; default 0: pure self-play).
   */
  coPlayerMix?: number;
  /** The rule co-players' probability of a random valid action (`--co-player-epsilon`; default `COMMITTED_DEFAULTS`). */
  coPlayerEpsilon?: number;
  /**
   * Probability (per env and episode, `drawLoneContinuation`) that a planner left alone in play (every other
   * player done) plays the rest of its episode by the hare rule (`--lone-continuation`; default 0). Its steps stay
   * learned rows: the rule's move is their policy target, their returns the value's.
   */
  loneContinuation?: number;
  /**
   * Probability (per env and episode, `drawLoneStart`) that the episode starts with one planner alone: the other
   * players off the grid, some hares gone (`--lone-starts`; default 0). The planner plays it by its own search
   * (no rule co-players, no lone continuation) and learns from it like any other episode.
   */
  loneStarts?: number;
}

/**
 * Every in-play player-step of a rollout, in the canonical order (env, episode, time, player) so that
 * slices played by different workers concatenate to exactly what one worker would have produced.
 */
export interface RolloutSamples {
  count: number;
  /** `[n, O]` the player's own view. */
  obs: Float32Array;
  /** `[n, A]`. */
  mask: Uint8Array;
  time: Float32Array;
  action: Int32Array;
  /** `[n, A]` the planner's decision distribution (the policy target), 0 on invalid actions. */
  policy: Float32Array;
  reward: Float32Array;
  /** Discounted return from this step to the end of the player's episode. */
  ret: Float32Array;
  player: Int32Array;
  env: Int32Array;
  episode: Int32Array;
  /** Goal the player achieved at or after this step in its episode (-1: none): the hindsight label. */
  goal: Int32Array;
  /**
   * 1: a planner's step, trained on (policy and value targets); 0: a rule co-player's step (`--co-player-mix`),
   * kept for the online co-player models and the co-players' hindsight goals, skipped by the policy / value update.
   */
  learn: Uint8Array;
  /**
   * The goal a rule co-player (`--co-player-mix`) pursues at this step: its committed goal (0 stag, 1 hare)
   * while a prey of that kind is left, else -1 (it stays put, as a tree's co-player has no goal then); -1 for a
   * planner, whose intent is not known (only its hindsight `goal`).
   */
  intent: Int32Array;
}

/** One finished episode. */
export interface EpisodeSummary {
  env: number;
  episode: number;
  length: number;
  returns: number[];
  stags: number;
  hares: number;
  /** Per player: goal achieved (0 stag, 1 hare, -1 none) and the time step it hunted at. */
  achieved: number[];
  achievedStep: number[];
  /** Per focal player, the outcome row it folds into its prior `[P, P-1]`. */
  priorOutcomes: Int32Array;
  /** Per player, the goal a rule co-player was committed to (0 stag, 1 hare; -1 a planner); null in self-play. */
  coPlayers: number[] | null;
  /** `--lone-starts`: the player this episode started alone (the others off the grid from step 0), else -1. */
  loneStart: number;
}

/** Wall-clock milliseconds of the phases of a rollout. */
export interface RolloutTiming {
  total: number;
  planSelect: number;
  planModels: number;
  planSimulator: number;
  planBackup: number;
  planBookkeeping: number;
  beliefs: number;
  env: number;
}

export interface RolloutResult {
  samples: RolloutSamples;
  episodes: EpisodeSummary[];
  tally: InferenceTally;
  timing: RolloutTiming;
  /** Decisions planned and network rows the planner sent (evaluator + co-player model). */
  decisions: number;
  networkRows: number;
  envSteps: number;
  /** `--lone-continuation`: steps the hare rule played for a planner left alone, and the hares it caught. */
  loneSteps: number;
  loneCatches: number;
  replay: EpisodeRecord | null;
}

export function emptyTiming(): RolloutTiming {
  return { total: 0, planSelect: 0, planModels: 0, planSimulator: 0, planBackup: 0, planBookkeeping: 0, beliefs: 0, env: 0 };
}

/**
 * Plays `episodesPerEnv` complete episodes in each of `numEnvs` environments with a HOP team: every step,
 * all in-play players of all environments are planned in ONE `plan` call, the joint actions step the
 * `VecStagHunt`, and beliefs are updated from what the co-players just did.
 */
export async function runRollout(team: HopTeam, config: StagHuntConfig, spec: RolloutSpec): Promise<RolloutResult> {
  const t0 = performance.now();
  const { numEnvs, envStart, episodesPerEnv, gamma } = spec;
  const env = new VecStagHunt(config, { numEnvs, seed: spec.seed, observations: 'grid', autoReset: false, streamOffset: envStart });
  const P = env.numAgents;
  const A = env.numActions;
  const O = env.observationSize;
  const game = team.game;
  const cap = numEnvs * episodesPerEnv * (config.finalTime + 1) * P;
  const s = allocSamples(cap, O, A);
  s.count = 0;
  const episodes: EpisodeSummary[] = [];
  const tally = emptyTally(P);
  const timing = emptyTiming();
  const envIdx = Int32Array.from({ length: numEnvs }, (_, c) => c);
  const live = new Int32Array(numEnvs);
  const ctxEnv = new Int32Array(numEnvs * P);
  const ctxFocal = new Int32Array(numEnvs * P);
  const seeds = new Float64Array(numEnvs * P);
  const ruleEnv = new Int32Array(numEnvs * P);
  const rulePlayer = new Int32Array(numEnvs * P);
  const actions = new Int32Array(numEnvs * P);
  const done = new Uint8Array(numEnvs * P);
  const prev = new Int32Array(env.states.length);
  const ended = new Uint8Array(numEnvs);
  /** Sample index of each (env, player) step in the running episode. */
  const stepsOf: number[][] = Array.from({ length: numEnvs * P }, () => []);
  const achieved = new Int32Array(numEnvs * P);
  const achievedStep = new Int32Array(numEnvs * P);
  // --co-player-mix: the committed goal of each rule-played (env, player) this episode; -1 = planned.
  const mix = spec.coPlayerMix ?? 0;
  const committed = mix > 0 ? new BatchedCommitted(env, { ...COMMITTED_DEFAULTS, epsilon: spec.coPlayerEpsilon ?? COMMITTED_DEFAULTS.epsilon }) : null;
  const coGoal = new Int32Array(numEnvs * P).fill(-1);
  const ruled = new Uint8Array(numEnvs);
  // which goal kinds are left in each env at this step (for the rule co-players' `intent`)
  const G = game.numGoals;
  const available = new Uint8Array(numEnvs * Math.max(1, G));
  // --lone-continuation: whether env c's lone planner this episode hands over to the hare rule (no epsilon:
  // its moves are policy targets), and which player of env c the rule plays now (-1: none).
  const loneP = spec.loneContinuation ?? 0;
  const lone = loneP > 0 ? new BatchedCommitted(env, { ...COMMITTED_DEFAULTS, epsilon: 0 }) : null;
  const loneOn = new Uint8Array(numEnvs);
  const lonePlayer = new Int32Array(numEnvs).fill(-1);
  const loneSeed = lone ? loneStreamSeed(spec.seed) : 0;
  let loneSteps = 0;
  let loneCatches = 0;
  // --lone-starts: the player env c's episode started alone (-1: a normal episode).
  const loneStarts = spec.loneStarts ?? 0;
  const loneStart = new Int32Array(numEnvs).fill(-1);
  // (the hares a lone start removed read as caught in the episode statistics; the summary leaves them out)
  const loneRemoved = new Int32Array(numEnvs);
  // Which players of each env are the team's agents this episode (1) or rule co-players (0).
  const hop = new Uint8Array(numEnvs * P).fill(1);
  // One cursor for every rule decision: its draws are a function of (env, episode, step, player) only.
  const cursor = new CounterRng();
  const coSeed = coPlayerStreamSeed(spec.seed);
  let decisions = 0;
  let networkRows = 0;
  let envSteps = 0;
  let replay: EpisodeRecord | null = null;
  const recording = spec.record
    ? {
        states: [env.states.slice(0, game.stateWords)],
        actions: [] as number[][],
        rewards: [] as number[][],
        decisions: { goalNames: goalNames(team), visits: [] as (number[] | null)[][], beliefs: [] as (number[][] | null)[][] },
      }
    : null;

  // One sample row for player p of env c acting a (learn: 1 planned, 0 rule co-player); returns its index.
  const row = (c: number, p: number, a: number, learn: number): number => {
    actions[c * P + p] = a;
    const k = s.count++;
    s.obs.set(env.observations.subarray((c * P + p) * O, (c * P + p + 1) * O), k * O);
    s.mask.set(env.masks.subarray((c * P + p) * A, (c * P + p + 1) * A), k * A);
    s.time[k] = env.times[c];
    s.action[k] = a;
    s.player[k] = p;
    s.env[k] = envStart + c;
    s.episode[k] = env.episodeIndex[c];
    s.learn[k] = learn;
    const g = coGoal[c * P + p];
    s.intent[k] = g >= 0 && g < G && available[c * G + g] ? g : -1;
    stepsOf[c * P + p].push(k);
    return k;
  };

  for (let e = 0; e < episodesPerEnv; e++) {
    if (e > 0) for (let c = 0; c < numEnvs; c++) env.resetEnv(c);
    for (let c = 0; c < numEnvs; c++) {
      // A lone start replaces the episode's co-players (rule or planned) by nobody: only its planner is a team agent.
      const ls = drawLoneStart(spec.seed, envStart + c, env.episodeIndex[c], loneStarts, P, config.hares);
      loneStart[c] = ls ? ls.keep : -1;
      loneRemoved[c] = ls ? ls.removeHares.length : 0;
      if (ls) {
        env.setState(c, applyLoneStart(env.readState(c), ls));
        if (recording && c === 0 && e === 0) recording.states[0] = env.states.slice(0, game.stateWords);
        // (no rule co-player plays this episode, so the committed agents need no layout search for it)
        ruled[c] = 0;
        coGoal.fill(-1, c * P, (c + 1) * P);
        for (let p = 0; p < P; p++) hop[c * P + p] = p === ls.keep ? 1 : 0;
        team.startEpisode(env.states, c, hop.subarray(c * P, (c + 1) * P));
      } else if (committed) {
        ruled[c] = drawCoPlayers(spec.seed, envStart + c, env.episodeIndex[c], mix, P, coGoal, c * P) ? 1 : 0;
        for (let p = 0; p < P; p++) hop[c * P + p] = coGoal[c * P + p] < 0 ? 1 : 0;
        committed.startEpisode(env, c);
        team.startEpisode(env.states, c, hop.subarray(c * P, (c + 1) * P));
      } else team.startEpisode(env.states, c);
      if (lone) {
        loneOn[c] = !ls && drawLoneContinuation(spec.seed, envStart + c, env.episodeIndex[c], loneP) ? 1 : 0;
        lonePlayer[c] = -1;
        // (its layout distances only where it may play: one search of the grid per drawn episode)
        if (loneOn[c]) lone.startEpisode(env, c);
      }
    }
    ended.fill(0);
    achieved.fill(-1);
    achievedStep.fill(-1);
    for (const l of stepsOf) l.length = 0;
    let liveCount = numEnvs;
    while (liveCount > 0) {
      liveCount = 0;
      for (let c = 0; c < numEnvs; c++) if (!ended[c]) live[liveCount++] = c;
      game.agentDone({ states: env.states, slots: envIdx, count: numEnvs }, done);
      if (committed && G > 0) game.goalsAvailable({ states: env.states, slots: envIdx, count: numEnvs }, available);
      let D = 0;
      let R = 0;
      for (let n = 0; n < liveCount; n++) {
        const c = live[n];
        const t = env.times[c];
        if (loneOn[c]) lonePlayer[c] = lonePlanner(done, coGoal, c, P);
        for (let p = 0; p < P; p++) {
          if (done[c * P + p] || lonePlayer[c] === p) continue;
          if (coGoal[c * P + p] >= 0) {
            // a rule co-player: not planned; acts below from its own seed
            ruleEnv[R] = c;
            rulePlayer[R++] = p;
            continue;
          }
          ctxEnv[D] = c;
          ctxFocal[D] = p;
          seeds[D] = deriveSeed(spec.seed, 'decision', envStart + c, env.episodeIndex[c], t, p);
          D++;
        }
      }
      // (with rule co-players an environment may have no planned player left while they still play)
      const out = D > 0 ? await team.plan(env.states, ctxEnv, ctxFocal, seeds, D) : null;
      decisions += D;
      if (out) {
        networkRows += out.counts.evaluatorRows + out.counts.coPlayerRows;
        timing.planSelect += out.timing.select;
        timing.planModels += out.timing.models;
        timing.planSimulator += out.timing.simulator;
        timing.planBackup += out.timing.backup;
        timing.planBookkeeping += out.timing.bookkeeping;
      }
      // Only the first episode of env 0 is recorded: env 0 plays its later episodes with `ended[0]` reset.
      const recordNow = recording !== null && e === 0 && !ended[0];
      if (recordNow) recordDecisions(recording.decisions, team, out, ctxEnv, ctxFocal, D, P, A);
      actions.fill(game.noopAction);
      if (out)
        for (let d = 0; d < D; d++) {
          const k = row(ctxEnv[d], ctxFocal[d], out.action[d], 1);
          s.policy.set(out.policy.subarray(d * A, (d + 1) * A), k * A);
        }
      // Rule co-players' rows keep a zero policy target (they have none) and learn = 0.
      for (let r = 0; r < R; r++) {
        const c = ruleEnv[r];
        const p = rulePlayer[r];
        const draws = coPlayerDecision(cursor, coSeed, envStart + c, env.episodeIndex[c], env.times[c], p);
        row(c, p, committed!.act(env, c, p, coGoal[c * P + p], draws), 0);
      }
      // A lone planner handed over to the hare rule: a learned row whose policy target is the rule's move.
      if (lone)
        for (let n = 0; n < liveCount; n++) {
          const c = live[n];
          const p = lonePlayer[c];
          if (p < 0) continue;
          const draws = coPlayerDecision(cursor, loneSeed, envStart + c, env.episodeIndex[c], env.times[c], p);
          const a = lone.act(env, c, p, Goal.Hare, draws);
          s.policy[row(c, p, a, 1) * A + a] = 1;
          loneSteps++;
        }
      const te = performance.now();
      prev.set(env.states);
      const timesBefore = Int32Array.from(env.times);
      env.step(actions);
      envSteps += liveCount;
      timing.env += performance.now() - te;
      if (recordNow) {
        recording.states.push(env.states.slice(0, game.stateWords));
        recording.actions.push(Array.from({ length: P }, (_, p) => (done[p] ? -1 : actions[p])));
        recording.rewards.push(Array.from(env.rewards.subarray(0, P)));
      }
      for (let n = 0; n < liveCount; n++) {
        const c = live[n];
        for (let p = 0; p < P; p++) {
          const steps = stepsOf[c * P + p];
          if (env.active[c * P + p] && steps.length) s.reward[steps[steps.length - 1]] = env.rewards[c * P + p];
          // A hare the lone continuation caught is its return, not the planner's achievement: the hindsight
          // labels, priors, belief tallies and online co-player models see what the planner itself did.
          if (env.hunted[c * P + p] >= 0 && lonePlayer[c] === p) loneCatches++;
          else if (env.hunted[c * P + p] >= 0) {
            achieved[c * P + p] = env.hunted[c * P + p];
            achievedStep[c * P + p] = timesBefore[c];
          }
        }
      }
      const tb = performance.now();
      await team.observe(prev, env.states, live, liveCount, actions, env.active);
      timing.beliefs += performance.now() - tb;
      for (let n = 0; n < liveCount; n++) {
        const c = live[n];
        if (!env.ended[c]) continue;
        ended[c] = 1;
        const stats = env.lastEpisode(c)!;
        const ach = Array.from(achieved.subarray(c * P, (c + 1) * P));
        const priorOutcomes = team.endEpisode(c, ach, tally);
        for (let p = 0; p < P; p++) finishReturns(s, stepsOf[c * P + p], gamma, ach[p]);
        episodes.push({
          env: envStart + c,
          episode: env.episodeIndex[c],
          length: stats.length,
          returns: stats.returns,
          stags: stats.stagsCaught,
          hares: stats.haresCaught - loneRemoved[c],
          achieved: ach,
          achievedStep: Array.from(achievedStep.subarray(c * P, (c + 1) * P)),
          priorOutcomes,
          coPlayers: ruled[c] ? Array.from(coGoal.subarray(c * P, (c + 1) * P)) : null,
          loneStart: loneStart[c],
        });
        if (recording && c === 0 && e === 0) replay = { config, ...recording, stats };
      }
      liveCount = 0;
      for (let c = 0; c < numEnvs; c++) if (!ended[c]) liveCount++;
    }
  }
  timing.total = performance.now() - t0;
  episodes.sort((a, b) => a.env - b.env || a.episode - b.episode);
  return { samples: canonicalOrder(s), episodes, tally, timing, decisions, networkRows, envSteps, loneSteps, loneCatches, replay };
}

/** The one player of env c still in play when it is a planner (`coGoal` -1) and every other player is done; else -1. */
function lonePlanner(done: Uint8Array, coGoal: Int32Array, c: number, P: number): number {
  let only = -1;
  for (let p = 0; p < P; p++) {
    if (done[c * P + p]) continue;
    if (only >= 0) return -1;
    only = p;
  }
  return only >= 0 && coGoal[c * P + only] < 0 ? only : -1;
}

/** Names of the goals the team's beliefs range over (the stag-hunt simulator's goal order: stag, hare). */
function goalNames(team: HopTeam): string[] {
  const G = team.goals.numGoals;
  return Array.from({ length: G }, (_, g) => (G === 2 ? ['stag', 'hare'][g] : `goal ${g}`));
}

/** One step of env 0 for the replay: each deciding player's root visits and (with goals) its beliefs. */
function recordDecisions(
  into: { visits: (number[] | null)[][]; beliefs: (number[][] | null)[][] },
  team: HopTeam,
  out: { visits: Int32Array } | null,
  ctxEnv: Int32Array,
  ctxFocal: Int32Array,
  D: number,
  P: number,
  A: number,
): void {
  const visits: (number[] | null)[] = new Array<number[] | null>(P).fill(null);
  const beliefs: (number[][] | null)[] = new Array<number[][] | null>(P).fill(null);
  const G = team.goals.numGoals;
  for (let d = 0; d < D && out; d++) {
    if (ctxEnv[d] !== 0) continue;
    const p = ctxFocal[d];
    visits[p] = Array.from(out.visits.subarray(d * A, (d + 1) * A));
    if (team.usesBeliefs) {
      const b = team.belief(p, 0);
      beliefs[p] = Array.from({ length: P - 1 }, (_, j) => Array.from(b.subarray(j * G, (j + 1) * G), (v) => Math.round(v * 1e4) / 1e4));
    }
  }
  into.visits.push(visits);
  into.beliefs.push(beliefs);
}

/** Zeroed sample arrays for `n` rows of `obsW` observation values and `A` actions (count = n). */
function allocSamples(n: number, obsW: number, A: number): RolloutSamples {
  return {
    count: n,
    obs: new Float32Array(n * obsW),
    mask: new Uint8Array(n * A),
    time: new Float32Array(n),
    action: new Int32Array(n),
    policy: new Float32Array(n * A),
    reward: new Float32Array(n),
    ret: new Float32Array(n),
    player: new Int32Array(n),
    env: new Int32Array(n),
    episode: new Int32Array(n),
    goal: new Int32Array(n),
    learn: new Uint8Array(n),
    intent: new Int32Array(n),
  };
}

/** Discounted returns and hindsight goal labels of one player's steps in one episode. */
function finishReturns(s: RolloutSamples, steps: number[], gamma: number, goal: number): void {
  let g = 0;
  for (let n = steps.length - 1; n >= 0; n--) {
    const k = steps[n];
    g = s.reward[k] + gamma * g;
    s.ret[k] = g;
    s.goal[k] = goal;
  }
}

/** Samples sorted by (env, episode, time, player), trimmed to their count. */
function canonicalOrder(s: RolloutSamples): RolloutSamples {
  const n = s.count;
  const idx = Array.from({ length: n }, (_, k) => k);
  idx.sort((a, b) => s.env[a] - s.env[b] || s.episode[a] - s.episode[b] || s.time[a] - s.time[b] || s.player[a] - s.player[b]);
  return permuteSamples(s, idx);
}

/** The samples `idx` in that order (fresh arrays). */
export function permuteSamples(s: RolloutSamples, idx: ArrayLike<number>): RolloutSamples {
  const n = idx.length;
  const obsW = s.time.length > 0 ? s.obs.length / s.time.length : 0;
  const A = s.time.length > 0 ? s.mask.length / s.time.length : 0;
  const out = allocSamples(n, obsW, A);
  for (let r = 0; r < n; r++) {
    const k = idx[r];
    out.obs.set(s.obs.subarray(k * obsW, (k + 1) * obsW), r * obsW);
    out.mask.set(s.mask.subarray(k * A, (k + 1) * A), r * A);
    out.policy.set(s.policy.subarray(k * A, (k + 1) * A), r * A);
    out.time[r] = s.time[k];
    out.action[r] = s.action[k];
    out.reward[r] = s.reward[k];
    out.ret[r] = s.ret[k];
    out.player[r] = s.player[k];
    out.env[r] = s.env[k];
    out.episode[r] = s.episode[k];
    out.goal[r] = s.goal[k];
    out.learn[r] = s.learn[k];
    out.intent[r] = s.intent[k];
  }
  return out;
}

/** Concatenates the samples of several slices (in the order given). */
export function concatSamples(parts: RolloutSamples[]): RolloutSamples {
  return parts.length === 1 ? parts[0] : mergeRaw(parts);
}

function mergeRaw(parts: RolloutSamples[]): RolloutSamples {
  const n = parts.reduce((a, p) => a + p.count, 0);
  const first = parts.find((p) => p.count > 0) ?? parts[0];
  const obsW = first.count > 0 ? first.obs.length / first.count : 0;
  const A = first.count > 0 ? first.mask.length / first.count : 0;
  const out = allocSamples(n, obsW, A);
  let at = 0;
  for (const p of parts) {
    out.obs.set(p.obs.subarray(0, p.count * obsW), at * obsW);
    out.mask.set(p.mask.subarray(0, p.count * A), at * A);
    out.policy.set(p.policy.subarray(0, p.count * A), at * A);
    for (const key of ['time', 'action', 'reward', 'ret', 'player', 'env', 'episode', 'goal', 'learn', 'intent'] as const)
      (out[key] as Float32Array | Int32Array | Uint8Array).set((p[key] as Float32Array | Int32Array | Uint8Array).subarray(0, p.count), at);
    at += p.count;
  }
  return out;
}

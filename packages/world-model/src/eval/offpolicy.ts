import { HopError, Rng, type BatchedSimulator } from '@hop/core';
import type { WorldModelSimulator } from '../sim/adapter';
import type { StateCodec } from '../sim/state';

/**
 * How the world model fares where a planner takes it: fresh episodes of the true game played with actions
 * the data's population would not take, each step replayed through the planning adapter (one step from the
 * true state) and ten-step rollouts fed the model's own states, compared with the truth on the state,
 * every player's reward and the end of the episode.
 */

/** Step categories the figures are broken down by (a step may be in several). */
export const STEP_CATEGORIES = ['stay', 'blocked', 'stacked', 'hunt', 'catch'] as const;
export type StepCategory = (typeof STEP_CATEGORIES)[number];
/** What each category means (report tooltips). */
export const STEP_CATEGORY_HELP: Readonly<Record<StepCategory, string>> = {
  stay: 'a player on the grid chose stay',
  blocked: 'a player chose an invalid action: a move off the grid or into an obstacle, a hunt without prey (acts as stay)',
  stacked: 'two or more players shared a cell before the step',
  hunt: 'a player hunted prey it stood on',
  catch: 'prey was caught in the true step',
};

/** How the actions of the fresh episodes are drawn. */
export type OffPolicyActions = 'legal' | 'uniform';

/** Episodes of the true game as the adapter's state records (what the comparisons read). */
export interface RecordedEpisode {
  /** `[(steps + 1) * stateWords]`: the state before each step, then the last state. */
  states: Int32Array;
  /** `[steps * players]` joint actions. */
  actions: Int32Array;
  /** `[steps * players]` true rewards. */
  rewards: Float32Array;
  /** `[steps]` 1 when the true episode was over after the step. */
  terminal: Uint8Array;
  steps: number;
}

export interface RecordOptions {
  /** The true game; its observations must be the adapter's grids (`[H, W, C]`, own channel first). */
  truth: BatchedSimulator;
  /** Start states in the truth's arena layout: `count` slots. */
  starts: Int32Array;
  count: number;
  actions: OffPolicyActions;
  seed: number;
  /**
   * An end time the rules set in a true state that its grid does not show (`endAfterFirstCatch`), 0 for none.
   * Default: none.
   */
  endTimeOf?: (states: Int32Array, slot: number) => number;
}

/**
 * Plays `count` episodes of the true game from the start states to their end with random actions: `legal`
 * draws uniformly among each live player's valid actions, `uniform` among all actions (invalid ones act as
 * stay in the true game). States are recorded through player 0's observation, encoded by the adapter.
 */
export async function recordEpisodes(sim: WorldModelSimulator, o: RecordOptions): Promise<RecordedEpisode[]> {
  const { truth, count } = o;
  if (truth.observationSize !== sim.observationSize || truth.numAgents !== sim.numAgents || truth.numActions !== sim.numActions)
    throw new HopError(
      'E_CONFIG',
      `the true game (${truth.numAgents} players, ${truth.numActions} actions, observations of ${truth.observationSize}) ` +
        `is not the world model's (${sim.numAgents}, ${sim.numActions}, ${sim.observationSize})`,
    );
  const P = truth.numAgents;
  const A = truth.numActions;
  const Wt = truth.stateWords;
  const Wd = sim.stateWords;
  const O = truth.observationSize;
  const arena = Int32Array.from(o.starts.subarray(0, count * Wt));
  const rng = new Rng(o.seed);
  const slots = Int32Array.from({ length: count }, (_, k) => k);
  const one = new Int32Array(1);
  const grid = new Float32Array(P * O);
  const time = new Float32Array(1);
  const legal = new Uint8Array(count * P * A);
  const done = new Uint8Array(count * P);
  const over = new Uint8Array(count);
  const actions = new Int32Array(count * P);
  const rewards = new Float32Array(count * P);
  const terminal = new Uint8Array(count);
  const states: number[][] = Array.from({ length: count }, () => []);
  const acts: number[][] = Array.from({ length: count }, () => []);
  const rews: number[][] = Array.from({ length: count }, () => []);
  const ends: number[][] = Array.from({ length: count }, () => []);
  const rec = new Int32Array(Wd);
  const encode = (k: number) => {
    one[0] = k;
    const view = { states: arena, slots: one, count: 1 };
    truth.observe(view, grid);
    truth.time(view, time);
    sim.codec.encode(grid, 0, 0, time[0], rec, 0);
    rec[sim.codec.END] = o.endTimeOf ? o.endTimeOf(arena, k) : 0;
    for (let i = 0; i < Wd; i++) states[k].push(rec[i]);
  };
  truth.terminal({ states: arena, slots, count }, over);
  for (let k = 0; k < count; k++) encode(k);
  const live: number[] = [];
  for (;;) {
    live.length = 0;
    for (let k = 0; k < count; k++) if (!over[k]) live.push(k);
    if (live.length === 0) break;
    const view = { states: arena, slots: Int32Array.from(live), count: live.length };
    truth.legalActions(view, legal);
    truth.agentDone(view, done);
    for (let j = 0; j < live.length; j++)
      for (let p = 0; p < P; p++) {
        const i = j * P + p;
        if (done[i]) actions[i] = truth.noopAction;
        else if (o.actions === 'uniform') actions[i] = rng.int(A);
        else {
          let n = 0;
          for (let a = 0; a < A; a++) n += legal[i * A + a];
          let pick = rng.int(n);
          for (let a = 0; a < A; a++)
            if (legal[i * A + a] && pick-- === 0) {
              actions[i] = a;
              break;
            }
        }
      }
    await truth.step({ states: arena, from: view.slots, to: view.slots, actions, count: live.length, rewards, terminal });
    for (let j = 0; j < live.length; j++) {
      const k = live[j];
      for (let p = 0; p < P; p++) {
        acts[k].push(actions[j * P + p]);
        rews[k].push(rewards[j * P + p]);
      }
      ends[k].push(terminal[j]);
      over[k] = terminal[j];
      encode(k);
    }
  }
  return states.map((s, k) => ({
    states: Int32Array.from(s),
    actions: Int32Array.from(acts[k]),
    rewards: Float32Array.from(rews[k]),
    terminal: Uint8Array.from(ends[k]),
    steps: ends[k].length,
  }));
}

/** Match counts of a set of steps: state, every reward within `REWARD_TOLERANCE`, end flag, all three. */
export interface MatchRates {
  steps: number;
  state: number;
  reward: number;
  end: number;
  all: number;
}

export interface RolloutFigures {
  horizon: number;
  rollouts: number;
  /** Fraction of rollouts whose every step matched (state, reward and end). */
  allMatch: number;
  /** Fraction of rollouts whose state and end matched throughout (rewards left out). */
  stateMatch: number;
  /** `[horizon]` fraction of the rollouts still running at that step whose every step so far matched. */
  matchByStep: number[];
  /** What went wrong first in the rollouts that failed. */
  firstDivergence: { state: number; reward: number; end: number };
}

export interface OffPolicyFigures {
  actions: OffPolicyActions;
  episodes: number;
  oneStep: { overall: MatchRates; byCategory: Record<StepCategory, MatchRates> };
  rollouts: RolloutFigures;
  seconds: number;
}

/** Two rewards are the same when within this (the "exact"). */
export const REWARD_TOLERANCE = 1e-3;

const emptyRates = (): MatchRates => ({ steps: 0, state: 0, reward: 0, end: 0, all: 0 });

/** Rates as fractions of their steps. */
function normalised(r: MatchRates): MatchRates {
  const n = Math.max(1, r.steps);
  return { steps: r.steps, state: r.state / n, reward: r.reward / n, end: r.end / n, all: r.all / n };
}

/** The categories of a step from the adapter's record of the state before it (bit per STEP_CATEGORIES entry). */
export function stepCategories(codec: StateCodec, before: Int32Array, b: number, actions: Int32Array, ab: number, after: Int32Array, a: number): number {
  const l = codec.layout;
  const P = l.players;
  const M = l.moves.length;
  let bits = 0;
  for (let p = 0; p < P; p++) {
    const pos = before[b + codec.POS + p];
    if (pos < 0) continue;
    const act = actions[ab + p];
    const mi = l.moves.findIndex((m) => m.action === act);
    const hk = l.huntActions.indexOf(act);
    if (act === l.stayAction) bits |= 1;
    else if (mi >= 0) {
      const t = codec.moveTarget[pos * M + mi];
      if (t < 0 || codec.blocked(before, b, t)) bits |= 2;
    } else if (hk >= 0) bits |= codec.bit(before, b, codec.preyOff[hk], pos) ? 8 : 2;
    else bits |= 2;
    for (let q = p + 1; q < P; q++) if (before[b + codec.POS + q] === pos) bits |= 4;
    if (after[a + codec.POS + p] < 0) bits |= 16;
  }
  return bits;
}

/** State records equal on everything but the rules' end time (compared through the end flag instead). */
function sameState(codec: StateCodec, x: Int32Array, a: number, y: Int32Array, b: number): boolean {
  for (let i = 0; i < codec.stateWords; i++) if (i !== codec.END && x[a + i] !== y[b + i]) return false;
  return true;
}

function sameRewards(x: Float32Array, a: number, y: Float32Array, b: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (!(Math.abs(x[a + i] - y[b + i]) <= REWARD_TOLERANCE)) return false;
  return true;
}

export interface CompareOptions {
  /** Steps of each rollout (default 10). */
  horizon?: number;
  /** Rollouts per episode, from start steps drawn uniformly (seeded) among its steps (default 1). */
  rolloutsPerEpisode?: number;
  seed?: number;
  /** Transitions per adapter call (default 1024). */
  batchSize?: number;
}

/**
 * One-step and rollout figures of the adapter on recorded episodes. One step: every step's true state is
 * stepped with its true joint action. Rollouts: from a start step, the model is fed its own states and the
 * true actions for `horizon` steps (fewer when the true episode ends first).
 */
export async function compareWithTruth(
  sim: WorldModelSimulator,
  episodes: RecordedEpisode[],
  actions: OffPolicyActions,
  opts: CompareOptions = {},
): Promise<OffPolicyFigures> {
  const t0 = performance.now();
  const codec = sim.codec;
  const P = sim.numAgents;
  const Wd = sim.stateWords;
  const bs = opts.batchSize ?? 1024;
  const horizon = opts.horizon ?? 10;

  // One step from every true state.
  const overall = emptyRates();
  const byCategory = Object.fromEntries(STEP_CATEGORIES.map((c) => [c, emptyRates()])) as Record<StepCategory, MatchRates>;
  const pairs: [number, number][] = [];
  episodes.forEach((e, i) => {
    for (let t = 0; t < e.steps; t++) pairs.push([i, t]);
  });
  const arena = sim.allocate(2 * bs);
  const from = Int32Array.from({ length: bs }, (_, k) => k);
  const to = Int32Array.from({ length: bs }, (_, k) => bs + k);
  const acts = new Int32Array(bs * P);
  const rewards = new Float32Array(bs * P);
  const terminal = new Uint8Array(bs);
  for (let s = 0; s < pairs.length; s += bs) {
    const n = Math.min(bs, pairs.length - s);
    for (let k = 0; k < n; k++) {
      const [i, t] = pairs[s + k];
      const e = episodes[i];
      arena.set(e.states.subarray(t * Wd, (t + 1) * Wd), k * Wd);
      acts.set(e.actions.subarray(t * P, (t + 1) * P), k * P);
    }
    await sim.step({ states: arena, from, to, actions: acts, count: n, rewards, terminal });
    for (let k = 0; k < n; k++) {
      const [i, t] = pairs[s + k];
      const e = episodes[i];
      const st = sameState(codec, arena, (bs + k) * Wd, e.states, (t + 1) * Wd);
      const rw = sameRewards(rewards, k * P, e.rewards, t * P, P);
      const en = terminal[k] === e.terminal[t];
      const bits = stepCategories(codec, e.states, t * Wd, e.actions, t * P, e.states, (t + 1) * Wd);
      const add = (r: MatchRates) => {
        r.steps++;
        r.state += +st;
        r.reward += +rw;
        r.end += +en;
        r.all += +(st && rw && en);
      };
      add(overall);
      STEP_CATEGORIES.forEach((c, j) => bits & (1 << j) && add(byCategory[c]));
    }
  }

  // Rollouts fed the model's own states.
  const rng = new Rng(opts.seed ?? 0);
  const per = opts.rolloutsPerEpisode ?? 1;
  const starts: [number, number][] = [];
  episodes.forEach((e, i) => {
    if (e.steps > 0) for (let r = 0; r < per; r++) starts.push([i, rng.int(e.steps)]);
  });
  const R = starts.length;
  const roll = sim.allocate(R);
  starts.forEach(([i, t], k) => roll.set(episodes[i].states.subarray(t * Wd, (t + 1) * Wd), k * Wd));
  const ok = new Uint8Array(R).fill(1);
  const stateOk = new Uint8Array(R).fill(1);
  const first = { state: 0, reward: 0, end: 0 };
  const running = new Array<number>(horizon).fill(0);
  const matching = new Array<number>(horizon).fill(0);
  const rAct = new Int32Array(Math.min(bs, Math.max(R, 1)) * P);
  const rRew = new Float32Array(rAct.length);
  const rTerm = new Uint8Array(rAct.length / P);
  for (let h = 0; h < horizon; h++) {
    const active: number[] = [];
    starts.forEach(([i, t], k) => t + h < episodes[i].steps && active.push(k));
    for (let s = 0; s < active.length; s += rTerm.length) {
      const n = Math.min(rTerm.length, active.length - s);
      const slots = Int32Array.from(active.slice(s, s + n));
      for (let j = 0; j < n; j++) {
        const [i, t] = starts[slots[j]];
        rAct.set(episodes[i].actions.subarray((t + h) * P, (t + h + 1) * P), j * P);
      }
      await sim.step({ states: roll, from: slots, to: slots, actions: rAct, count: n, rewards: rRew, terminal: rTerm });
      for (let j = 0; j < n; j++) {
        const k = slots[j];
        const [i, t] = starts[k];
        const e = episodes[i];
        const st = sameState(codec, roll, k * Wd, e.states, (t + h + 1) * Wd);
        const rw = sameRewards(rRew, j * P, e.rewards, (t + h) * P, P);
        const en = rTerm[j] === e.terminal[t + h];
        running[h]++;
        if (ok[k] && !(st && rw && en)) {
          if (!st) first.state++;
          else if (!en) first.end++;
          else first.reward++;
        }
        if (!(st && en)) stateOk[k] = 0;
        if (!(st && rw && en)) ok[k] = 0;
        if (ok[k]) matching[h]++;
      }
    }
  }
  let all = 0;
  let states = 0;
  for (let k = 0; k < R; k++) {
    all += ok[k];
    states += stateOk[k];
  }
  return {
    actions,
    episodes: episodes.length,
    oneStep: {
      overall: normalised(overall),
      byCategory: Object.fromEntries(STEP_CATEGORIES.map((c) => [c, normalised(byCategory[c])])) as Record<StepCategory, MatchRates>,
    },
    rollouts: {
      horizon,
      rollouts: R,
      allMatch: R ? all / R : 1,
      stateMatch: R ? states / R : 1,
      matchByStep: running.map((n, h) => (n ? matching[h] / n : 1)),
      firstDivergence: first,
    },
    seconds: (performance.now() - t0) / 1000,
  };
}

export type OffPolicyEvaluationOptions = Omit<RecordOptions, 'actions'> &
  Omit<CompareOptions, 'seed'> & {
    /** Action draws to evaluate (default both: `legal` then `uniform`). */
    actions?: OffPolicyActions[];
  };

/** Records fresh episodes for each kind of action draw and compares the adapter with the truth on them. */
export async function evaluateOffPolicy(sim: WorldModelSimulator, o: OffPolicyEvaluationOptions): Promise<OffPolicyFigures[]> {
  const out: OffPolicyFigures[] = [];
  for (const [j, actions] of (o.actions ?? (['legal', 'uniform'] as const)).entries()) {
    const t0 = performance.now();
    const episodes = await recordEpisodes(sim, { ...o, actions, seed: o.seed + 2 * j });
    const figures = await compareWithTruth(sim, episodes, actions, { ...o, seed: o.seed + 2 * j + 1 });
    out.push({ ...figures, seconds: (performance.now() - t0) / 1000 });
  }
  return out;
}

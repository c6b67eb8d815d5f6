import { HopError, type CatchRewards } from '@hop/core/base';
import { ACTION_NAMES, NUM_ACTIONS, resolveConfig, type PresetName, type StagHuntConfig, type StagHuntConfigInput } from '../config';
import type { Geometry } from './geometry';

/**
 * The rules of docs/rules.md, written once over a state record at `st[base..base+stateWords)`. The vectorized
 * environment, the single-environment face and the batched simulator all call these functions; nothing else
 * knows how a step is resolved.
 */

/** Per-player outputs of one step, written at `[off .. off+players)`. */
export interface StepOutputs {
  rewards: Float32Array;
  /** 1 when the player caught prey this step (it is done). */
  terminations: Uint8Array;
  /** 1 when the player was still in play when the time limit ended the episode. */
  truncations: Uint8Array;
  /** 1 when the player was in play before the step (its action counted). */
  active: Uint8Array;
  /** Prey caught this step: 0 stag, 1 hare, -1 none. */
  hunted: Int8Array;
}

/** Scratch of one rules user (no allocation per step). */
export interface RuleScratch {
  eff: Int32Array;
  target: Int32Array;
  raw: Float64Array;
}

export function makeRuleScratch(g: Geometry): RuleScratch {
  return { eff: new Int32Array(g.players), target: new Int32Array(g.players), raw: new Float64Array(g.players) };
}

export function makeStepOutputs(n: number): StepOutputs {
  return {
    rewards: new Float32Array(n),
    terminations: new Uint8Array(n),
    truncations: new Uint8Array(n),
    active: new Uint8Array(n),
    hunted: new Int8Array(n),
  };
}

/** 1 when the episode in this state is over (time limit reached or every player done). */
export function isTerminal(g: Geometry, st: Int32Array, b: number): boolean {
  if (st[b + g.T] >= st[b + g.END]) return true;
  const pos = b + g.POS;
  for (let p = 0; p < g.players; p++) if (st[pos + p] >= 0) return false;
  return true;
}

/** Index of the stag on `cell`, or -1. */
export function stagAt(g: Geometry, st: Int32Array, b: number, cell: number): number {
  const o = b + g.STAG;
  for (let s = 0; s < g.stags; s++) if (st[o + s] === cell) return s;
  return -1;
}

/** Index of the hare on `cell`, or -1. */
export function hareAt(g: Geometry, st: Int32Array, b: number, cell: number): number {
  const o = b + g.HARE;
  for (let h = 0; h < g.hares; h++) if (st[o + h] === cell) return h;
  return -1;
}

/**
 * Writes player `p`'s action mask (7 entries, 1 = valid) at `out[off..]`. A done player, or any player of a
 * finished episode, has only stay valid.
 */
export function writeMask(
  g: Geometry,
  st: Int32Array,
  b: number,
  p: number,
  out: Uint8Array | Float32Array,
  off: number,
): void {
  writePlayerMask(g, st, b, p, isTerminal(g, st, b), out, off);
}

function writePlayerMask(
  g: Geometry,
  st: Int32Array,
  b: number,
  p: number,
  terminal: boolean,
  out: Uint8Array | Float32Array,
  off: number,
): void {
  const pos = st[b + g.POS + p];
  if (pos < 0 || terminal) {
    out[off] = 0;
    out[off + 1] = 0;
    out[off + 2] = 0;
    out[off + 3] = 0;
    out[off + 4] = 1;
    out[off + 5] = 0;
    out[off + 6] = 0;
    return;
  }
  const nb = pos * 4;
  const ob = b + g.OBST;
  for (let d = 0; d < 4; d++) {
    const n = g.nbr[nb + d];
    out[off + d] = n >= 0 && ((st[ob + (n >> 5)] >>> (n & 31)) & 1) === 0 ? 1 : 0;
  }
  out[off + 4] = 1;
  out[off + 5] = stagAt(g, st, b, pos) >= 0 ? 1 : 0;
  out[off + 6] = hareAt(g, st, b, pos) >= 0 ? 1 : 0;
}

/** Writes every player's mask (`[players, 7]` at `out[off..]`), checking the episode end once. */
export function writeMasks(g: Geometry, st: Int32Array, b: number, out: Uint8Array | Float32Array, off: number): void {
  const terminal = isTerminal(g, st, b);
  for (let p = 0; p < g.players; p++) writePlayerMask(g, st, b, p, terminal, out, off + p * 7);
}

/** Throws the strict-mode error for player `p`'s action `a` in the state at `b`. */
export function invalidAction(g: Geometry, st: Int32Array, b: number, p: number, a: number): never {
  const mask = new Uint8Array(NUM_ACTIONS);
  writeMask(g, st, b, p, mask, 0);
  const valid = [...mask].flatMap((v, i) => (v ? [`${i} ${ACTION_NAMES[i]}`] : []));
  const name = a >= 0 && a < NUM_ACTIONS ? ` (${ACTION_NAMES[a]})` : '';
  throw new HopError(
    'E_INVALID_ACTION',
    `player_${p} chose invalid action ${a}${name} at time ${st[b + g.T]}; its action mask is [${mask.join(', ')}] ` +
      `(valid: ${valid.join(', ')}). Pick a valid action, or set strict: false to treat invalid actions as stay`,
  );
}

/**
 * One simultaneous step of every player in play. `actions[ab + p]` is player p's action; done players are
 * ignored. Invalid actions act as stay (strict configs throw). Returns true when the episode is over after the
 * step. Stepping a finished state changes nothing and writes zero rewards.
 */
export function stepState(
  g: Geometry,
  st: Int32Array,
  b: number,
  actions: ArrayLike<number>,
  ab: number,
  out: StepOutputs,
  off: number,
  s: RuleScratch,
  strict = g.strict,
): boolean {
  const P = g.players;
  const POS = b + g.POS;
  const OB = b + g.OBST;
  const nbr = g.nbr;
  const { eff, target, raw } = s;
  const { rewards, terminations, truncations, active, hunted } = out;
  const terminalBefore = isTerminal(g, st, b);
  let live = 0;
  let stagHunters = 0;
  let hareHunters = 0;
  for (let p = 0; p < P; p++) {
    const o = off + p;
    rewards[o] = 0;
    terminations[o] = 0;
    truncations[o] = 0;
    hunted[o] = -1;
    const pos = st[POS + p];
    if (pos < 0 || terminalBefore) {
      active[o] = 0;
      eff[p] = -1;
      continue;
    }
    active[o] = 1;
    live++;
    let a = actions[ab + p];
    let t = -1;
    if (a >= 0 && a < 4) {
      const n = nbr[pos * 4 + a];
      if (n < 0 || ((st[OB + (n >> 5)] >>> (n & 31)) & 1) !== 0) {
        if (strict) invalidAction(g, st, b, p, a);
        a = 4;
      }
    } else if (a === 5) {
      t = stagAt(g, st, b, pos);
      if (t < 0) {
        if (strict) invalidAction(g, st, b, p, a);
        a = 4;
      } else stagHunters++;
    } else if (a === 6) {
      t = hareAt(g, st, b, pos);
      if (t < 0) {
        if (strict) invalidAction(g, st, b, p, a);
        a = 4;
      } else hareHunters++;
    } else if (a !== 4) {
      if (strict) invalidAction(g, st, b, p, a);
      a = 4;
    }
    eff[p] = a;
    target[p] = t;
  }
  if (terminalBefore) return true;

  let caught = false;
  // Stag groups: every player hunting the same stag this step; enough of them catch it.
  if (stagHunters >= g.stagMinHunters) {
    for (let k = 0; k < g.stags; k++) {
      if (st[b + g.STAG + k] < 0) continue;
      let n = 0;
      for (let p = 0; p < P; p++) if (eff[p] === 5 && target[p] === k) n++;
      if (n === 0 || n < g.stagMinHunters) continue;
      for (let p = 0; p < P; p++) if (eff[p] === 5 && target[p] === k) hunted[off + p] = 0;
      st[b + g.STAG + k] = -1;
      caught = true;
    }
  }
  // Hares: any number of hunters (one suffices) catch it.
  if (hareHunters > 0) {
    for (let k = 0; k < g.hares; k++) {
      if (st[b + g.HARE + k] < 0) continue;
      let n = 0;
      for (let p = 0; p < P; p++) {
        if (eff[p] === 6 && target[p] === k) {
          n++;
          hunted[off + p] = 1;
        }
      }
      if (n === 0) continue;
      st[b + g.HARE + k] = -1;
      caught = true;
    }
  }
  writeCatchRewards(g, active, hunted, off, target, raw, rewards, off);

  // Moves, departures of the hunters.
  let left = live;
  for (let p = 0; p < P; p++) {
    const a = eff[p];
    if (a < 0) continue;
    if (hunted[off + p] >= 0) {
      st[POS + p] = -1;
      terminations[off + p] = 1;
      left--;
    } else if (a < 4) {
      st[POS + p] = nbr[st[POS + p] * 4 + a];
    }
  }

  const t = st[b + g.T];
  st[b + g.T] = t + 1;
  if (caught && st[b + g.FIRST] < 0) {
    st[b + g.FIRST] = t;
    if (g.dynamicFinalTime) {
      const end = t + 1 + g.finalTimeAfterFirstHunt;
      if (end < st[b + g.END]) st[b + g.END] = end;
    }
  }
  const terminal = left === 0 || t + 1 >= st[b + g.END];
  if (terminal) for (let p = 0; p < P; p++) if (eff[p] >= 0 && terminations[off + p] === 0) truncations[off + p] = 1;
  return terminal;
}

/** The rule parameters `writeCatchRewards` reads (a `Geometry` has them). */
export type RewardParams = Pick<Geometry, 'players' | 'stagReward' | 'hareReward' | 'timeReward' | 'strength' | 'prosocial'>;

/**
 * The reward rule of docs/rules.md, the one copy of it: from who caught what, each catching group splits its
 * prey's reward (a stag by `strength`, a hare equally), every acting player adds the time reward, and
 * prosocial play hands every acting player the step's total divided by the number of players; players not
 * acting get 0. `acting` and `caught` are read at `[io + p]`, `group` at `[p]` (see `CatchRewards`).
 * `stepState` and `stagHuntRewards` (the face other packages are handed) both call it.
 */
export function writeCatchRewards(
  r: RewardParams,
  acting: ArrayLike<number>,
  caught: ArrayLike<number>,
  io: number,
  group: ArrayLike<number>,
  raw: Float64Array,
  rewards: Float32Array,
  off: number,
): void {
  const P = r.players;
  raw.fill(0, 0, P);
  for (let p = 0; p < P; p++) {
    const k = caught[io + p];
    if (k < 0 || !acting[io + p]) continue;
    // the first member of its group shares the prey among the group (in player order, as the sum runs)
    let first = true;
    for (let q = 0; q < p && first; q++) if (caught[io + q] === k && group[q] === group[p] && acting[io + q]) first = false;
    if (!first) continue;
    const byStrength = k === 0;
    const reward = k === 0 ? r.stagReward : r.hareReward;
    let w = 0;
    for (let q = p; q < P; q++)
      if (caught[io + q] === k && group[q] === group[p] && acting[io + q]) w += byStrength ? r.strength[q] : 1;
    for (let q = p; q < P; q++)
      if (caught[io + q] === k && group[q] === group[p] && acting[io + q]) raw[q] += (reward * (byStrength ? r.strength[q] : 1)) / w;
  }
  let total = 0;
  for (let p = 0; p < P; p++) {
    if (!acting[io + p]) continue;
    raw[p] += r.timeReward;
    total += raw[p];
  }
  const mean = total / P;
  for (let p = 0; p < P; p++) rewards[off + p] = acting[io + p] ? (r.prosocial ? mean : raw[p]) : 0;
}

/**
 * The Stag Hunt's reward rule behind the `@hop/core` `CatchRewards` contract (goal 0 the stag, 1 a hare),
 * for simulators that predict only who caught what, such as `@hop/world-model`'s planning adapter: the
 * composing code hands it over, so the rule stays written once, here.
 */
export function stagHuntRewards(config: StagHuntConfig | StagHuntConfigInput | PresetName = {}): CatchRewards {
  const c = resolveConfig(config);
  const strength = new Float64Array(c.players).fill(1);
  if (c.playerStrength) strength.set(c.playerStrength);
  const r: RewardParams = {
    players: c.players,
    stagReward: c.stagReward,
    hareReward: c.hareReward,
    timeReward: c.timeReward,
    strength,
    prosocial: c.prosocial,
  };
  const raw = new Float64Array(c.players);
  return {
    players: c.players,
    write: (acting, caught, group, rewards, off) => writeCatchRewards(r, acting, caught, 0, group, raw, rewards, off),
  };
}

/** 1 per player no longer acting: done, or the episode is over. */
export function writeAgentDone(g: Geometry, st: Int32Array, b: number, out: Uint8Array, off: number): void {
  const term = isTerminal(g, st, b);
  for (let p = 0; p < g.players; p++) out[off + p] = term || st[b + g.POS + p] < 0 ? 1 : 0;
}

/** Any stag left, any hare left (goals 0 and 1 of the simulator contract). */
export function writeGoalsAvailable(g: Geometry, st: Int32Array, b: number, out: Uint8Array, off: number): void {
  let stag = 0;
  for (let k = 0; k < g.stags; k++) if (st[b + g.STAG + k] >= 0) stag = 1;
  let hare = 0;
  for (let k = 0; k < g.hares; k++) if (st[b + g.HARE + k] >= 0) hare = 1;
  out[off] = stag;
  out[off + 1] = hare;
}

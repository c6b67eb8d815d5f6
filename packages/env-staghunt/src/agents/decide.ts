import type { RandomSource, Rng } from '@hop/core/base';
import { Action } from '../config';
import { UNREACHABLE } from './paths';

/**
 * The decision rules of the rule-based co-players, written once. The `Agent` objects fill a `DecisionContext`
 * from a `GridObservation`; the batched population fills it straight from the environment's state. Both then
 * call `decide`, so they cannot drift apart.
 */

export const AGENT_KINDS = ['random', 'nearest-stag', 'nearest-hare', 'switching'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];
export const KIND_RANDOM = 0;
export const KIND_STAG = 1;
export const KIND_HARE = 2;
export const KIND_SWITCHING = 3;

export interface SwitchingParams {
  /** Go for a stag only before this time step. */
  deadline: number;
  /** ...and only while another live player is within this many steps of the targeted stag. */
  partnerRadius: number;
}
export const DEFAULT_SWITCHING: SwitchingParams = { deadline: 12, partnerRadius: 4 };

/**
 * What a stag hunter does on its stag with no partner there. `'stay'` (default, the original work's rule): wait with
 * stay and hunt only once a partner stands on the same cell, so both choose 5 in the same step. `'hunt'`:
 * repeat the hunt action while waiting (the behaviour before issue 14; its data labels every wait as a hunt).
 */
export const STAG_WAITS = ['stay', 'hunt'] as const;
export type StagWait = (typeof STAG_WAITS)[number];

/** The parameters of the decision rules (one record per population). */
export interface RuleParams {
  switching: SwitchingParams;
  stagWait: StagWait;
}

/** What a rule-based agent sees, as cell indices (row * width + col). */
export interface DecisionContext {
  cells: number;
  nbr: Int32Array;
  /** All-pairs distances of the current layout at `dist[distOff + from * cells + to]`. */
  dist: Uint16Array;
  distOff: number;
  /** The agent's own cell (-1 when done). */
  self: number;
  others: Int32Array;
  numOthers: number;
  stags: Int32Array;
  numStags: number;
  hares: Int32Array;
  numHares: number;
  time: number;
  mask: Uint8Array;
  maskOff: number;
}

export function makeDecisionContext(cells: number, players: number, stags: number, hares: number): DecisionContext {
  return {
    cells,
    nbr: new Int32Array(0),
    dist: new Uint16Array(0),
    distOff: 0,
    self: -1,
    others: new Int32Array(players),
    numOthers: 0,
    stags: new Int32Array(Math.max(stags, cells)),
    numStags: 0,
    hares: new Int32Array(Math.max(hares, cells)),
    numHares: 0,
    time: 0,
    mask: new Uint8Array(7),
    maskOff: 0,
  };
}

/** The reachable target nearest to the agent (ties: lowest cell index), or -1. */
export function nearestTarget(ctx: DecisionContext, targets: Int32Array, n: number): number {
  const row = ctx.distOff + ctx.self * ctx.cells;
  let best = -1;
  let bestD = UNREACHABLE;
  for (let i = 0; i < n; i++) {
    const c = targets[i];
    const d = ctx.dist[row + c];
    if (d < bestD || (d === bestD && d !== UNREACHABLE && c < best)) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

/** Hunt when on the target; otherwise the first move (up, down, left, right) along a shortest path. */
export function stepTowards(ctx: DecisionContext, target: number, huntAction: number): number {
  if (target < 0) return Action.Stay;
  if (ctx.self === target) return huntAction;
  const d = ctx.dist[ctx.distOff + ctx.self * ctx.cells + target];
  for (let a = 0; a < 4; a++) {
    const n = ctx.nbr[ctx.self * 4 + a];
    if (n >= 0 && ctx.dist[ctx.distOff + n * ctx.cells + target] === d - 1) return a;
  }
  return Action.Stay;
}

/** Uniform over the valid actions of the mask. */
export function randomValid(ctx: DecisionContext, rng: RandomSource): number {
  let count = 0;
  for (let a = 0; a < 7; a++) count += ctx.mask[ctx.maskOff + a];
  if (count === 0) return Action.Stay;
  let j = rng.int(count);
  for (let a = 0; a < 7; a++) {
    if (ctx.mask[ctx.maskOff + a] && j-- === 0) return a;
  }
  return Action.Stay;
}

/** True when another live player stands on the agent's own cell. */
export function partnerHere(ctx: DecisionContext): boolean {
  for (let i = 0; i < ctx.numOthers; i++) if (ctx.others[i] === ctx.self) return true;
  return false;
}

/** Towards a stag; on it, hunt only with a partner there unless the rules say to repeat the hunt. */
export function stepTowardsStag(ctx: DecisionContext, stag: number, wait: StagWait): number {
  if (stag >= 0 && ctx.self === stag && wait === 'stay' && !partnerHere(ctx)) return Action.Stay;
  return stepTowards(ctx, stag, Action.HuntStag);
}

/** True while the switching agent still goes for a stag: before the deadline and with a partner near it. */
export function switchingWantsStag(ctx: DecisionContext, p: SwitchingParams, stag: number): boolean {
  if (stag < 0 || ctx.time >= p.deadline) return false;
  for (let i = 0; i < ctx.numOthers; i++) {
    if (ctx.dist[ctx.distOff + ctx.others[i] * ctx.cells + stag] <= p.partnerRadius) return true;
  }
  return false;
}

/**
 * One decision. `memory[memIdx]` is the agent's episode memory (the switching agent's latch: 1 once it gave up
 * the stag); reset it to 0 at the start of every episode.
 */
export function decide(
  kind: number,
  ctx: DecisionContext,
  rng: Rng,
  memory: Uint8Array,
  memIdx: number,
  rules: RuleParams,
): number {
  if (ctx.self < 0) return Action.Stay;
  switch (kind) {
    case KIND_RANDOM:
      return randomValid(ctx, rng);
    case KIND_STAG:
      return stepTowardsStag(ctx, nearestTarget(ctx, ctx.stags, ctx.numStags), rules.stagWait);
    case KIND_HARE:
      return stepTowards(ctx, nearestTarget(ctx, ctx.hares, ctx.numHares), Action.HuntHare);
    default: {
      if (!memory[memIdx]) {
        const stag = nearestTarget(ctx, ctx.stags, ctx.numStags);
        if (switchingWantsStag(ctx, rules.switching, stag)) return stepTowardsStag(ctx, stag, rules.stagWait);
        memory[memIdx] = 1;
      }
      return stepTowards(ctx, nearestTarget(ctx, ctx.hares, ctx.numHares), Action.HuntHare);
    }
  }
}

const SCRATCH_MEMORY = new Uint8Array(1);

/**
 * The rule's action distribution `[7]` in a decision context, without side effects: one-hot for the
 * deterministic kinds, uniform over the valid actions for `random`. `latched` is the switching agent's
 * memory (1 once it gave up the stag). What a planner uses to simulate a rule co-player exactly.
 */
export function ruleActionProbs(kind: number, ctx: DecisionContext, rules: RuleParams, latched: boolean, out: Float32Array, outOffset = 0): void {
  out.fill(0, outOffset, outOffset + 7);
  if (kind === KIND_RANDOM) {
    let count = 0;
    if (ctx.self >= 0) for (let a = 0; a < 7; a++) count += ctx.mask[ctx.maskOff + a];
    if (count === 0) out[outOffset + Action.Stay] = 1;
    else for (let a = 0; a < 7; a++) if (ctx.mask[ctx.maskOff + a]) out[outOffset + a] = 1 / count;
    return;
  }
  SCRATCH_MEMORY[0] = latched ? 1 : 0;
  // Deterministic kinds never draw from the RNG.
  out[outOffset + decide(kind, ctx, NO_RNG, SCRATCH_MEMORY, 0, rules)] = 1;
}

const NO_RNG = {
  int: () => {
    throw new Error('ruleActionProbs: a deterministic rule drew a random number');
  },
} as unknown as Rng;

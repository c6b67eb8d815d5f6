import { HopError, type RandomSource } from '@hop/core/base';
import { Action, Goal } from '../config';
import type { VecStagHunt } from '../env/vec';
import { envContext, layoutDistances, playerContext } from './batched';
import { STAG_WAITS, makeDecisionContext, randomValid, stepTowards, stepTowardsStag, type DecisionContext, type StagWait } from './decide';
import { UNREACHABLE } from './paths';

/**
 * The rule co-players a trainer may train against. Disjoint from the evaluation types (`AGENT_KINDS`, the
 * populations of `POPULATIONS`): a few-shot evaluation against those stays an evaluation against unseen agents.
 */
export const TRAINING_CO_PLAYERS = ['committed'] as const;
export type TrainingCoPlayer = (typeof TRAINING_CO_PLAYERS)[number];

/** Parameters of the goal-committed agent. */
export interface CommittedParams {
  /** Probability of a uniformly random valid action instead of the rule's step. */
  epsilon: number;
  /** On its stag without a partner: wait with stay (default) or repeat the hunt (see `StagWait`). */
  stagWait: StagWait;
}

export const COMMITTED_DEFAULTS: Readonly<CommittedParams> = Object.freeze({ epsilon: 0.1, stagWait: 'stay' });

/** Checked parameters (a `HopError` names the bad one). */
export function committedParams(input: Partial<CommittedParams> = {}): CommittedParams {
  const p = { ...COMMITTED_DEFAULTS, ...input };
  if (!(typeof p.epsilon === 'number' && p.epsilon >= 0 && p.epsilon <= 1))
    throw new HopError('E_CONFIG', `committed agent: epsilon must be a number in [0, 1], got ${String(p.epsilon)}`);
  if (!STAG_WAITS.includes(p.stagWait))
    throw new HopError('E_CONFIG', `committed agent: stagWait must be one of ${STAG_WAITS.join(', ')}, got "${String(p.stagWait)}"`);
  return p;
}

/**
 * One decision of a goal-committed agent: it is given a goal for the episode (`Goal.Stag` or `Goal.Hare`) and
 * keeps a target prey of that kind in `target[idx]` (a cell; -1 before the first pick; reset it to -1 at
 * every episode start). With probability `epsilon` it takes a uniformly random valid action; otherwise, when
 * its target is no longer a live prey of its kind, it picks a new one uniformly at random among the reachable
 * live ones (NOT the nearest: that is what sets it apart from the nearest-prey evaluation agents) and steps
 * along a shortest path towards it (hunting on it; on a stag it waits for a partner as `stagWait` says). With
 * no prey of its kind left it stays. Draws from `rng` only (no allocation): an `Rng`, or a `CounterRng` reset per
 * decision (what the trainer uses, so a decision's draws depend on its key only).
 */
export function committedAction(
  ctx: DecisionContext,
  goal: number,
  rng: RandomSource,
  target: Int32Array,
  idx: number,
  params: CommittedParams = COMMITTED_DEFAULTS,
): number {
  if (ctx.self < 0) return Action.Stay;
  if (params.epsilon > 0 && rng.next() < params.epsilon) return randomValid(ctx, rng);
  const stag = goal === Goal.Stag;
  const prey = stag ? ctx.stags : ctx.hares;
  const n = stag ? ctx.numStags : ctx.numHares;
  const row = ctx.distOff + ctx.self * ctx.cells;
  let t = target[idx];
  let live = false;
  for (let i = 0; i < n && !live; i++) live = prey[i] === t;
  if (!live) {
    let reachable = 0;
    for (let i = 0; i < n; i++) if (ctx.dist[row + prey[i]] !== UNREACHABLE) reachable++;
    t = -1;
    if (reachable > 0) {
      let j = rng.int(reachable);
      for (let i = 0; i < n && t < 0; i++) if (ctx.dist[row + prey[i]] !== UNREACHABLE && j-- === 0) t = prey[i];
    }
    target[idx] = t;
  }
  return stag ? stepTowardsStag(ctx, t, params.stagWait) : stepTowards(ctx, t, Action.HuntHare);
}

/**
 * Goal-committed agents acting for chosen players of a `VecStagHunt`, reading its state records directly. The
 * caller owns the randomness (a `RandomSource` per decision, e.g. one `CounterRng` reset per decision) and the
 * goals; this holds the layouts' distances and each agent's target. Call `startEpisode(vec, k)` whenever env k
 * starts an episode (or was put into a new position).
 */
export class BatchedCommitted {
  readonly params: CommittedParams;
  private readonly players: number;
  private readonly dist: Uint16Array;
  private readonly targets: Int32Array;
  private readonly started: Uint8Array;
  private readonly ctx: DecisionContext;
  private readonly blocked: Uint8Array;
  private readonly queue: Int32Array;

  constructor(vec: VecStagHunt, params: Partial<CommittedParams> = {}) {
    this.params = committedParams(params);
    const g = vec.geometry;
    this.players = g.players;
    this.dist = new Uint16Array(vec.numEnvs * g.cells * g.cells);
    this.targets = new Int32Array(vec.numEnvs * g.players).fill(-1);
    this.started = new Uint8Array(vec.numEnvs);
    this.ctx = makeDecisionContext(g.cells, g.players, g.stags, g.hares);
    this.ctx.nbr = g.nbr;
    this.ctx.dist = this.dist;
    this.blocked = new Uint8Array(g.cells);
    this.queue = new Int32Array(g.cells);
  }

  /** Env k's layout distances, and its agents forget their targets. */
  startEpisode(vec: VecStagHunt, k: number): void {
    layoutDistances(vec, k, this.blocked, this.dist, this.queue);
    this.targets.fill(-1, k * this.players, (k + 1) * this.players);
    this.started[k] = 1;
  }

  /** The target cell of env k's player p (-1: none yet / none left). */
  targetOf(k: number, p: number): number {
    return this.targets[k * this.players + p];
  }

  /** The action of env k's player p, committed to `goal` this episode (stay when it is done). */
  act(vec: VecStagHunt, k: number, p: number, goal: number, rng: RandomSource): number {
    if (!this.started[k]) throw new HopError('E_STATE', `BatchedCommitted.act: env ${k} has no episode started (call startEpisode first)`);
    const ctx = this.ctx;
    ctx.mask = vec.masks;
    envContext(ctx, vec.states, vec.geometry, k);
    playerContext(ctx, vec.states, vec.geometry, k, p);
    return committedAction(ctx, goal, rng, this.targets, k * this.players + p, this.params);
  }
}

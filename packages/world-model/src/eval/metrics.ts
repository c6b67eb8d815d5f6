import type { TransitionBatch } from '../data/batch';
import { cellsOf, gridSizeOf, rulesOf, type GridLayout, type RewardRules } from '../layout';
import type { Prediction } from '../model/world-model';

/** A grid value at or above this counts as "something is there" (a player, a prey, an obstacle). */
export const PRESENCE_THRESHOLD = 0.5;

/** Counts of physically impossible predictions (continuous values >= 0.5 where nothing can be). */
export interface ImpossibleCounts {
  /** A player predicted at a cell more than one move away from where it was. */
  playerJump: number;
  /** A player predicted at two or more cells at once. */
  playerMulti: number;
  /** A player that had left the grid predicted back on it. */
  playerReturn: number;
  /** Prey predicted on a cell that held none. */
  preyAppear: number;
}

/** Validation figures of a world model (docs/models.md). */
export interface WorldModelMetrics {
  samples: number;
  /** Mean squared error of the clipped predicted grid, over every cell and channel. */
  obsMse: number;
  /** `10 log10(1 / obsMse)` dB. */
  psnr: number;
  perChannelMse: number[];
  /**
   * The observer's reward by the rules from the predicted (argmax) hunt outcome vs the recorded reward, in
   * game units, over the `rewardRows` rows where one view gives it (not prosocial rules, nor a catch of prey
   * split by strength: those need the other views of the step); null when there are none.
   */
  rewardMse: number | null;
  rewardMae: number | null;
  /** Fraction of the `rewardRows` whose rule reward is within 1e-3 of the recorded one (null when none). */
  rewardExact: number | null;
  /** Rows the reward figures count. */
  rewardRows: number;
  /** Argmax of the hunt outcome == the true outcome (nothing / caught prey k). */
  outcomeAccuracy: number;
  /** Of the rows where the observer caught prey: the outcome predicted exactly (1 when there are none). */
  catchRecall: number;
  /** Of the rows predicted as a catch: a true catch of that prey (1 when there are none). */
  catchPrecision: number;
  /** Of the players on the grid after the step: argmax cell of the predicted channel == true cell. */
  positionAccuracy: number;
  /** Of the players on the grid before the step: predicted on / off the grid after it as they truly are. */
  presenceAccuracy: number;
  impossible: ImpossibleCounts;
  /** Fraction of samples with at least one impossible prediction. */
  impossibleRate: number;
}

/** Streams batches of (truth, prediction) into the figures of `WorldModelMetrics`, without keeping them. */
export class MetricsAccumulator {
  private n = 0;
  private sqErr = 0;
  private readonly chErr: Float64Array;
  private rSq = 0;
  private rAbs = 0;
  private rExact = 0;
  private rRows = 0;
  private outcomeOk = 0;
  private catches = 0;
  private catchesOk = 0;
  private predictedCatches = 0;
  private predictedCatchesOk = 0;
  private readonly rules: RewardRules;
  private posTotal = 0;
  private posOk = 0;
  private presTotal = 0;
  private presOk = 0;
  private badSamples = 0;
  private readonly imp: ImpossibleCounts = { playerJump: 0, playerMulti: 0, playerReturn: 0, preyAppear: 0 };

  constructor(readonly layout: GridLayout) {
    this.chErr = new Float64Array(layout.channels);
    this.rules = rulesOf(layout);
  }

  add(b: TransitionBatch, p: Prediction): void {
    const l = this.layout;
    const G = gridSizeOf(l);
    const C = l.channels;
    const cells = cellsOf(l);
    for (let k = 0; k < b.size; k++) {
      const o = k * G;
      for (let i = 0; i < G; i++) {
        const e = p.next[o + i] - b.nextObs[o + i];
        this.sqErr += e * e;
        this.chErr[i % C] += e * e;
      }
      const K1 = l.preyChannels.length + 1;
      let guess = 0;
      for (let j = 1; j < K1; j++) if (p.outcome[k * K1 + j] > p.outcome[k * K1 + guess]) guess = j;
      const truth = b.outcome[k];
      if (guess === truth) this.outcomeOk++;
      if (truth > 0) {
        this.catches++;
        if (guess === truth) this.catchesOk++;
      }
      if (guess > 0) {
        this.predictedCatches++;
        if (guess === truth) this.predictedCatchesOk++;
      }
      // NaN: not computable from this view (prosocial, strength split); such rows are left out, not counted wrong
      const er = observerRuleReward(l, this.rules, b.obs, o, b.jointAction, k * l.players, guess) - b.reward[k];
      if (!Number.isNaN(er)) {
        this.rRows++;
        this.rSq += er * er;
        this.rAbs += Math.abs(er);
        if (Math.abs(er) <= 1e-3) this.rExact++;
      }

      const before0 = this.impossibleTotal();
      for (const ch of l.playerChannels) {
        const before = argmaxAbove(b.obs, o, C, ch, cells);
        const after = argmaxAbove(b.nextObs, o, C, ch, cells);
        let best = -1;
        let bestV = -Infinity;
        let above = 0;
        let far = false;
        for (let cell = 0; cell < cells; cell++) {
          const v = p.next[o + cell * C + ch];
          if (v > bestV) {
            bestV = v;
            best = cell;
          }
          if (v >= PRESENCE_THRESHOLD) {
            above++;
            if (before >= 0 && manhattan(l, before, cell) > 1) far = true;
          }
        }
        if (after >= 0) {
          this.posTotal++;
          if (best === after) this.posOk++;
        }
        if (before >= 0) {
          this.presTotal++;
          if (bestV >= PRESENCE_THRESHOLD === after >= 0) this.presOk++;
          if (far) this.imp.playerJump++;
        } else if (above > 0) this.imp.playerReturn++;
        if (above > 1) this.imp.playerMulti++;
      }
      for (let cell = 0; cell < cells; cell++)
        for (const ch of l.preyChannels) {
          const i = o + cell * C + ch;
          if (b.obs[i] < PRESENCE_THRESHOLD && p.next[i] >= PRESENCE_THRESHOLD) this.imp.preyAppear++;
        }
      if (this.impossibleTotal() > before0) this.badSamples++;
    }
    this.n += b.size;
  }

  private impossibleTotal(): number {
    const i = this.imp;
    return i.playerJump + i.playerMulti + i.playerReturn + i.preyAppear;
  }

  result(): WorldModelMetrics {
    const n = Math.max(1, this.n);
    const G = gridSizeOf(this.layout);
    const obsMse = this.sqErr / (n * G);
    return {
      samples: this.n,
      obsMse,
      psnr: 10 * Math.log10(1 / Math.max(obsMse, 1e-12)),
      perChannelMse: Array.from(this.chErr, (e) => e / (n * cellsOf(this.layout))),
      rewardMse: this.rRows ? this.rSq / this.rRows : null,
      rewardMae: this.rRows ? this.rAbs / this.rRows : null,
      rewardExact: this.rRows ? this.rExact / this.rRows : null,
      rewardRows: this.rRows,
      outcomeAccuracy: this.outcomeOk / n,
      catchRecall: this.catches ? this.catchesOk / this.catches : 1,
      catchPrecision: this.predictedCatches ? this.predictedCatchesOk / this.predictedCatches : 1,
      positionAccuracy: this.posTotal ? this.posOk / this.posTotal : 1,
      presenceAccuracy: this.presTotal ? this.presOk / this.presTotal : 1,
      impossible: { ...this.imp },
      impossibleRate: this.badSamples / n,
    };
  }
}

/**
 * The observer's reward of one transition by the rules when its hunt outcome is `outcome` (0 nothing,
 * `k + 1` caught prey k): its group, the players on its cell choosing the same hunt, shares the prey equally.
 * NaN when one view cannot tell: prosocial rules (every player's reward counts), or a catch of prey whose
 * reward is split by strength (the group's identities are needed).
 */
export function observerRuleReward(
  l: GridLayout,
  rules: RewardRules,
  obs: Float32Array,
  off: number,
  jointAction: Int32Array,
  ab: number,
  outcome: number,
): number {
  if (rules.prosocial) return NaN;
  if (outcome === 0) return rules.stepReward;
  if (rules.strength && (rules.strengthPrey === null || rules.strengthPrey[outcome - 1])) return NaN;
  const C = l.channels;
  const cells = cellsOf(l);
  const own = l.playerChannels[0];
  let at = -1;
  for (let cell = 0; cell < cells && at < 0; cell++) if (obs[off + cell * C + own] >= PRESENCE_THRESHOLD) at = cell;
  const hunt = l.huntActions[outcome - 1];
  let group = 0;
  for (let m = 0; m < l.players; m++)
    if (jointAction[ab + m] === hunt && at >= 0 && obs[off + at * C + l.playerChannels[m]] >= PRESENCE_THRESHOLD) group++;
  return rules.preyRewards[outcome - 1] / Math.max(1, group) + rules.stepReward;
}

/** Cell of the largest value of channel `ch` when it is >= the presence threshold, else -1. */
function argmaxAbove(g: Float32Array, off: number, C: number, ch: number, cells: number): number {
  let best = -1;
  let bestV = PRESENCE_THRESHOLD;
  for (let cell = 0; cell < cells; cell++) {
    const v = g[off + cell * C + ch];
    if (v >= bestV) {
      bestV = v;
      best = cell;
    }
  }
  return best;
}

function manhattan(l: GridLayout, a: number, b: number): number {
  return Math.abs(Math.floor(a / l.width) - Math.floor(b / l.width)) + Math.abs((a % l.width) - (b % l.width));
}

/**
 * Flat record of the metrics for a RunWriter line (`val/...` names, per-channel MSE as `val/mse_ch<c>`); the
 * reward figures are left out when no row's reward was computable (`rewardRows` 0).
 */
export function metricsRecord(m: WorldModelMetrics, prefix = 'val/'): Record<string, number> {
  const r: Record<string, number> = {
    [`${prefix}obs_mse`]: m.obsMse,
    [`${prefix}psnr`]: m.psnr,
    [`${prefix}reward_rows`]: m.rewardRows,
    [`${prefix}outcome_accuracy`]: m.outcomeAccuracy,
    [`${prefix}catch_recall`]: m.catchRecall,
    [`${prefix}catch_precision`]: m.catchPrecision,
    [`${prefix}position_accuracy`]: m.positionAccuracy,
    [`${prefix}presence_accuracy`]: m.presenceAccuracy,
    [`${prefix}impossible_rate`]: m.impossibleRate,
    [`${prefix}impossible_jump`]: m.impossible.playerJump,
    [`${prefix}impossible_multi`]: m.impossible.playerMulti,
    [`${prefix}impossible_return`]: m.impossible.playerReturn,
    [`${prefix}impossible_prey`]: m.impossible.preyAppear,
    [`${prefix}samples`]: m.samples,
  };
  // reward figures only when some row had a computable reward: a missing value reads as n/a, not as 0
  if (m.rewardMse !== null) r[`${prefix}reward_mse`] = m.rewardMse;
  if (m.rewardMae !== null) r[`${prefix}reward_mae`] = m.rewardMae;
  if (m.rewardExact !== null) r[`${prefix}reward_exact`] = m.rewardExact;
  m.perChannelMse.forEach((v, c) => (r[`${prefix}mse_ch${c}`] = v));
  return r;
}

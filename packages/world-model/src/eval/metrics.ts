import type { TransitionBatch } from '../data/batch';
import { cellsOf, gridSizeOf, type GridLayout } from '../layout';
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
  /** In game units (not scaled). */
  rewardMse: number;
  rewardMae: number;
  /** Done probability thresholded at 0.5 vs the done flag. */
  doneAccuracy: number;
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
  private doneOk = 0;
  private posTotal = 0;
  private posOk = 0;
  private presTotal = 0;
  private presOk = 0;
  private badSamples = 0;
  private readonly imp: ImpossibleCounts = { playerJump: 0, playerMulti: 0, playerReturn: 0, preyAppear: 0 };

  constructor(readonly layout: GridLayout) {
    this.chErr = new Float64Array(layout.channels);
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
      const er = p.reward[k] - b.reward[k];
      this.rSq += er * er;
      this.rAbs += Math.abs(er);
      if (p.done[k] >= 0.5 === (b.done[k] !== 0)) this.doneOk++;

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
      rewardMse: this.rSq / n,
      rewardMae: this.rAbs / n,
      doneAccuracy: this.doneOk / n,
      positionAccuracy: this.posTotal ? this.posOk / this.posTotal : 1,
      presenceAccuracy: this.presTotal ? this.presOk / this.presTotal : 1,
      impossible: { ...this.imp },
      impossibleRate: this.badSamples / n,
    };
  }
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

/** Flat record of the metrics for a RunWriter line (`val/...` names, per-channel MSE as `val/mse_ch<c>`). */
export function metricsRecord(m: WorldModelMetrics, prefix = 'val/'): Record<string, number> {
  const r: Record<string, number> = {
    [`${prefix}obs_mse`]: m.obsMse,
    [`${prefix}psnr`]: m.psnr,
    [`${prefix}reward_mse`]: m.rewardMse,
    [`${prefix}reward_mae`]: m.rewardMae,
    [`${prefix}done_accuracy`]: m.doneAccuracy,
    [`${prefix}position_accuracy`]: m.positionAccuracy,
    [`${prefix}presence_accuracy`]: m.presenceAccuracy,
    [`${prefix}impossible_rate`]: m.impossibleRate,
    [`${prefix}impossible_jump`]: m.impossible.playerJump,
    [`${prefix}impossible_multi`]: m.impossible.playerMulti,
    [`${prefix}impossible_return`]: m.impossible.playerReturn,
    [`${prefix}impossible_prey`]: m.impossible.preyAppear,
    [`${prefix}samples`]: m.samples,
  };
  m.perChannelMse.forEach((v, c) => (r[`${prefix}mse_ch${c}`] = v));
  return r;
}

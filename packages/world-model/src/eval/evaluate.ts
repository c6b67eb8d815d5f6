import type { TransitionBatch, TransitionSource } from '../data/batch';
import { gridSizeOf } from '../layout';
import type { WorldModel } from '../model/world-model';
import { rulesOf } from '../layout';
import { MetricsAccumulator, observerRuleReward, type WorldModelMetrics } from './metrics';

/** One validation transition kept for pictures: the grids as continuous values. */
export interface PictureSample {
  row: number;
  /** `[H * W * C]` grid at t. */
  obs: number[];
  /** `[H * W * C]` true grid at t + 1. */
  next: number[];
  /** `[H * W * C]` predicted grid at t + 1 (clipped to [0, 1], not rounded). */
  pred: number[];
  jointAction: number[];
  reward: number;
  /** The rules' reward of the predicted (argmax) hunt outcome. */
  predReward: number;
  /** Predicted hunt-outcome probabilities (0 nothing, k + 1 caught prey k). */
  outcome: number[];
}

export interface Evaluation {
  metrics: WorldModelMetrics;
  /** Evenly spaced validation rows. */
  samples: PictureSample[];
  /** The row with the largest grid error (where to look for impossible predictions). */
  worst: PictureSample | null;
  /** Reward pairs for a scatter plot (evenly spaced rows). */
  scatter: { truth: number[]; pred: number[] };
}

export interface EvaluateOptions {
  batchSize?: number;
  /** Rows kept as pictures (evenly spaced; default 3). */
  pictureSamples?: number;
  /** Reward pairs kept for the scatter plot (default 2000). */
  scatterPoints?: number;
}

/** Evenly spaced rows: `count` of `size`. */
function spaced(size: number, count: number): Set<number> {
  const n = Math.min(size, count);
  return new Set(Array.from({ length: n }, (_, i) => Math.floor(((i + 0.5) * size) / n)));
}

/** Runs the model over a whole source in batches and returns its metrics, pictures and reward pairs. */
export async function evaluateWorldModel(
  model: WorldModel,
  src: TransitionSource,
  opts: EvaluateOptions = {},
): Promise<Evaluation> {
  const bs = opts.batchSize ?? model.config.evalBatchSize;
  const acc = new MetricsAccumulator(model.layout);
  const pictureRows = spaced(src.size, opts.pictureSamples ?? model.config.pictureSamples);
  const scatterRows = spaced(src.size, opts.scatterPoints ?? model.config.scatterPoints);
  const G = gridSizeOf(model.layout);
  const P = model.layout.players;
  const K1 = model.layout.preyChannels.length + 1;
  const rules = rulesOf(model.layout);
  const samples: PictureSample[] = [];
  let worst: PictureSample | null = null;
  let worstErr = 0;
  const scatter = { truth: [] as number[], pred: [] as number[] };
  const idx = new Int32Array(bs);
  let batch: TransitionBatch | undefined;
  for (let start = 0; start < src.size; start += bs) {
    const n = Math.min(bs, src.size - start);
    for (let k = 0; k < n; k++) idx[k] = start + k;
    const bt = (batch = src.gather(idx.subarray(0, n), batch));
    const pred = await model.predict(bt);
    acc.add(bt, pred);
    for (let k = 0; k < n; k++) {
      const row = start + k;
      const probs = pred.outcome.subarray(k * K1, (k + 1) * K1);
      let guess = 0;
      for (let j = 1; j < K1; j++) if (probs[j] > probs[guess]) guess = j;
      const predReward = observerRuleReward(model.layout, rules, bt.obs, k * G, bt.jointAction, k * P, guess);
      // NaN: a reward one view cannot give (prosocial, strength split): no point to draw
      if (scatterRows.has(row) && !Number.isNaN(predReward)) {
        scatter.truth.push(bt.reward[k]);
        scatter.pred.push(predReward);
      }
      const sample = (): PictureSample => ({
        row,
        obs: Array.from(bt.obs.subarray(k * G, (k + 1) * G)),
        next: Array.from(bt.nextObs.subarray(k * G, (k + 1) * G)),
        pred: Array.from(pred.next.subarray(k * G, (k + 1) * G)),
        jointAction: Array.from(bt.jointAction.subarray(k * P, (k + 1) * P)),
        reward: bt.reward[k],
        predReward,
        outcome: Array.from(probs),
      });
      if (pictureRows.has(row)) samples.push(sample());
      let err = 0;
      for (let i = k * G; i < (k + 1) * G; i++) err += (pred.next[i] - bt.nextObs[i]) ** 2;
      if (err > worstErr) {
        worstErr = err;
        worst = sample();
      }
    }
  }
  return { metrics: acc.result(), samples, worst, scatter };
}

import type { MOAModel } from '../model/moa-model';
import { assertDataset, type MOADataset } from '../train/dataset';
import { MetricsAccumulator, type Evaluation, type MetricsOptions } from './metrics';

export interface EvaluateOptions extends MetricsOptions {
  /** Rows per network call (default 1024). */
  batchSize?: number;
}

/**
 * Runs the model over a dataset in batches and measures top-1 / top-3 accuracy, cross-entropy, per-class
 * count, ratio, precision, recall, F1 and the confusion matrix of its actions.
 */
export function evaluate(model: MOAModel, dataset: MOADataset, options: EvaluateOptions = {}): Evaluation {
  assertDataset(dataset, model);
  const bs = options.batchSize ?? 1024;
  const acc = new MetricsAccumulator(model.numActions, options);
  const { observationSize: o, numActions: a, goalDim: d } = model;
  for (let from = 0; from < dataset.size; from += bs) {
    const to = Math.min(from + bs, dataset.size);
    const p = model.probs({
      obs: dataset.obs.subarray(from * o, to * o),
      mask: dataset.mask.subarray(from * a, to * a),
      time: dataset.time.subarray(from, to),
      goal: d > 0 ? dataset.goal!.subarray(from * d, to * d) : undefined,
    });
    const probs = p.dataSync();
    p.dispose();
    acc.add(probs, dataset.action.subarray(from, to));
  }
  return acc.result();
}

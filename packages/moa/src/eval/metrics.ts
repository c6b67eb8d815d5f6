import { HopError } from '@hop/core';

/** Metrics of one class (one action). */
export interface ClassMetrics {
  index: number;
  label: string;
  /** Samples whose true label is this class. */
  count: number;
  /** `count / samples`. */
  ratio: number;
  /** Samples predicted (top-1) as this class. */
  predicted: number;
  /** `TP / predicted`, 0 when nothing was predicted as this class. */
  precision: number;
  /** `TP / count`, 0 when the class never occurs. */
  recall: number;
  /** Harmonic mean of precision and recall, 0 when both are 0. */
  f1: number;
}

/** Everything `evaluate` measures; `confusion[t][p]` counts samples of true class t predicted as p. */
export interface Evaluation {
  samples: number;
  top1: number;
  top3: number;
  /** Accuracy for each requested k (always includes 1 and 3). */
  topK: { k: number; accuracy: number }[];
  /** Mean negative log-likelihood of the true labels (cross-entropy), probabilities floored at 1e-12. */
  nll: number;
  perClass: ClassMetrics[];
  /** Unweighted means over the classes that occur or are predicted. */
  macro: { precision: number; recall: number; f1: number };
  confusion: number[][];
  labels: string[];
}

export interface MetricsOptions {
  /** Class names (default `"0"`, `"1"`, ...). */
  labels?: string[];
  /** Extra k for top-k accuracy (1 and 3 are always measured). */
  topK?: number[];
}

/**
 * Accumulates predicted probabilities and true labels batch by batch (no copy of the data is kept), so
 * datasets of any size are evaluated in one pass.
 */
export class MetricsAccumulator {
  readonly numClasses: number;
  readonly labels: string[];
  private readonly ks: number[];
  private readonly hits: number[];
  private readonly confusion: number[][];
  private nllSum = 0;
  private n = 0;

  constructor(numClasses: number, options: MetricsOptions = {}) {
    if (!(Number.isInteger(numClasses) && numClasses >= 1))
      throw new HopError('E_METRICS', `numClasses must be a positive integer, got ${numClasses}`);
    this.numClasses = numClasses;
    this.labels = options.labels ?? Array.from({ length: numClasses }, (_, c) => String(c));
    if (this.labels.length !== numClasses)
      throw new HopError('E_METRICS', `${this.labels.length} labels given for ${numClasses} classes`);
    this.ks = [...new Set([1, 3, ...(options.topK ?? [])])].sort((a, b) => a - b);
    this.hits = this.ks.map(() => 0);
    this.confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  }

  /** Adds `[n, numClasses]` probabilities (or any scores) and their `[n]` true labels. */
  add(probs: ArrayLike<number>, labels: ArrayLike<number>): void {
    const c = this.numClasses;
    const n = labels.length;
    if (probs.length !== n * c)
      throw new HopError('E_METRICS', `probs has ${probs.length} values, expected ${n} labels x ${c} classes`);
    for (let i = 0; i < n; i++) {
      const y = labels[i];
      if (!(Number.isInteger(y) && y >= 0 && y < c))
        throw new HopError('E_METRICS', `label ${y} at row ${i} is not a class in [0, ${c})`);
      const o = i * c;
      const py = probs[o + y];
      // Rank of the true class; ties go to the lower index, the same rule as argmax (first maximum).
      let rank = 0;
      let pred = 0;
      for (let k = 0; k < c; k++) {
        const p = probs[o + k];
        if (p > py || (p === py && k < y)) rank++;
        if (p > probs[o + pred]) pred = k;
      }
      this.ks.forEach((k, j) => {
        if (rank < k) this.hits[j]++;
      });
      this.confusion[y][pred]++;
      this.nllSum -= Math.log(Math.max(py, 1e-12));
    }
    this.n += n;
  }

  result(): Evaluation {
    const n = this.n;
    const topK = this.ks.map((k, j) => ({ k, accuracy: n ? this.hits[j] / n : 0 }));
    const acc = (k: number) => topK.find((t) => t.k === k)!.accuracy;
    const { perClass, macro } = confusionMetrics(this.confusion, this.labels);
    return {
      samples: n,
      top1: acc(1),
      top3: acc(3),
      topK,
      nll: n ? this.nllSum / n : 0,
      perClass,
      macro,
      confusion: this.confusion.map((r) => [...r]),
      labels: [...this.labels],
    };
  }
}

/** Per-class count, ratio, precision, recall and F1 from a confusion matrix `[true][pred]`. */
export function confusionMetrics(
  confusion: number[][],
  labels: string[] = confusion.map((_, c) => String(c)),
): { perClass: ClassMetrics[]; macro: Evaluation['macro'] } {
  const c = confusion.length;
  if (confusion.some((r) => r.length !== c))
    throw new HopError('E_METRICS', `the confusion matrix must be square; it has ${c} rows of lengths ${confusion.map((r) => r.length)}`);
  const total = confusion.reduce((s, r) => s + r.reduce((a, b) => a + b, 0), 0);
  const perClass: ClassMetrics[] = [];
  for (let k = 0; k < c; k++) {
    const tp = confusion[k][k];
    const count = confusion[k].reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let t = 0; t < c; t++) predicted += confusion[t][k];
    const precision = predicted ? tp / predicted : 0;
    const recall = count ? tp / count : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass.push({ index: k, label: labels[k], count, ratio: total ? count / total : 0, predicted, precision, recall, f1 });
  }
  // Classes absent from both truth and predictions carry no information; leave them out of the means.
  const seen = perClass.filter((m) => m.count > 0 || m.predicted > 0);
  const mean = (f: (m: ClassMetrics) => number) => (seen.length ? seen.reduce((s, m) => s + f(m), 0) / seen.length : 0);
  return { perClass, macro: { precision: mean((m) => m.precision), recall: mean((m) => m.recall), f1: mean((m) => m.f1) } };
}

/** Metrics straight from arrays: `[n, numClasses]` predicted probabilities and `[n]` true labels. */
export function evaluateArrays(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
  options: MetricsOptions = {},
): Evaluation {
  const acc = new MetricsAccumulator(numClasses, options);
  acc.add(probs, labels);
  return acc.result();
}

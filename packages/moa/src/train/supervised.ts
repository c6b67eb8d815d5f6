import * as tf from '@tensorflow/tfjs';
import { HopError, Rng, clipByGlobalNorm } from '@hop/core';
import { TrainConfigSchema, parseConfig, type TrainConfig, type TrainConfigInput } from '../config';
import type { MOAInput } from '../model/inputs';
import type { MOAModel } from '../model/moa-model';
import { assertDataset, gatherRows, type MOADataset } from './dataset';

/** One supervised minibatch: inputs plus the observed actions. */
export interface SupervisedBatch extends Omit<MOAInput, 'goal'> {
  /** `[B]` observed actions (labels); each must be valid under its mask row. */
  action: tf.Tensor | Int32Array;
  /**
   * `[B, goalDim]` goals, or a function that produces them inside the gradient tape, e.g. `z` from a VAE
   * encoder when training the VAE jointly (its variables then go in `extraVariables`).
   */
  goal?: tf.Tensor | Float32Array | (() => tf.Tensor);
  /** `[B]` value targets; when given, the value head is trained with `valueCoef * MSE`. */
  returns?: tf.Tensor | Float32Array;
}

/** An extra loss term and the named parts to report with it. */
export interface ExtraLoss {
  loss: tf.Scalar;
  parts?: Record<string, tf.Scalar>;
}

export interface StepOptions {
  /**
   * Added to the total inside the same tape; called after `batch.goal()` (so closures can share the
   * encoder's output, e.g. `alpha * KL`). A scalar, or `{ loss, parts }` to also report named parts.
   */
  extraLoss?: () => tf.Scalar | ExtraLoss;
  /** Trained together with the MOA by the same optimizer, clipped by the same global norm. */
  extraVariables?: tf.Variable[];
}

/** Loss parts of one step (numbers, read back once). */
export interface StepResult {
  /** Total loss that was minimised. */
  loss: number;
  /** (Weighted) masked cross-entropy. */
  ce: number;
  /** Value MSE (unscaled) when returns were given. */
  value?: number;
  /** The extra loss term, when given. */
  extra?: number;
  /** The anchor penalty `anchorWeight * sum((w - w0)^2)`, when the trainer has anchor weights. */
  anchor?: number;
  /** Named parts reported by the extra loss. */
  parts: Record<string, number>;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

export interface FitOptions {
  epochs: number;
  minibatch: number;
  /** Shuffles the samples each epoch (seeded). */
  rng: Rng;
  /** Called after each epoch with its mean losses. */
  onEpoch?: (epoch: number, r: EpochResult) => void;
}

export interface EpochResult {
  loss: number;
  ce: number;
  /** Mean anchor penalty, when the trainer has anchor weights. */
  anchor?: number;
  gradNorm: number;
  steps: number;
}

/**
 * Supervised training of one MOA: masked cross-entropy against observed actions (optional class
 * weights, optional value MSE, optional extra loss and variables), global-norm gradient clipping, Adam.
 * Holds its own optimizer, so every model being trained (each per-pair model) gets its own trainer.
 */
export class MOATrainer {
  readonly config: TrainConfig;
  readonly optimizer: tf.AdamOptimizer;
  private readonly classWeights: tf.Tensor1D | null;
  /** Copies of the anchor model's trainable weights (`anchorWeight > 0`), in the model's variable order. */
  private readonly anchor: tf.Tensor[] | null;

  /**
   * `options.anchor`: the model whose weights `config.anchorWeight` pulls this one toward (same architecture;
   * its weights are copied now, so it may change or be disposed later). Needed when `anchorWeight > 0`.
   */
  constructor(
    readonly model: MOAModel,
    config: TrainConfigInput = {},
    options: { anchor?: MOAModel } = {},
  ) {
    this.config = parseConfig(TrainConfigSchema, config, 'MOA training');
    const cw = this.config.classWeights;
    if (cw && cw.length !== model.numActions)
      throw new HopError('E_CONFIG', `classWeights has ${cw.length} entries, expected numActions = ${model.numActions}`);
    this.anchor = this.config.anchorWeight > 0 ? anchorWeights(model, options.anchor) : null;
    this.classWeights = cw ? tf.keep(tf.tensor1d(cw, 'float32')) : null;
    const c = this.config;
    this.optimizer = tf.train.adam(c.learningRate, c.adamBeta1, c.adamBeta2, c.adamEpsilon);
  }

  /** One gradient step on a minibatch; returns the loss parts. */
  step(batch: SupervisedBatch, options: StepOptions = {}): StepResult {
    const model = this.model;
    const own = model.trainableVariables();
    const vars = [...own, ...(options.extraVariables ?? [])];
    // Loss parts leave the tape's own tidy scope through tf.keep and are disposed in `finally`.
    const parts: { ce?: tf.Scalar; value?: tf.Scalar; extra?: tf.Scalar; anchor?: tf.Scalar; named: [string, tf.Scalar][] } = {
      named: [],
    };
    const kept: tf.Tensor[] = [];
    const keep = <T extends tf.Tensor>(t: T): T => {
      kept.push(tf.keep(t));
      return t;
    };
    try {
      const report = tf.tidy(() => {
        const x = model.inputTensors(batch);
        const action = vectorTensor('action', batch.action, x.batch, 'int32');
        assertLabelsValid(batch, action, x.mask, model.numActions);
        const returns = batch.returns === undefined ? null : vectorTensor('returns', batch.returns, x.batch, 'float32');
        const staticGoal = typeof batch.goal === 'function' ? null : model.goalTensor(batch.goal, x.batch);
        const { grads } = tf.variableGrads(() => {
          const goal = typeof batch.goal === 'function' ? batch.goal() : staticGoal;
          const { logits, value } = model.forwardTensors(x, goal, true);
          const ce = keep(this.crossEntropy(logits, action));
          parts.ce = ce;
          let total: tf.Scalar = ce;
          if (returns) {
            parts.value = keep(tf.losses.meanSquaredError(returns, value) as tf.Scalar);
            total = total.add(parts.value.mul(this.config.valueCoef));
          }
          if (options.extraLoss) {
            const e = options.extraLoss();
            const el: ExtraLoss = e instanceof tf.Tensor ? { loss: e } : e;
            parts.extra = keep(el.loss);
            parts.named = Object.entries(el.parts ?? {}).map(([k, v]) => [k, keep(v)]);
            total = total.add(el.loss);
          }
          if (this.anchor) {
            const anchor = this.anchor;
            const sq = own.map((w, k) => tf.sum(tf.squaredDifference(w, anchor[k])));
            parts.anchor = keep(tf.addN(sq).mul(this.config.anchorWeight) as tf.Scalar);
            total = total.add(parts.anchor);
          }
          return total;
        }, vars);
        const { grads: clipped, norm } = clipByGlobalNorm(grads, this.config.maxGradNorm);
        (this.optimizer as tf.Optimizer).applyGradients(clipped); // Optimizer's signature takes tensors by name
        const zero = tf.scalar(0);
        return tf.stack([parts.ce ?? zero, parts.value ?? zero, parts.extra ?? zero, norm, parts.anchor ?? zero, ...parts.named.map(([, v]) => v)]);
      });
      const v = report.dataSync();
      report.dispose();
      const result: StepResult = { ce: v[0], loss: v[0], parts: {}, gradNorm: v[3] };
      if (parts.value) {
        result.value = v[1];
        result.loss += this.config.valueCoef * v[1];
      }
      if (parts.extra) {
        result.extra = v[2];
        result.loss += v[2];
      }
      if (parts.anchor) {
        result.anchor = v[4];
        result.loss += v[4];
      }
      parts.named.forEach(([n], k) => (result.parts[n] = v[5 + k]));
      return result;
    } finally {
      tf.dispose(kept);
    }
  }

  /** (Class-weighted) mean of `-log p(a)` under masked logits. */
  private crossEntropy(logits: tf.Tensor2D, action: tf.Tensor1D): tf.Scalar {
    return tf.tidy(() => {
      const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(action, this.model.numActions), tf.logSoftmax(logits)), 1));
      if (!this.classWeights) return tf.mean(nll) as tf.Scalar;
      const w = tf.gather(this.classWeights, action);
      return tf.div(tf.sum(tf.mul(w, nll)), tf.maximum(tf.sum(w), 1e-12)) as tf.Scalar;
    });
  }

  /**
   * `epochs` passes over an in-memory dataset in shuffled minibatches (the last one of an epoch may be
   * smaller). Returns the mean losses of each epoch.
   */
  fit(dataset: MOADataset, options: FitOptions): EpochResult[] {
    assertDataset(dataset, this.model);
    if (dataset.size === 0) throw new HopError('E_DATASET', 'fit: the dataset is empty');
    for (const key of ['epochs', 'minibatch'] as const) {
      const v = options[key];
      if (!(Number.isInteger(v) && v >= 1)) throw new HopError('E_CONFIG', `fit: ${key} must be a positive integer, got ${v}`);
    }
    const out: EpochResult[] = [];
    for (let e = 0; e < options.epochs; e++) {
      const order = options.rng.permutation(dataset.size);
      const acc = { loss: 0, ce: 0, anchor: 0, gradNorm: 0, steps: 0 };
      for (let from = 0; from < dataset.size; from += options.minibatch) {
        const mb = gatherRows(dataset, order, from, Math.min(options.minibatch, dataset.size - from));
        const r = this.step(mb);
        acc.loss += r.loss;
        acc.ce += r.ce;
        acc.anchor += r.anchor ?? 0;
        acc.gradNorm += r.gradNorm;
        acc.steps++;
      }
      const epoch: EpochResult = { loss: acc.loss / acc.steps, ce: acc.ce / acc.steps, gradNorm: acc.gradNorm / acc.steps, steps: acc.steps };
      if (this.anchor) epoch.anchor = acc.anchor / acc.steps;
      out.push(epoch);
      options.onEpoch?.(e, epoch);
    }
    return out;
  }

  dispose(): void {
    this.optimizer.dispose();
    this.classWeights?.dispose();
    if (this.anchor) tf.dispose(this.anchor);
  }
}

/** Copies of `anchor`'s trainable weights, checked against `model`'s (same count and shapes). */
function anchorWeights(model: MOAModel, anchor: MOAModel | undefined): tf.Tensor[] {
  if (!anchor)
    throw new HopError(
      'E_CONFIG',
      'anchorWeight > 0 needs anchor weights: give the trainer { anchor: model } (a per-pair registry: anchorTo(pretrained)), or set anchorWeight 0',
    );
  const mine = model.trainableVariables();
  const theirs = anchor.trainableVariables();
  const same = mine.length === theirs.length && mine.every((w, k) => w.shape.join('x') === theirs[k].shape.join('x'));
  if (!same)
    throw new HopError(
      'E_SHAPE',
      `the anchor model's weights (${theirs.map((w) => `[${w.shape}]`).join(' ')}) do not match the trained model's ` +
        `(${mine.map((w) => `[${w.shape}]`).join(' ')}): anchor to a model of the same architecture`,
    );
  return theirs.map((w) => tf.keep(w.clone()));
}

/** A `[batch]` vector (returns as float32, actions as int32) from a tensor or typed array, size-checked. */
function vectorTensor(name: string, v: tf.Tensor | Float32Array | Int32Array, batch: number, dtype: 'float32' | 'int32'): tf.Tensor1D {
  if (v instanceof tf.Tensor) {
    if (v.size !== batch) throw new HopError('E_SHAPE', `${name} has shape [${v.shape}], expected [${batch}]`);
    return v.cast(dtype).reshape([batch]) as tf.Tensor1D;
  }
  if (v.length !== batch) throw new HopError('E_SHAPE', `${name} has ${v.length} values, expected ${batch}`);
  return tf.tensor1d(v, dtype);
}

/** An observed action that its own mask forbids would have an (almost) infinite loss: name the row. */
function assertLabelsValid(batch: SupervisedBatch, action: tf.Tensor1D, mask: tf.Tensor2D, numActions: number): void {
  let labels: ArrayLike<number>;
  let valid: ArrayLike<number>;
  if (batch.action instanceof Int32Array && !(batch.mask instanceof tf.Tensor)) {
    labels = batch.action;
    const m = batch.mask;
    valid = Array.from(labels, (a, b) => (a >= 0 && a < numActions ? m[b * numActions + a] : 0));
  } else {
    labels = action.dataSync();
    const g = tf.tidy(() => tf.sum(tf.mul(mask, tf.oneHot(action, numActions)), 1));
    valid = g.dataSync();
    g.dispose();
  }
  for (let b = 0; b < labels.length; b++) {
    const a = labels[b];
    if (!(a >= 0 && a < numActions))
      throw new HopError('E_LABEL', `sample ${b}: action ${a} is not in [0, ${numActions})`);
    if (!(valid[b] > 0))
      throw new HopError(
        'E_LABEL',
        `sample ${b}: observed action ${a} is masked out by its own mask row; fix the data (record the action ` +
          'the environment actually executed) or the mask',
      );
  }
}

import * as tf from '@tensorflow/tfjs';
import { HopError, clipByGlobalNorm, type Rng } from '@hop/core';
import type { MOAModel } from '@hop/moa';

/** What the policy / value update reads: observations and the targets of each row. */
export interface LearnerBatch {
  count: number;
  /** `[n, O]`. */
  obs: Float32Array;
  /** `[n, A]`. */
  mask: Uint8Array;
  time: Float32Array;
  /** `[n, A]` target distribution (the planner's decision policy, or a one-hot action for cloning). */
  policy: Float32Array;
  /** `[n]` value targets (discounted returns). */
  ret: Float32Array;
  /** `[n, goalDim]` goal inputs of a goal-conditioned focal network (`--focal-goals co-player`); else absent. */
  goals?: Float32Array;
  /** `[n]` 0 for rows the update skips (rule co-players' steps, `--co-player-mix`); absent: every row trains. */
  learn?: Uint8Array;
  /**
   * `[n]` per-row loss weights (`--co-player-weight`): each minibatch's CE and MSE become weighted means
   * `sum(w l) / sum(w)`; absent: plain means.
   */
  weight?: Float32Array;
  /**
   * `[n]` 0 for rows that train the value head only (`--co-player-value-rows`: rule co-players' steps, which have
   * returns but no planner decision); the CE is then the (weighted) mean over the rows with 1. Absent: all rows.
   */
  policyMask?: Uint8Array;
}

export interface LearnerSettings {
  learningRate: number;
  /** Passes over the rollout's samples per update (docs/training.md's "15 SGD passes"). */
  epochs: number;
  minibatch: number;
  maxGradNorm: number;
}

export interface LearnerReport {
  policyLoss: number;
  valueLoss: number;
  totalLoss: number;
  gradNorm: number;
  steps: number;
  /** Mean entropy of the network's policy on the batch (collapse shows here first). */
  entropy: number;
}

/**
 * The focal policy / value update of docs/training.md: `(CE(pi_target, p) + MSE(V, G_t)) / 2`, minibatch Adam
 * over shuffled passes, global-norm gradient clipping. Holds its optimizer (saved with checkpoints).
 */
export class PolicyLearner {
  readonly optimizer: tf.AdamOptimizer;

  constructor(
    readonly model: MOAModel,
    readonly settings: LearnerSettings,
  ) {
    this.optimizer = tf.train.adam(settings.learningRate);
  }

  /** `epochs` shuffled passes over the batch; returns mean losses. */
  update(batch: LearnerBatch, rng: Rng, epochs = this.settings.epochs): LearnerReport {
    const steps = this.steps(batch, rng, epochs);
    let r = steps.next();
    while (!r.done) r = steps.next();
    return r.value;
  }

  /**
   * The same update one minibatch at a time: yields after each Adam step and returns the report, so a long
   * update (the warm start) can give the event loop a turn (Ctrl-C) and stop between steps.
   */
  *steps(all: LearnerBatch, rng: Rng, epochs = this.settings.epochs): Generator<void, LearnerReport, void> {
    const D = this.model.goalDim;
    if (D > 0 && all.goals?.length !== all.count * D)
      throw new HopError('E_CONFIG', `the focal network is goal-conditioned (width ${D}); the batch carries ${all.goals?.length ?? 'no'} goal values for ${all.count} rows`);
    if (all.weight !== undefined) {
      if (all.weight.length !== all.count)
        throw new HopError('E_SHAPE', `the batch carries ${all.weight.length} loss weights for ${all.count} rows; give one weight per row`);
      for (let k = 0; k < all.count; k++)
        if (!(all.weight[k] >= 0 && Number.isFinite(all.weight[k])))
          throw new HopError('E_CONFIG', `loss weight ${all.weight[k]} at row ${k}: weights must be finite and >= 0`);
    }
    if (all.policyMask !== undefined && all.policyMask.length !== all.count)
      throw new HopError('E_SHAPE', `the batch carries ${all.policyMask.length} policy-mask entries for ${all.count} rows; give one per row`);
    const acc = { policyLoss: 0, valueLoss: 0, totalLoss: 0, gradNorm: 0, steps: 0, entropy: 0 };
    if (all.count === 0) return acc;
    const O = all.obs.length / all.time.length;
    const A = all.mask.length / all.time.length;
    const batch = learnedRows(all, O, A, D);
    const n = batch.count;
    if (n === 0) return acc;
    const mb = this.settings.minibatch;
    for (let e = 0; e < epochs; e++) {
      const order = rng.permutation(n);
      for (let from = 0; from < n; from += mb) {
        const rows = order.subarray(from, Math.min(n, from + mb));
        const r = this.step(gather(batch, rows, O, A, D), rows.length);
        acc.policyLoss += r[0];
        acc.valueLoss += r[1];
        acc.totalLoss += (r[0] + r[1]) / 2;
        acc.gradNorm += r[2];
        acc.entropy += r[3];
        acc.steps++;
        yield;
      }
    }
    const k = Math.max(1, acc.steps);
    return {
      policyLoss: acc.policyLoss / k,
      valueLoss: acc.valueLoss / k,
      totalLoss: acc.totalLoss / k,
      gradNorm: acc.gradNorm / k,
      entropy: acc.entropy / k,
      steps: acc.steps,
    };
  }

  /** One Adam step; returns [policy CE, value MSE, grad norm, entropy]. */
  private step(b: LearnerBatch, n: number): Float32Array {
    const model = this.model;
    const vars = model.trainableVariables();
    const out = tf.tidy(() => {
      const x = model.inputTensors({ obs: b.obs, mask: b.mask, time: b.time }, false);
      const target = tf.tensor2d(b.policy, [n, model.numActions]);
      const ret = tf.tensor1d(b.ret);
      let ce: tf.Scalar = tf.scalar(0);
      let mse: tf.Scalar = tf.scalar(0);
      let entropy: tf.Scalar = tf.scalar(0);
      const { grads } = tf.variableGrads(() => {
        const goal = b.goals ? tf.tensor2d(b.goals, [n, model.goalDim]) : null;
        const { logits, value } = model.forwardTensors(x, goal, true);
        const logp = tf.logSoftmax(logits);
        const rowCe = tf.neg(tf.sum(tf.mul(target, logp), 1));
        if (b.weight || b.policyMask) {
          // weighted means over the minibatch, so the loss scale (and the learning rate's meaning) is kept; the
          // CE only over the rows with a policy target
          const w = b.weight ? tf.tensor1d(b.weight) : tf.onesLike(rowCe);
          const wp = b.policyMask ? tf.mul(w, tf.tensor1d(b.policyMask, 'float32')) : w;
          // (a minibatch of zero weights trains on nothing)
          ce = tf.keep(tf.div(tf.sum(tf.mul(wp, rowCe)), tf.maximum(tf.sum(wp), 1e-12)) as tf.Scalar);
          mse = tf.keep(tf.div(tf.sum(tf.mul(w, tf.square(tf.sub(tf.reshape(value, [-1]), ret)))), tf.maximum(tf.sum(w), 1e-12)) as tf.Scalar);
        } else {
          ce = tf.keep(tf.mean(rowCe) as tf.Scalar);
          mse = tf.keep(tf.losses.meanSquaredError(ret, value) as tf.Scalar);
        }
        entropy = tf.keep(tf.mean(tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1))) as tf.Scalar);
        return tf.div(tf.add(ce, mse), 2) as tf.Scalar;
      }, vars);
      const { grads: clipped, norm } = clipByGlobalNorm(grads, this.settings.maxGradNorm);
      (this.optimizer as tf.Optimizer).applyGradients(clipped); // Optimizer's signature takes tensors by name
      const r = tf.stack([ce, mse, norm, entropy]);
      tf.dispose([ce, mse, entropy]);
      return r;
    });
    const v = out.dataSync() as Float32Array;
    out.dispose();
    if (!Number.isFinite(v[0]) || !Number.isFinite(v[1]))
      throw new HopError('E_DIVERGED', `the policy / value loss became ${v[0]} / ${v[1]}; lower the learning rate`);
    return v;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

function gather(b: LearnerBatch, rows: Int32Array, O: number, A: number, D: number): LearnerBatch {
  const n = rows.length;
  const out: LearnerBatch = {
    count: n,
    obs: new Float32Array(n * O),
    mask: new Uint8Array(n * A),
    time: new Float32Array(n),
    policy: new Float32Array(n * A),
    ret: new Float32Array(n),
  };
  if (D > 0 && b.goals) out.goals = new Float32Array(n * D);
  if (b.weight) out.weight = new Float32Array(n);
  if (b.policyMask) out.policyMask = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const k = rows[r];
    out.obs.set(b.obs.subarray(k * O, (k + 1) * O), r * O);
    out.mask.set(b.mask.subarray(k * A, (k + 1) * A), r * A);
    out.policy.set(b.policy.subarray(k * A, (k + 1) * A), r * A);
    out.time[r] = b.time[k];
    out.ret[r] = b.ret[k];
    if (out.goals && b.goals) out.goals.set(b.goals.subarray(k * D, (k + 1) * D), r * D);
    if (out.weight && b.weight) out.weight[r] = b.weight[k];
    if (out.policyMask && b.policyMask) out.policyMask[r] = b.policyMask[k];
  }
  return out;
}

/** The rows of `b` the update trains on (`learn` 1); `b` itself when every row does (no copy). */
function learnedRows(b: LearnerBatch, O: number, A: number, D: number): LearnerBatch {
  const learn = b.learn;
  if (!learn) return b;
  let kept = 0;
  for (let k = 0; k < b.count; k++) kept += learn[k] ? 1 : 0;
  if (kept === b.count) return b;
  const rows = new Int32Array(kept);
  for (let k = 0, r = 0; k < b.count; k++) if (learn[k]) rows[r++] = k;
  return gather(b, rows, O, A, D);
}

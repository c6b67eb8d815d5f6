import * as tf from '@tensorflow/tfjs';
import { HopError, clipByGlobalNorm, type Rng } from '@hop/core';
import type { MOAModel } from '@hop/moa';
import type { PPOBatch } from './rollout';

/** CleanRL `ppo.py`'s update settings (its defaults live in the algorithm's config record). */
export interface PPOSettings {
  learningRate: number;
  annealLr: boolean;
  updateEpochs: number;
  numMinibatches: number;
  normAdv: boolean;
  clipCoef: number;
  clipVloss: boolean;
  entCoef: number;
  vfCoef: number;
  maxGradNorm: number;
  /** Stop the epochs of an update once the approximate KL exceeds this (null: never, CleanRL's default). */
  targetKl: number | null;
}

/** CleanRL's logged scalars of one update. */
export interface PPOUpdateReport {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  oldApproxKl: number;
  approxKl: number;
  clipFrac: number;
  explainedVariance: number;
  learningRate: number;
  samples: number;
}

/**
 * The PPO update of one network: clipped surrogate, clipped value loss, per-minibatch advantage
 * normalisation, entropy bonus, global-norm gradient clipping, Adam with eps 1e-5 (CleanRL's), learning rate
 * annealed linearly to 0 over the run. Holds its optimizer (saved with checkpoints).
 */
export class PPOLearner {
  readonly optimizer: tf.AdamOptimizer;

  constructor(
    readonly model: MOAModel,
    readonly settings: PPOSettings,
  ) {
    this.optimizer = tf.train.adam(settings.learningRate, 0.9, 0.999, 1e-5);
  }

  /** CleanRL: `lr = (1 - (iteration - 1) / num_iterations) * learning_rate`. */
  setIteration(iteration: number, iterations: number): number {
    const lr = this.settings.annealLr ? (1 - (iteration - 1) / iterations) * this.settings.learningRate : this.settings.learningRate;
    // tfjs keeps the rate in a protected field that every applyGradients reads.
    (this.optimizer as unknown as { learningRate: number }).learningRate = lr;
    return lr;
  }

  get learningRate(): number {
    return (this.optimizer as unknown as { learningRate: number }).learningRate;
  }

  /** `updateEpochs` shuffled passes over `rows` of the batch (the valid samples of this network's players). */
  update(batch: PPOBatch, rows: Int32Array, rng: Rng): PPOUpdateReport {
    const n = rows.length;
    const s = this.settings;
    const acc = { pg: 0, v: 0, ent: 0, oldKl: 0, kl: 0, clip: 0, k: 0 };
    const report = (): PPOUpdateReport => {
      const k = Math.max(1, acc.k);
      return {
        policyLoss: acc.pg / k,
        valueLoss: acc.v / k,
        entropy: acc.ent / k,
        oldApproxKl: acc.oldKl / k,
        approxKl: acc.kl / k,
        clipFrac: acc.clip / k,
        explainedVariance: explainedVariance(batch, rows),
        learningRate: this.learningRate,
        samples: n,
      };
    };
    if (n === 0) return report();
    const mb = Math.max(1, Math.ceil(n / s.numMinibatches));
    for (let epoch = 0; epoch < s.updateEpochs; epoch++) {
      const order = rng.permutation(n);
      let lastKl = 0;
      for (let from = 0; from < n; from += mb) {
        const idx = order.subarray(from, Math.min(n, from + mb));
        const r = this.step(batch, Int32Array.from(idx, (o) => rows[o]));
        acc.pg += r[0];
        acc.v += r[1];
        acc.ent += r[2];
        acc.oldKl += r[3];
        acc.kl += r[4];
        acc.clip += r[5];
        acc.k++;
        lastKl = r[4];
      }
      if (s.targetKl !== null && lastKl > s.targetKl) break;
    }
    return report();
  }

  /** One Adam step on a minibatch; returns [pg loss, v loss, entropy, old approx kl, approx kl, clip fraction]. */
  private step(b: PPOBatch, rows: Int32Array): Float32Array {
    const s = this.settings;
    const model = this.model;
    const n = rows.length;
    const O = b.obs.length / b.time.length;
    const A = b.mask.length / b.time.length;
    const C = model.goalDim;
    const obs = new Float32Array(n * O);
    const mask = new Uint8Array(n * A);
    const time = new Float32Array(n);
    const cond = C > 0 ? new Float32Array(n * C) : null;
    const action = new Int32Array(n);
    const oldLogp = new Float32Array(n);
    const oldValue = new Float32Array(n);
    const adv = new Float32Array(n);
    const ret = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      const i = rows[r];
      obs.set(b.obs.subarray(i * O, (i + 1) * O), r * O);
      mask.set(b.mask.subarray(i * A, (i + 1) * A), r * A);
      if (cond && b.condition) cond.set(b.condition.subarray(i * C, (i + 1) * C), r * C);
      time[r] = b.time[i];
      action[r] = b.action[i];
      oldLogp[r] = b.logp[i];
      oldValue[r] = b.value[i];
      adv[r] = b.advantage[i];
      ret[r] = b.ret[i];
    }
    if (s.normAdv && n > 1) {
      // torch's std is the unbiased one.
      let mean = 0;
      for (const a of adv) mean += a;
      mean /= n;
      let v = 0;
      for (const a of adv) v += (a - mean) ** 2;
      const std = Math.sqrt(v / (n - 1));
      for (let r = 0; r < n; r++) adv[r] = (adv[r] - mean) / (std + 1e-8);
    }
    const vars = model.trainableVariables();
    const out = tf.tidy(() => {
      const x = model.inputTensors({ obs, mask, time }, false);
      const c = cond ? tf.tensor2d(cond, [n, C]) : null;
      const actOneHot = tf.oneHot(tf.tensor1d(action, 'int32'), A);
      const oldLp = tf.tensor1d(oldLogp);
      const oldV = tf.tensor1d(oldValue);
      const advT = tf.tensor1d(adv);
      const retT = tf.tensor1d(ret);
      const stats: tf.Scalar[] = [];
      const { grads } = tf.variableGrads(() => {
        const { logits, value } = model.forwardTensors(x, c, true);
        const logpAll = tf.logSoftmax(logits);
        const newLogp = tf.sum(tf.mul(logpAll, actOneHot), 1);
        // Masked actions have probability exactly 0, so their `p * log p` terms are 0 (not NaN).
        const entropy = tf.mean(tf.neg(tf.sum(tf.mul(tf.exp(logpAll), logpAll), 1))) as tf.Scalar;
        const logRatio = tf.sub(newLogp, oldLp);
        const ratio = tf.exp(logRatio);
        const pg1 = tf.mul(tf.neg(advT), ratio);
        const pg2 = tf.mul(tf.neg(advT), tf.clipByValue(ratio, 1 - s.clipCoef, 1 + s.clipCoef));
        const pgLoss = tf.mean(tf.maximum(pg1, pg2)) as tf.Scalar;
        const unclipped = tf.square(tf.sub(value, retT));
        const vLoss = s.clipVloss
          ? (tf.mul(0.5, tf.mean(tf.maximum(unclipped, tf.square(tf.sub(tf.add(oldV, tf.clipByValue(tf.sub(value, oldV), -s.clipCoef, s.clipCoef)), retT))))) as tf.Scalar)
          : (tf.mul(0.5, tf.mean(unclipped)) as tf.Scalar);
        // Logged statistics: they do not enter the returned loss, so they add nothing to the gradients.
        const ratioD = ratio;
        const logRatioD = logRatio;
        stats.push(
          tf.keep(pgLoss),
          tf.keep(vLoss),
          tf.keep(entropy),
          tf.keep(tf.mean(tf.neg(logRatioD))),
          tf.keep(tf.mean(tf.sub(tf.sub(ratioD, 1), logRatioD))),
          tf.keep(tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratioD, 1)), s.clipCoef), 'float32'))),
        );
        return tf.add(tf.sub(pgLoss, tf.mul(s.entCoef, entropy)), tf.mul(s.vfCoef, vLoss)) as tf.Scalar;
      }, vars);
      (this.optimizer as tf.Optimizer).applyGradients(clipByGlobalNorm(grads, s.maxGradNorm).grads);
      const r = tf.stack(stats);
      tf.dispose(stats);
      return r;
    });
    const v = out.dataSync() as Float32Array;
    out.dispose();
    if (!Number.isFinite(v[0]) || !Number.isFinite(v[1]))
      throw new HopError('E_DIVERGED', `the PPO loss became ${v[0]} / ${v[1]}; lower --learning-rate`);
    return v;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** CleanRL: `1 - Var[returns - values] / Var[returns]` over the update's samples (NaN when returns are constant). */
export function explainedVariance(b: PPOBatch, rows: Int32Array): number {
  const n = rows.length;
  if (n === 0) return Number.NaN;
  let my = 0;
  let md = 0;
  for (const i of rows) {
    my += b.ret[i];
    md += b.ret[i] - b.value[i];
  }
  my /= n;
  md /= n;
  let vy = 0;
  let vd = 0;
  for (const i of rows) {
    vy += (b.ret[i] - my) ** 2;
    vd += (b.ret[i] - b.value[i] - md) ** 2;
  }
  return vy === 0 ? Number.NaN : 1 - vd / vy;
}

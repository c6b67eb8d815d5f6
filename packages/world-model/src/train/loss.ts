import * as tf from '@tensorflow/tfjs';
import type { ForwardOutputs } from '../model/world-model';

/** Targets of one batch as tensors: next grid and the one-hot hunt outcome `[B, K + 1]`. */
export interface LossTargets {
  next: tf.Tensor4D;
  outcome: tf.Tensor2D;
}

export interface LossWeights {
  /** `[C]` per-channel reconstruction weights. */
  channel: tf.Tensor1D;
  outcome: number;
}

export interface LossParts {
  total: tf.Scalar;
  /** `mean_{b,h,w,c} w_c (o_hat - o)^2` */
  recon: tf.Scalar;
  /** Softmax cross-entropy of the hunt outcome. */
  outcome: tf.Scalar;
}

/**
 * The world-model loss: per-channel weighted reconstruction + hunt-outcome cross-entropy,
 * `total = recon + w_o * outcome`.
 */
export function worldModelLoss(out: ForwardOutputs, target: LossTargets, w: LossWeights): LossParts {
  const err = tf.squaredDifference(out.next, target.next);
  const recon = tf.mean(tf.mul(err, w.channel)) as tf.Scalar;
  const outcome = tf.losses.softmaxCrossEntropy(target.outcome, out.outcomeLogits) as tf.Scalar;
  const total = tf.add(recon, tf.mul(outcome, w.outcome)) as tf.Scalar;
  return { total, recon, outcome };
}

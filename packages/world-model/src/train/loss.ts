import * as tf from '@tensorflow/tfjs';
import type { ForwardOutputs } from '../model/world-model';

/** Targets of one batch as tensors: next grid, reward already multiplied by `rewardScale`, done 0/1. */
export interface LossTargets {
  next: tf.Tensor4D;
  reward: tf.Tensor1D;
  done: tf.Tensor1D;
}

export interface LossWeights {
  /** `[C]` per-channel reconstruction weights. */
  channel: tf.Tensor1D;
  reward: number;
  done: number;
}

export interface LossParts {
  total: tf.Scalar;
  /** `mean_{b,h,w,c} w_c (o_hat - o)^2` */
  recon: tf.Scalar;
  /** `mean_b (r_hat - r * rewardScale)^2` */
  reward: tf.Scalar;
  /** Binary cross-entropy of the done logit. */
  done: tf.Scalar;
}

/**
 * The world-model loss: per-channel weighted reconstruction + reward MSE + done cross-entropy,
 * `total = recon + w_r * reward + w_d * done`.
 */
export function worldModelLoss(out: ForwardOutputs, target: LossTargets, w: LossWeights): LossParts {
  const err = tf.squaredDifference(out.next, target.next);
  const recon = tf.mean(tf.mul(err, w.channel)) as tf.Scalar;
  const reward = tf.mean(tf.squaredDifference(out.reward, target.reward)) as tf.Scalar;
  const done = tf.losses.sigmoidCrossEntropy(target.done, out.doneLogit) as tf.Scalar;
  const total = tf.addN([recon, tf.mul(reward, w.reward), tf.mul(done, w.done)]) as tf.Scalar;
  return { total, recon, reward, done };
}

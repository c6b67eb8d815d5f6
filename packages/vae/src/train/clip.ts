import * as tf from '@tensorflow/tfjs';
import { HopError } from '@hop/core';

/** `sqrt(sum_i ||g_i||^2)` over a list of gradients. */
export function globalNorm(grads: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/**
 * Scales every gradient by `clipNorm / max(norm, clipNorm)` where `norm` is their global norm
 * (TensorFlow's `clip_by_global_norm`): the direction is kept, the joint length is at most `clipNorm`.
 * Returns the clipped list and the norm before clipping.
 */
export function clipByGlobalNorm(
  grads: readonly tf.Tensor[],
  clipNorm: number,
): { grads: tf.Tensor[]; norm: tf.Scalar } {
  if (!(clipNorm > 0 && Number.isFinite(clipNorm)))
    throw new HopError(
      'E_CONFIG',
      `clipNorm must be a number > 0, got ${clipNorm}; pass null (or leave it out) to turn clipping off`,
    );
  return tf.tidy(() => {
    const norm = globalNorm(grads);
    const scale = tf.div(clipNorm, tf.maximum(norm, clipNorm));
    return { grads: grads.map((g) => tf.mul(g, scale)), norm };
  });
}

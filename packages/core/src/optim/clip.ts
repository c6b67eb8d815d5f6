import * as tf from '@tensorflow/tfjs';
import { HopError } from '../errors';

/** Gradients as a list (`tf.grads`) or by variable name (`tf.variableGrads`, `optimizer.applyGradients`). */
export type GradientSet = readonly tf.Tensor[] | tf.NamedTensorMap;

function tensorsOf(grads: GradientSet): readonly tf.Tensor[] {
  return Array.isArray(grads) ? (grads as readonly tf.Tensor[]) : Object.values(grads);
}

/** `sqrt(sum_i ||g_i||^2)` over every gradient (in list / key order). */
export function globalNorm(grads: GradientSet): tf.Scalar {
  const list = tensorsOf(grads);
  if (list.length === 0) throw new HopError('E_SHAPE', 'globalNorm needs at least one gradient, got none');
  return tf.tidy(() => tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/**
 * Scales every gradient by `clipNorm / max(norm, clipNorm)` where `norm` is their global norm (TensorFlow's
 * `clip_by_global_norm`): the direction is kept, the joint length is at most `clipNorm`. Returns new tensors
 * in the shape it was given (a list, or a map with the same names) and the norm before clipping; the caller
 * disposes both (or runs this inside its `tf.tidy`).
 */
export function clipByGlobalNorm(grads: readonly tf.Tensor[], clipNorm: number): { grads: tf.Tensor[]; norm: tf.Scalar };
export function clipByGlobalNorm(grads: tf.NamedTensorMap, clipNorm: number): { grads: tf.NamedTensorMap; norm: tf.Scalar };
export function clipByGlobalNorm(grads: GradientSet, clipNorm: number): { grads: tf.Tensor[] | tf.NamedTensorMap; norm: tf.Scalar } {
  if (!(clipNorm > 0 && Number.isFinite(clipNorm)))
    throw new HopError(
      'E_CONFIG',
      `clipNorm must be a number > 0, got ${clipNorm}; pass null (or leave it out) to turn clipping off`,
    );
  return tf.tidy(() => {
    const norm = globalNorm(grads);
    // clip / max(norm, clip) is 1 below the clip and clip / norm above it: equal, bit for bit, to the
    // min(1, clip / max(norm, eps)) the learners used to write inline
    const scale = tf.div(clipNorm, tf.maximum(norm, clipNorm));
    const clipped = Array.isArray(grads)
      ? (grads as readonly tf.Tensor[]).map((g) => tf.mul(g, scale))
      : Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, scale)]));
    return { grads: clipped, norm };
  });
}

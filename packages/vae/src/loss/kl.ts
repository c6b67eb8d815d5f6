import * as tf from '@tensorflow/tfjs';

/**
 * Closed-form `KL(N(mu, exp(logVar)) || N(0, I)) = -1/2 * sum(1 + logVar - mu^2 - exp(logVar))`,
 * summed over latent dims and averaged over the batch. `mu`, `logVar`: `[batch, latentDim]`.
 */
export function gaussianKl(mu: tf.Tensor, logVar: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const perDim = tf.sub(tf.add(1, logVar), tf.add(tf.square(mu), tf.exp(logVar)));
    return tf.mul(-0.5, tf.mean(tf.sum(perDim, -1))) as tf.Scalar;
  });
}

/**
 * `KL(q || Uniform(K)) = sum_k q_k * (log q_k + log K)` per slot, summed over slots and averaged over the
 * batch. `logProbs`: normalised log-probabilities `[batch, slots, K]`.
 */
export function categoricalUniformKl(logProbs: tf.Tensor3D): tf.Scalar {
  return tf.tidy(() => {
    const k = logProbs.shape[2];
    const perClass = tf.mul(tf.exp(logProbs), tf.add(logProbs, Math.log(k)));
    return tf.mean(tf.sum(perClass, [1, 2])) as tf.Scalar;
  });
}

/** `||x - xHat||^2` summed over every element of a sample, averaged over the batch (L_recon of docs/models.md). */
export function sumSquaredError(x: tf.Tensor, xHat: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const d = tf.squaredDifference(x, xHat).reshape([x.shape[0], -1]);
    return tf.mean(tf.sum(d, 1)) as tf.Scalar;
  });
}

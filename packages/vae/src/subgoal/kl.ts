import * as tf from '@tensorflow/tfjs';

/**
 * `KL(N(muQ, exp(lvQ)) || N(muP, exp(lvP)))` per latent dim, `[rows, dims]`:
 * `1/2 (lvP - lvQ + (exp(lvQ) + (muQ - muP)^2) / exp(lvP) - 1)`.
 */
export function gaussianKlPerDim(muQ: tf.Tensor, lvQ: tf.Tensor, muP: tf.Tensor, lvP: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const ratio = tf.div(tf.add(tf.exp(lvQ), tf.square(tf.sub(muQ, muP))), tf.exp(lvP));
    return tf.mul(0.5, tf.sub(tf.add(tf.sub(lvP, lvQ), ratio), 1)) as tf.Tensor2D;
  });
}

/** `KL(q || p) = sum_k q_k (log q_k - log p_k)` per slot, `[rows, slots]`, from logits `[rows, slots, classes]`. */
export function categoricalKlPerSlot(logitsQ: tf.Tensor3D, logitsP: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const lq = tf.logSoftmax(logitsQ);
    const lp = tf.logSoftmax(logitsP);
    return tf.sum(tf.mul(tf.exp(lq), tf.sub(lq, lp)), -1) as tf.Tensor2D;
  });
}

/**
 * The KL term of the loss from per-row, per-dim KLs `[rows, dims]`: `sum_d max(floor, mean_rows KL_d)`
 * (free bits; `floor = 0` gives the plain `mean_rows sum_d KL`).
 */
export function freeBitsKl(perDim: tf.Tensor2D, floor: number): tf.Scalar {
  return tf.tidy(() => {
    const mean = tf.mean(perDim, 0);
    return tf.sum(floor > 0 ? tf.maximum(mean, floor) : mean) as tf.Scalar;
  });
}

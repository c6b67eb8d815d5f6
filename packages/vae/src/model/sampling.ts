import * as tf from '@tensorflow/tfjs';
import { Rng } from '@hop/core';

/**
 * The noise stream a checkpoint saved in its extra state (`{ rngState }`, written by every VAE's save), or
 * `current` when it saved none (older checkpoints keep their seeded start).
 */
export function restoredRng(extra: Record<string, unknown> | undefined, seed: number, current: Rng): Rng {
  const s = extra?.rngState;
  return Array.isArray(s) && s.every((v) => typeof v === 'number') ? Rng.fromState(s, seed) : current;
}

/**
 * Standard-normal noise of `shape` drawn from the seeded Rng: one Float32Array per call, so the same
 * stream gives the same eps on every backend (tf.randomNormal has its own, unseeded state).
 */
export function normalNoise(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const buf = new Float32Array(n);
  for (let i = 0; i < n; i++) buf[i] = rng.normal();
  return tf.tensor(buf, shape, 'float32');
}

/** Standard Gumbel noise `-log(-log u)`, `u ~ U(0, 1)`, from the seeded Rng. */
export function gumbelNoise(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const buf = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // u = 0 would give +inf; the smallest double keeps the draw finite (about -6.6).
    const u = rng.next() || Number.MIN_VALUE;
    buf[i] = -Math.log(-Math.log(u));
  }
  return tf.tensor(buf, shape, 'float32');
}

/** `z = mu + exp(logVar / 2) * eps`: differentiable in `mu` and `logVar`. */
export function reparameterize(mu: tf.Tensor, logVar: tf.Tensor, eps: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps)));
}

/** One-hot of the argmax over the last axis (same shape as `x`). */
export function hardOneHot(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const k = x.shape[x.rank - 1];
    return tf.oneHot(tf.argMax(x, -1), k).toFloat().reshape(x.shape);
  });
}

/** Forward: the hard one-hot of `soft`; backward: the identity (straight-through estimator). */
const straightThroughOp = tf.customGrad((...args) => ({
  value: hardOneHot(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => dy,
}));

/**
 * Gumbel-softmax sample `softmax((logits + g) / tau)` over the last axis (Jang et al. 2017; Maddison et al.
 * 2017). `noise` is standard Gumbel noise of the same shape. With `straightThrough` the value is the hard
 * one-hot and the gradient is that of the soft sample.
 */
export function gumbelSoftmax(
  logits: tf.Tensor,
  noise: tf.Tensor,
  temperature: number,
  straightThrough = false,
): tf.Tensor {
  return tf.tidy(() => {
    const soft = tf.softmax(tf.div(tf.add(logits, noise), temperature));
    return straightThrough ? (straightThroughOp(soft) as tf.Tensor) : soft;
  });
}

import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '@hop/core';

/** Where sampling noise comes from, and how to encode. */
export type EncodeOptions = {
  /** Draw `z` (default true). `false` is the deterministic inference mode: `z = mu` / argmax one-hot. */
  sample?: boolean;
  /** Noise stream for this call (advanced by it). Defaults to the model's own stream (seeded by `config.seed`). */
  rng?: Rng;
  /** A fresh `new Rng(seed)` for this call: same seed, same `z`. Takes precedence over `rng`. */
  seed?: number;
  /** Gumbel-softmax temperature for this call (GumbelVAE only; default `vae.temperature`). */
  temperature?: number;
  /**
   * Passed to the layers (`training` flag). Only GumbelVAE with `logitNorm: 'batch'` behaves differently:
   * batch statistics (and a moving-average update) when true, the moving averages when false. Defaults:
   * false in `encode`, true in `latentLosses` / `losses`.
   */
  training?: boolean;
};

export type LossOptions = EncodeOptions & {
  /** KL weight in `loss = recon + alpha * kl` (default 1). */
  alpha?: number;
};

/**
 * What `encode` returns, batch first. VanillaVAE: `mu`, `logVar`, `z` are `[batch, latentDim]`.
 * GumbelVAE: `[batch, slots * classes]` blocks; `mu` holds the class probabilities (the mean of the one-hot
 * `z`), `logVar` the log-variance `log(p (1 - p))` of each one-hot component, and `logits` the normalised
 * log-probabilities.
 */
export type EncodeOutput = {
  mu: tf.Tensor2D;
  logVar: tf.Tensor2D;
  z: tf.Tensor2D;
  logits?: tf.Tensor2D;
};

/** The encoder-side loss terms (no decoder call): what the joint MOA objective needs. */
export type LatentLosses = EncodeOutput & {
  /** Closed-form KL to the prior, summed over latent dims, averaged over the batch. */
  kl: tf.Scalar;
};

export type VaeLosses = LatentLosses & {
  /** `||x - xHat||^2` summed per sample, averaged over the batch. */
  recon: tf.Scalar;
  /** `recon + alpha * kl`. */
  loss: tf.Scalar;
  /** The decoder output for the sampled `z`, shaped like `x`. */
  reconstruction: tf.Tensor;
};

/** The interface the MOA and the trainer code against: VanillaVAE and GumbelVAE both implement it. */
export interface GoalEncoder {
  readonly kind: 'vanilla' | 'gumbel';
  /** Width of `z` (latentDim, or slots * classes). */
  readonly latentSize: number;
  readonly inputShape: readonly number[];
  readonly encoder: tf.LayersModel;
  readonly decoder: tf.LayersModel;
  readonly trainableVariables: tf.Variable[];
  readonly encoderVariables: tf.Variable[];
  readonly decoderVariables: tf.Variable[];
  encode(x: tf.Tensor, options?: EncodeOptions): EncodeOutput;
  decode(z: tf.Tensor): tf.Tensor;
  latentLosses(x: tf.Tensor, options?: EncodeOptions): LatentLosses;
  losses(x: tf.Tensor, options?: LossOptions): VaeLosses;
  reconstruct(x: tf.Tensor): tf.Tensor;
  save(dir: string, options?: SaveOptions): Promise<void>;
  dispose(): void;
}

export type SaveOptions = {
  /** Saved beside the weights so training resumes with its moments. */
  optimizer?: tf.Optimizer;
  extra?: Record<string, unknown>;
};

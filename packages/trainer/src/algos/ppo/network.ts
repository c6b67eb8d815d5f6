import * as tf from '@tensorflow/tfjs';
import { Rng, deriveSeed } from '@hop/core';
import { MOAModel } from '@hop/moa';

export interface PPONetworkSpec {
  observationShape: number[];
  numActions: number;
  /** Width of an extra conditioning input (hop-onestep's co-player predictions and beliefs); 0 for plain PPO. */
  conditionDim: number;
  maxTime: number;
  convFilters: number[];
  mlpUnits: number[];
  hiddenUnits: number;
  seed: number;
  /** Skip CleanRL's orthogonal re-initialisation (its QR is slow on wide layers) when weights are loaded next. */
  loadWeights?: boolean;
}

/**
 * A PPO actor-critic: the MOA network architecture (conv / MLP trunk, time input, masked policy head and value
 * head; the conditioning vector enters through its goal input), re-initialised as CleanRL's `layer_init`:
 * orthogonal weights with gain sqrt(2) in the trunk, 0.01 on the policy head (near-uniform first policy),
 * 1 on the value head, zero biases.
 */
export function buildPPONetwork(spec: PPONetworkSpec): MOAModel {
  const model = new MOAModel({
    observationShape: spec.observationShape,
    numActions: spec.numActions,
    goalDim: spec.conditionDim,
    maxTime: spec.maxTime,
    convFilters: spec.convFilters,
    mlpUnits: spec.mlpUnits,
    hiddenUnits: spec.hiddenUnits,
    seed: spec.seed,
  });
  if (!spec.loadWeights) orthogonalInit(model, spec.seed);
  return model;
}

/** CleanRL's `layer_init` on every kernel of the network (conv kernels as `[kh * kw * in, out]` matrices). */
export function orthogonalInit(model: MOAModel, seed: number): void {
  for (const layer of model.net.layers) {
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    const gain = layer.name === 'moa_policy' ? 0.01 : layer.name === 'moa_value' ? 1 : Math.SQRT2;
    const fresh = tf.tidy(() =>
      weights.map((w, i) => {
        if (w.shape.length === 1) return tf.zerosLike(w);
        const cols = w.shape[w.shape.length - 1];
        const rows = w.size / cols;
        return tf.tensor(orthogonalMatrix(rows, cols, gain, new Rng(deriveSeed(seed, 'ppo-init', layer.name, i))), w.shape);
      }),
    );
    layer.setWeights(fresh);
    tf.dispose(fresh);
  }
}

/**
 * A `rows x cols` matrix with orthonormal columns (or rows, whichever are fewer) times `gain`: modified
 * Gram-Schmidt on a seeded Gaussian matrix. Done here rather than with tfjs's orthogonal initialiser, whose QR
 * is slow on the wide layers of a conv trunk (and warns about it); same distribution.
 */
export function orthogonalMatrix(rows: number, cols: number, gain: number, rng: Rng): Float32Array {
  const k = Math.min(rows, cols);
  const n = Math.max(rows, cols);
  // k vectors of length n, orthonormalised in turn.
  const v = Array.from({ length: k }, () => Float64Array.from({ length: n }, () => rng.normal()));
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < a; b++) {
      let dot = 0;
      for (let x = 0; x < n; x++) dot += v[a][x] * v[b][x];
      for (let x = 0; x < n; x++) v[a][x] -= dot * v[b][x];
    }
    let norm = 0;
    for (let x = 0; x < n; x++) norm += v[a][x] * v[a][x];
    norm = Math.sqrt(norm);
    for (let x = 0; x < n; x++) v[a][x] /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (rows >= cols ? v[c][r] : v[r][c]);
  return out;
}

import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '@hop/core';
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
        const init = tf.initializers.orthogonal({ gain, seed: deriveSeed(seed, 'ppo-init', layer.name, i) % 2 ** 31 });
        return init.apply([rows, cols]).reshape(w.shape);
      }),
    );
    layer.setWeights(fresh);
    tf.dispose(fresh);
  }
}

import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '@hop/core';
import type { MOAConfig } from '../config';

/**
 * Builds the MOA network as one tf.LayersModel: trunk over the observation (3x3 'same' convs for a grid,
 * dense layers for a flat vector), concatenated with normalised time, the goal and optionally the mask,
 * one FC layer, then a policy head (raw logits) and a value head.
 *
 * Layer names are fixed (`moa_conv0`, `moa_fc`, ...), so the weights of every instance carry the same
 * names and any checkpoint of one loads into another built from the same config. Initialisers are
 * seeded from `config.seed`.
 */
export function buildMOANetwork(c: MOAConfig): tf.LayersModel {
  const init = (layer: string) => tf.initializers.glorotUniform({ seed: deriveSeed(c.seed, 'moa', layer) });
  const obsIn = tf.input({ shape: [...c.observationShape], name: 'moa_obs' });
  let x: tf.SymbolicTensor = obsIn;
  if (c.observationShape.length === 3) {
    c.convFilters.forEach((filters, k) => {
      const name = `moa_conv${k}`;
      x = tf.layers
        .conv2d({ filters, kernelSize: c.kernelSize, padding: 'same', activation: 'relu', name, kernelInitializer: init(name) })
        .apply(x) as tf.SymbolicTensor;
    });
    x = tf.layers.flatten({ name: 'moa_flatten' }).apply(x) as tf.SymbolicTensor;
  } else {
    c.mlpUnits.forEach((units, k) => {
      const name = `moa_mlp${k}`;
      x = tf.layers.dense({ units, activation: 'relu', name, kernelInitializer: init(name) }).apply(x) as tf.SymbolicTensor;
    });
  }
  const timeIn = tf.input({ shape: [1], name: 'moa_time' });
  const inputs = [obsIn, timeIn];
  if (c.goalDim > 0) inputs.push(tf.input({ shape: [c.goalDim], name: 'moa_goal' }));
  if (c.maskAsInput) inputs.push(tf.input({ shape: [c.numActions], name: 'moa_mask' }));
  const joined = tf.layers.concatenate({ name: 'moa_concat' }).apply([x, ...inputs.slice(1)]) as tf.SymbolicTensor;
  const h = tf.layers
    .dense({ units: c.hiddenUnits, activation: 'relu', name: 'moa_fc', kernelInitializer: init('moa_fc') })
    .apply(joined) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ units: c.numActions, name: 'moa_policy', kernelInitializer: init('moa_policy') })
    .apply(h) as tf.SymbolicTensor;
  const value = tf.layers
    .dense({ units: 1, name: 'moa_value', kernelInitializer: init('moa_value') })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs, outputs: [logits, value], name: 'moa' });
}

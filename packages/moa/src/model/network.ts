import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '@hop/core';
import type { MOAConfig } from '../config';

/**
 * The MOA network as tf.LayersModels sharing one set of layers:
 * - `net`: the whole network (inputs obs, time[, goal][, mask]; outputs raw logits and value), what
 *   checkpoints save and training differentiates;
 * - `trunk`: obs -> features, and `head`: (features, time[, goal][, mask]) -> (logits, value), the same
 *   layers split so that a batch evaluated under G goals runs the trunk once and only the head G times.
 *
 * Trunk: 3x3 'same' convs for a grid, dense layers for a flat vector; then concatenation with normalised
 * time, the goal and optionally the mask, one FC layer, a policy head (raw logits) and a value head.
 * Layer names are fixed (`moa_conv0`, `moa_fc`, ...), so the weights of every instance carry the same
 * names and a checkpoint of one loads into another built from the same config. Initialisers are seeded
 * from `config.seed`.
 */
export interface MOANetworks {
  net: tf.LayersModel;
  trunk: tf.LayersModel;
  head: tf.LayersModel;
}

export function buildMOANetwork(c: MOAConfig): MOANetworks {
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
  const concat = tf.layers.concatenate({ name: 'moa_concat' });
  const fc = tf.layers.dense({ units: c.hiddenUnits, activation: 'relu', name: 'moa_fc', kernelInitializer: init('moa_fc') });
  const policy = tf.layers.dense({ units: c.numActions, name: 'moa_policy', kernelInitializer: init('moa_policy') });
  const value = tf.layers.dense({ units: 1, name: 'moa_value', kernelInitializer: init('moa_value') });
  /** Inputs after the trunk: time, goal, mask (as configured). */
  const sideInputs = (suffix: string) => {
    const ins = [tf.input({ shape: [1], name: `moa_time${suffix}` })];
    if (c.goalDim > 0) ins.push(tf.input({ shape: [c.goalDim], name: `moa_goal${suffix}` }));
    if (c.maskAsInput) ins.push(tf.input({ shape: [c.numActions], name: `moa_mask${suffix}` }));
    return ins;
  };
  const headOf = (features: tf.SymbolicTensor, side: tf.SymbolicTensor[]) => {
    const h = fc.apply(concat.apply([features, ...side])) as tf.SymbolicTensor;
    return [policy.apply(h), value.apply(h)] as tf.SymbolicTensor[];
  };
  const side = sideInputs('');
  const net = tf.model({ inputs: [obsIn, ...side], outputs: headOf(x, side), name: 'moa' });
  const trunk = tf.model({ inputs: obsIn, outputs: x, name: 'moa_trunk' });
  const featIn = tf.input({ shape: [x.shape[1] as number], name: 'moa_features' });
  const headSide = sideInputs('_head');
  const head = tf.model({ inputs: [featIn, ...headSide], outputs: headOf(featIn, headSide), name: 'moa_head' });
  return { net, trunk, head };
}

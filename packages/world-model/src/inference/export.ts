import type * as tf from '@tensorflow/tfjs';
import { OnnxGraph, convertLayers, toNhwc, type OnnxValue } from '@hop/core';
import { networkShapes } from '../model/network';
import type { WorldModel } from '../model/world-model';

/** Graph input and output names of the exported world model. */
export const WORLD_MODEL_ONNX = {
  obs: 'obs',
  cond: 'cond',
  next: 'next',
  outcome: 'outcome',
} as const;

/** The serialized ONNX model of a world model, with its current weights. */
export interface WorldModelOnnx {
  /**
   * Inputs `obs [B, H, W, C]` (observer-centred grids) and `cond [B, P * A + 1]` (`WorldModel.condArray`);
   * outputs `next [B, H, W, C]` clipped to [0, 1] and `outcome [B, K + 1]` (hunt-outcome probabilities):
   * `WorldModel.predict` end to end.
   */
  bytes: Uint8Array;
  weightCount: number;
}

/**
 * Exports a world model (direct or latent) to ONNX, pre- and post-processing included: the constant
 * plane of ones, the observer's own channel, the residual / static-channel composition, the clip and the
 * outcome softmax, exactly as `WorldModel.forward` and `predict` do them in tfjs.
 */
export function exportWorldModelToOnnx(model: WorldModel): WorldModelOnnx {
  const l = model.layout;
  const { height: H, width: W, channels: C } = l;
  const s = networkShapes(l, model.config.actionPlanes);
  const g = new OnnxGraph(`world_model_${model.config.arch}`);
  const obsDims = [null, H, W, C];
  const obs = g.input(WORLD_MODEL_ONNX.obs, obsDims);
  const cond = g.input(WORLD_MODEL_ONNX.cond, [null, s.condSize]);

  // grid = obs plus a plane of ones (zero padding of the convolutions then marks the border)
  let grid = g.node('Pad', [obs, g.intConst('pads', [0, 0, 0, 0, 0, 0, 0, 1]), g.floatConst('one', Float32Array.of(1), [])], { mode: 'constant' });
  if (model.config.actionPlanes) {
    // plus each player's one-hot action on its cell: players [B, H, W, P, 1] x actions [B, 1, 1, P, A]
    const { players: P, numActions: A } = l;
    const players = g.node('Reshape', [g.node('Gather', [obs, g.intConst('player_channels', l.playerChannels)], { axis: 3 }), g.intConst('shape', [0, H, W, P, 1])]);
    const acts = g.node('Slice', [cond, g.intConst('starts', [0]), g.intConst('ends', [P * A]), g.intConst('axes', [1])]);
    const actions = g.node('Reshape', [acts, g.intConst('shape', [-1, 1, 1, P, A])]);
    const planes = g.node('Reshape', [g.node('Mul', [players, actions]), g.intConst('shape', [0, H, W, P * A])]);
    grid = g.node('Concat', [grid, planes], { axis: 3 });
  }
  // self = the observer's own channel, [B, H * W, 1]
  const p0 = l.playerChannels[0];
  const selfCh = g.node('Slice', [obs, g.intConst('starts', [p0]), g.intConst('ends', [p0 + 1]), g.intConst('axes', [3])]);
  const self = g.node('Reshape', [selfCh, g.intConst('shape', [0, s.cells, 1])]);

  const [gridIn, condIn, selfIn] = model.network.inputs;
  const bound = new Map<tf.SymbolicTensor, OnnxValue>([
    [gridIn, { name: grid, shape: [null, H, W, s.gridChannels], nchw: false }],
    [condIn, { name: cond, shape: [null, s.condSize], nchw: false }],
    [selfIn, { name: self, shape: [null, s.cells, 1], nchw: false }],
  ]);
  const [deltaV, outcome] = convertLayers(g, model.network.outputs, bound);
  const delta = toNhwc(g, deltaV).name;

  // next = (residual ? obs : obs * static) + delta * dynamic, clipped to [0, 1]
  const stat = new Set(l.staticChannels);
  const dyn = Float32Array.from({ length: C }, (_, c) => (stat.has(c) ? 0 : 1));
  const base = model.config.residual ? obs : g.node('Mul', [obs, g.floatConst('static_mask', dyn.map((v) => 1 - v), [C])]);
  const next = g.node('Add', [base, g.node('Mul', [delta, g.floatConst('dynamic_mask', dyn, [C])])]);
  const clipped = g.node('Clip', [next, g.floatConst('zero', Float32Array.of(0), []), g.floatConst('one', Float32Array.of(1), [])]);
  g.outputAs(clipped, WORLD_MODEL_ONNX.next, obsDims);
  g.outputAs(g.node('Softmax', [outcome.name], { axis: 1 }), WORLD_MODEL_ONNX.outcome, [null, s.outcomes]);
  return { bytes: g.encode(), weightCount: g.weightCount };
}

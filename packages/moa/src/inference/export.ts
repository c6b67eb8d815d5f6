import type * as tf from '@tensorflow/tfjs';
import { OnnxGraph, convertLayers, type OnnxValue } from '@hop/core';
import type { MOAModel } from '../model/moa-model';

/** Graph input and output names of the exported MOA graphs. */
export const MOA_ONNX = {
  obs: 'obs',
  time: 'time',
  goal: 'goal',
  mask: 'mask',
  features: 'features',
  logits: 'logits',
  value: 'value',
  probs: 'probs',
} as const;

/** The serialized ONNX models of one MOA, with the current weights. */
export interface MOAOnnxModels {
  /**
   * The whole network. Inputs `obs [B, ...observationShape]`, `time [B, 1]` (raw steps), `goal [B, goalDim]`
   * (goal-conditioned only), `mask [B, A]` (float, 1 = valid); outputs `logits [B, A]` (raw, unmasked),
   * `value [B, 1]` and `probs [B, A]` (softmax of the masked logits, as `MOAModel.probs`).
   */
  full: Uint8Array;
  /** Goal-conditioned only: `obs -> features [B, F]` (the trunk, run once per row by `probsForGoals`). */
  trunk?: Uint8Array;
  /** Goal-conditioned only: `features, time, goal, mask -> probs` (the head, run once per (row, goal)). */
  head?: Uint8Array;
  /** Float weights in the full graph. */
  weightCount: number;
}

/**
 * `softmax(logits + max(log(mask), -1e9))`: the masking of `maskLogits` and the softmax of
 * `MOAModel.probs`, in the graph so one call returns probabilities.
 */
function maskedSoftmax(g: OnnxGraph, logits: string, mask: string): string {
  const logMask = g.node('Max', [g.node('Log', [mask]), g.floatConst('neg_1e9', Float32Array.of(-1e9), [])]);
  return g.node('Softmax', [g.node('Add', [logits, logMask])], { axis: -1 });
}

/** Binds the side inputs (time, goal, mask) of the network's head to new graph inputs. */
function bindSide(model: MOAModel, g: OnnxGraph, symbolic: tf.SymbolicTensor[], bound: Map<tf.SymbolicTensor, OnnxValue>): string {
  const c = model.config;
  const A = c.numActions;
  const time = g.input(MOA_ONNX.time, [null, 1]);
  // the network takes time / maxTime (tfjs divides too, so the rounding matches)
  const timeN = g.node('Div', [time, g.floatConst('max_time', Float32Array.of(c.maxTime), [])]);
  let k = 0;
  bound.set(symbolic[k++], { name: timeN, shape: [null, 1], nchw: false });
  if (c.goalDim > 0) bound.set(symbolic[k++], { name: g.input(MOA_ONNX.goal, [null, c.goalDim]), shape: [null, c.goalDim], nchw: false });
  const mask = g.input(MOA_ONNX.mask, [null, A]);
  if (c.maskAsInput) bound.set(symbolic[k++], { name: mask, shape: [null, A], nchw: false });
  return mask;
}

/**
 * Exports a MOA's networks, with their current weights, to ONNX: walks the tf.LayersModels (`net`, and
 * `trunk` / `head` for goal-conditioned models) with @hop/core's layer converter. Call again after a
 * training update to get the new weights (see `createMOAInference(...).refresh`).
 */
export function exportMOAToOnnx(model: MOAModel): MOAOnnxModels {
  const c = model.config;
  const A = c.numActions;
  const obsDims = [null, ...c.observationShape];

  const full = new OnnxGraph('moa');
  {
    const bound = new Map<tf.SymbolicTensor, OnnxValue>();
    const [obsIn, ...side] = model.net.inputs;
    bound.set(obsIn, { name: full.input(MOA_ONNX.obs, obsDims), shape: obsDims, nchw: false });
    const mask = bindSide(model, full, side, bound);
    const [logits, value] = convertLayers(full, model.net.outputs, bound);
    full.outputAs(logits.name, MOA_ONNX.logits, [null, A]);
    full.outputAs(value.name, MOA_ONNX.value, [null, 1]);
    full.outputAs(maskedSoftmax(full, logits.name, mask), MOA_ONNX.probs, [null, A]);
  }
  const out: MOAOnnxModels = { full: full.encode(), weightCount: full.weightCount };
  if (c.goalDim === 0) return out;

  const trunk = new OnnxGraph('moa_trunk');
  {
    const bound = new Map<tf.SymbolicTensor, OnnxValue>();
    bound.set(model.trunk.inputs[0], { name: trunk.input(MOA_ONNX.obs, obsDims), shape: obsDims, nchw: false });
    const [features] = convertLayers(trunk, model.trunk.outputs, bound);
    trunk.outputAs(features.name, MOA_ONNX.features, features.shape);
  }
  const head = new OnnxGraph('moa_head');
  {
    const bound = new Map<tf.SymbolicTensor, OnnxValue>();
    const [featIn, ...side] = model.head.inputs;
    const fDims = [null, ...featIn.shape.slice(1)];
    bound.set(featIn, { name: head.input(MOA_ONNX.features, fDims), shape: fDims, nchw: false });
    const mask = bindSide(model, head, side, bound);
    const [logits] = convertLayers(head, [model.head.outputs[0]], bound);
    head.outputAs(maskedSoftmax(head, logits.name, mask), MOA_ONNX.probs, [null, A]);
  }
  out.trunk = trunk.encode();
  out.head = head.encode();
  return out;
}

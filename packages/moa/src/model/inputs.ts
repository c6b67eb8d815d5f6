import * as tf from '@tensorflow/tfjs';
import { HopError } from '@hop/core';

/** A batch as users hold it: tensors, or flat typed arrays (batch first, row-major). */
export interface MOAInput {
  /** `[B, ...observationShape]` or `[B, observationSize]`. */
  obs: tf.Tensor | Float32Array;
  /** `[B, numActions]`: 1 = valid, 0 = invalid. */
  mask: tf.Tensor | Uint8Array | Float32Array;
  /** `[B]` raw time steps (the model divides by `maxTime`). */
  time: tf.Tensor | Float32Array | Int32Array;
  /** `[B, goalDim]` goal vectors (one-hot or latent); omit when `goalDim` is 0. */
  goal?: tf.Tensor | Float32Array;
}

/** The same batch as tensors, shaped for the network. */
export interface InputTensors {
  batch: number;
  obs: tf.Tensor;
  /** float32 `[B, A]`. */
  mask: tf.Tensor2D;
  /** Normalised time `[B, 1]`. */
  time: tf.Tensor2D;
}

/** Where tensors of the network's inputs come from, with the sizes they must have. */
export interface InputSpec {
  observationShape: readonly number[];
  observationSize: number;
  numActions: number;
  goalDim: number;
  maxTime: number;
}

function batchOf(time: MOAInput['time']): number {
  if (time instanceof tf.Tensor) {
    if (time.rank !== 1 && !(time.rank === 2 && time.shape[1] === 1))
      throw new HopError('E_SHAPE', `time has shape [${time.shape}], expected [B] (one time step per row)`);
    return time.shape[0];
  }
  return time.length;
}

/** Converts one field to a float32 tensor with `batch` rows of `rowShape`, checking its size. */
export function rowsTensor(
  name: string,
  v: tf.Tensor | Float32Array | Uint8Array | Int32Array,
  batch: number,
  rowShape: readonly number[],
): tf.Tensor {
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  const shape = [batch, ...rowShape];
  if (v instanceof tf.Tensor) {
    if (v.shape[0] !== batch || v.size !== batch * rowSize)
      throw new HopError(
        'E_SHAPE',
        `${name} has shape [${v.shape}], expected [${shape}] (or [${batch}, ${rowSize}] flat) for a batch of ${batch}`,
      );
    const t = v.dtype === 'float32' ? v : v.toFloat();
    return t.reshape(shape);
  }
  if (v.length !== batch * rowSize)
    throw new HopError(
      'E_SHAPE',
      `${name} has ${v.length} values, expected ${batch * rowSize} (batch ${batch} x ${rowSize} per row)`,
    );
  return tf.tensor(v instanceof Float32Array ? v : Float32Array.from(v), shape, 'float32');
}

/** Input tensors of a batch (call inside tf.tidy). */
export function toInputTensors(spec: InputSpec, input: Omit<MOAInput, 'goal'>): InputTensors {
  const batch = batchOf(input.time);
  if (batch === 0) throw new HopError('E_SHAPE', 'empty batch: time has no rows');
  const obs = rowsTensor('obs', input.obs, batch, spec.observationShape);
  const mask = rowsTensor('mask', input.mask, batch, [spec.numActions]) as tf.Tensor2D;
  const time = rowsTensor('time', input.time, batch, [1]).div(spec.maxTime) as tf.Tensor2D;
  return { batch, obs, mask, time };
}

/** The goal tensor `[B, goalDim]`, or null for a model without goal input. */
export function goalTensor(spec: InputSpec, goal: MOAInput['goal'], batch: number): tf.Tensor2D | null {
  if (spec.goalDim === 0) {
    if (goal !== undefined)
      throw new HopError('E_GOAL', 'this MOA has goalDim 0 (no goal input) but a goal was given; drop it');
    return null;
  }
  if (goal === undefined)
    throw new HopError('E_GOAL', `this MOA is goal-conditioned (goalDim ${spec.goalDim}); pass goal [B, ${spec.goalDim}]`);
  return rowsTensor('goal', goal, batch, [spec.goalDim]) as tf.Tensor2D;
}

/**
 * Throws a HopError naming the first mask row with no valid action (its softmax would be NaN).
 * Typed arrays are checked in JS; a tensor costs one small read-back of its row sums.
 */
export function assertMaskRows(mask: MOAInput['mask'], batch: number, numActions: number): void {
  let bad = -1;
  if (mask instanceof tf.Tensor) {
    const sums = tf.tidy(() => mask.toFloat().reshape([batch, numActions]).sum(1));
    const s = sums.dataSync();
    sums.dispose();
    for (let b = 0; b < batch && bad < 0; b++) if (!(s[b] > 0)) bad = b;
  } else {
    for (let b = 0; b < batch && bad < 0; b++) {
      let any = false;
      for (let a = 0, o = b * numActions; a < numActions; a++) if (mask[o + a] > 0) any = true;
      if (!any) bad = b;
    }
  }
  if (bad >= 0)
    throw new HopError(
      'E_MASK',
      `mask row ${bad} has no valid action (all ${numActions} entries are 0); every row needs at least one ` +
        'valid action (give a done agent its no-op), or leave that row out of the batch',
    );
}

/**
 * `logits + log(mask)` with the log clamped at -1e9: masked actions get probability exactly 0 after
 * softmax, valid ones keep their logits, and nothing becomes -Infinity or NaN.
 */
export function maskLogits(logits: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => logits.add(tf.maximum(tf.log(mask), -1e9)));
}

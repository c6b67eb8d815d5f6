import * as tf from '@tensorflow/tfjs';
import { HopError, type CoPlayerModel, type Evaluator, type GoalBatch, type ObservationBatch } from '@hop/core';
import type { MOAModel } from './moa-model';

/**
 * The MOA as the core's `CoPlayerModel`: flat typed-array batches in, masked probabilities out, one
 * network call per batch. Planners (e.g. @hop/mcts) take this function and never see tfjs.
 */
export function toCoPlayerModel(model: MOAModel): CoPlayerModel {
  return (input: GoalBatch) => {
    if (input.goalDim !== model.goalDim)
      throw new HopError('E_GOAL', `GoalBatch.goalDim is ${input.goalDim} but the MOA expects ${model.goalDim}`);
    const p = model.probs({
      obs: input.observations,
      mask: input.masks,
      time: input.times,
      goal: model.goalDim > 0 ? input.goals : undefined,
    });
    const probs = p.dataSync() as Float32Array;
    p.dispose();
    return { probs };
  };
}

export interface EvaluatorOptions {
  /**
   * Goal vector `[goalDim]` fed to every row when the model is goal-conditioned (an `Evaluator` batch
   * carries no goals). Not needed for a model with goalDim 0, the usual focal policy / value net.
   */
  goal?: Float32Array;
}

/**
 * A model as the core's `Evaluator` (policy / value of the planning agent): raw (unmasked) logits and
 * values for a flat batch, one network call. Masking is the caller's business, as the contract says.
 */
export function toEvaluator(model: MOAModel, options: EvaluatorOptions = {}): Evaluator {
  const d = model.goalDim;
  if (d > 0 && options.goal?.length !== d)
    throw new HopError('E_GOAL', `toEvaluator: the model is goal-conditioned; pass options.goal with ${d} values`);
  if (d === 0 && options.goal !== undefined)
    throw new HopError('E_GOAL', 'toEvaluator: this model has goalDim 0 (no goal input); drop options.goal');
  const goalRow = options.goal;
  return (input: ObservationBatch) => {
    const out = tf.tidy(() => {
      const x = model.inputTensors({ obs: input.observations, mask: input.masks, time: input.times }, false);
      let goal: tf.Tensor2D | null = null;
      if (goalRow) {
        const rows = new Float32Array(x.batch * d);
        for (let b = 0; b < x.batch; b++) rows.set(goalRow, b * d);
        goal = tf.tensor2d(rows, [x.batch, d]);
      }
      const { logits, value } = model.rawForward(x, goal);
      return [logits, value];
    });
    const logits = out[0].dataSync() as Float32Array;
    const values = out[1].dataSync() as Float32Array;
    tf.dispose(out);
    return { logits, values };
  };
}

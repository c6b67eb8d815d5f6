import type { MaybePromise } from './common';

/** A batch of observations as planners hand them to networks: flat typed arrays, batch first. */
export interface ObservationBatch {
  batch: number;
  /** `[batch, observationSize]`: each row one agent's own view (`BatchedSimulator.observe` layout). */
  observations: Float32Array;
  /** `[batch, numActions]`: 1 = valid. */
  masks: Uint8Array;
  /** `[batch]` time steps. */
  times: Float32Array;
}

export interface EvaluatorOutput {
  /** `[batch, numActions]` policy logits (masking is the caller's business). */
  logits: Float32Array;
  /** `[batch]` state values from the observing agent's point of view. */
  values: Float32Array;
}

/** Policy / value network of the planning agent: one call per simulation step for all trees. */
export type Evaluator = (input: ObservationBatch) => MaybePromise<EvaluatorOutput>;

export interface GoalBatch extends ObservationBatch {
  /** `[batch, goalDim]`: one-hot discrete goals or latent vectors. */
  goals: Float32Array;
  goalDim: number;
}

export interface CoPlayerModelOutput {
  /** `[batch, numActions]` action probabilities; masked actions have probability 0. */
  probs: Float32Array;
}

/** Goal-conditioned model of a co-player, `pi(a | o, t, g)`, batched. */
export type CoPlayerModel = (input: GoalBatch) => MaybePromise<CoPlayerModelOutput>;

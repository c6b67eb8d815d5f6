import { HopError } from '@hop/core';

/**
 * How the co-player model's goal input relates to the simulator's discrete goals (stag, hare):
 * - `discrete`: goal g is a one-hot row of width `goalDim` (a MOA pretrained with `--goal-input true` has
 *   goalDim 3 — stag, hare, none — so goal g is the one-hot of g and the "none" slot stays unused);
 * - `latent`: goal g is a fixed latent vector (the mean encoder output of the pretraining rows that pursued g);
 * - `target`: goal g is named by its target (`hop pretrain --goal-input target`): the one-hot of g, then what
 *   `GoalTargets` reads off the row's own grid (the moves toward the nearest prey of type g, its distance), so
 *   the vector differs per row (`targetGoalRows` in target-goals.ts);
 * - `none`: the model has no goal input (direct opponent modelling): beliefs are not used.
 */
export interface GoalSetup {
  mode: 'discrete' | 'latent' | 'target' | 'none';
  /** Goals of the simulator (what beliefs range over). */
  numGoals: number;
  /** Width of the model's goal input (0 for `none`). */
  goalDim: number;
  /** `[numGoals, goalDim]` the vector the model receives for each goal (for `target`: its goal-type part only). */
  goalVectors: Float32Array;
  /** `target` only: `[H, W, C]` of the grids the target features are read from. */
  gridShape?: number[];
}

/** The goal set-up of a co-player model with goal input `goalDim` against a simulator with `numGoals` goals. */
export function discreteGoals(goalDim: number, numGoals: number, source = 'the co-player model'): GoalSetup {
  if (goalDim === 0) return { mode: 'none', numGoals, goalDim: 0, goalVectors: new Float32Array(0) };
  if (goalDim !== numGoals && goalDim !== numGoals + 1)
    throw new HopError(
      'E_GOAL',
      `${source} takes a goal of width ${goalDim}, but discrete goals need ${numGoals} (one per prey) or ${numGoals + 1} ` +
        `(prey + none, what \`hop pretrain --goal-input true\` writes); a latent-goal MOA needs --goals latent`,
    );
  const goalVectors = new Float32Array(numGoals * goalDim);
  for (let g = 0; g < numGoals; g++) goalVectors[g * goalDim + g] = 1;
  return { mode: 'discrete', numGoals, goalDim, goalVectors };
}

/** Latent goals: one vector per simulator goal, `[numGoals, goalDim]`. */
export function latentGoals(vectors: Float32Array, numGoals: number): GoalSetup {
  const goalDim = vectors.length / numGoals;
  if (!Number.isInteger(goalDim) || goalDim < 1)
    throw new HopError('E_GOAL', `latent goal vectors have ${vectors.length} values, not [${numGoals}, goalDim]`);
  return { mode: 'latent', numGoals, goalDim, goalVectors: vectors };
}

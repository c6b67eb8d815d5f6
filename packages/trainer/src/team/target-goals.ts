import { HopError, type GoalBatch } from '@hop/core';
import { GOAL_TARGET_FEATURES, GoalTargets } from '@hop/env-staghunt';
import { GOAL_NAMES } from '../data/dataset';
import type { GoalSetup } from './goals';

/** Width of a target-named goal: the goal-type one-hot (stag, hare, none), then the target features. */
export const TARGET_GOAL_DIM = GOAL_NAMES.length + GOAL_TARGET_FEATURES;

/** The goal set-up of a MOA pretrained with `--goal-input target`, over grids of `gridShape`. */
export function targetGoals(goalDim: number, numGoals: number, gridShape: readonly number[], source = 'the co-player model'): GoalSetup {
  if (goalDim !== TARGET_GOAL_DIM)
    throw new HopError(
      'E_GOAL',
      `${source} takes a goal of width ${goalDim}, but target-named goals are ${TARGET_GOAL_DIM} wide (${GOAL_NAMES.length} goal types + ` +
        `${GOAL_TARGET_FEATURES} target features); pretrain it again with --goal-input target`,
    );
  const goalVectors = new Float32Array(numGoals * goalDim);
  for (let g = 0; g < numGoals; g++) goalVectors[g * goalDim + g] = 1;
  return { mode: 'target', numGoals, goalDim, goalVectors, gridShape: [...gridShape] };
}

// The feature writer of the last grid shape: its buffers are reused row after row (no allocation per row).
let last: GoalTargets | null = null;
function writerFor(shape: readonly number[]): GoalTargets {
  if (last && last.height === shape[0] && last.width === shape[1] && last.channels === shape[2]) return last;
  return (last = new GoalTargets(shape));
}

/** Writes goal `g`'s target-named vector (`TARGET_GOAL_DIM` wide) for the grid at `grid[off..]`; g < 0 is none. */
export function writeTargetGoal(shape: readonly number[], grid: Float32Array, off: number, g: number, out: Float32Array, outOff: number): void {
  const k = GOAL_NAMES.length;
  out.fill(0, outOff, outOff + k);
  out[outOff + (g >= 0 && g < k - 1 ? g : k - 1)] = 1;
  writerFor(shape).write(grid, off, g, out, outOff + k);
}

function gridOf(setup: GoalSetup): readonly number[] {
  if (setup.mode !== 'target' || !setup.gridShape) throw new HopError('E_INTERNAL', `target goal rows asked of a '${setup.mode}' goal set-up`);
  return setup.gridShape;
}

/** `[B, G, goalDim]` every row's vector under every goal, from B grid rows `obs` (`[B, H*W*C]`). */
export function targetGoalRows(setup: GoalSetup, obs: Float32Array, batch: number): Float32Array {
  const shape = gridOf(setup);
  const O = obs.length / batch;
  const { numGoals: G, goalDim: D } = setup;
  const out = new Float32Array(batch * G * D);
  for (let r = 0; r < batch; r++) for (let g = 0; g < G; g++) writeTargetGoal(shape, obs, r * O, g, out, (r * G + g) * D);
  return out;
}

/** `[B, goalDim]` the vectors of hindsight labels `goal` (-1 none) on B grid rows. */
export function targetLabelRows(shape: readonly number[], obs: Float32Array, goal: Int32Array): Float32Array {
  const B = goal.length;
  const O = obs.length / Math.max(1, B);
  const out = new Float32Array(B * TARGET_GOAL_DIM);
  for (let r = 0; r < B; r++) writeTargetGoal(shape, obs, r * O, goal[r], out, r * TARGET_GOAL_DIM);
  return out;
}

/**
 * The goal rows a planner assembled (each the goal-type part of `goalVectors`) with their target features
 * filled in from the rows' own grids, in `into` (at least batch x goalDim) or a fresh array; the planner's buffer is
 * left as it was.
 */
export function fillTargetGoals(setup: GoalSetup, obs: Float32Array, goals: Float32Array, batch: number, into?: Float32Array): Float32Array {
  const shape = gridOf(setup);
  const O = obs.length / batch;
  const D = setup.goalDim;
  const k = GOAL_NAMES.length;
  const out = into ? into.subarray(0, batch * D) : new Float32Array(batch * D);
  for (let r = 0; r < batch; r++) {
    let g = -1;
    for (let c = 0; c < k; c++) if (goals[r * D + c] > 0.5) g = c;
    writeTargetGoal(shape, obs, r * O, g === k - 1 ? -1 : g, out, r * D);
  }
  return out;
}

/**
 * The planner's co-player model for a goal set-up: with target-named goals, `model` sees each row's goal with
 * its target features read off the row's own grid (the planner assembles the goal-type part only); any other
 * set-up gets `model` itself.
 */
export function targetGoalModel<I extends GoalBatch, R, O>(setup: GoalSetup, model: (input: I, owners: R) => O): (input: I, owners: R) => O {
  if (setup.mode !== 'target') return model;
  // One buffer for every call: the planner makes one model call per simulation step and awaits it before the next.
  let buf = new Float32Array(0);
  return (input, owners) => {
    if (buf.length < input.batch * setup.goalDim) buf = new Float32Array(input.batch * setup.goalDim * 2);
    return model({ ...input, goals: fillTargetGoals(setup, input.observations, input.goals, input.batch, buf) }, owners);
  };
}

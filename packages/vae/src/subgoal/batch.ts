import type * as tf from '@tensorflow/tfjs';
import { HopError } from '@hop/core';

/**
 * Rows of whole trajectories, as the CVAE reads them. Row `i` is step `t` of sequence `b`, at
 * `slot[i] = b * steps + t`; each sequence's rows fill its first slots without a gap (a trajectory from its
 * start). The history of row `i` is the rows of its sequence before it (observations and actions).
 */
export interface SubgoalBatch {
  /** `[rows, ...inputShape]` observation of each row. */
  obs: tf.Tensor;
  /** `[rows]` action taken at each row (what later rows' histories read). */
  actions: Int32Array;
  numSequences: number;
  /** Slots per sequence (at least the longest sequence). */
  steps: number;
  slot: Int32Array;
  /** `[rows]` the row whose observation is row i's hindsight subgoal `s_g` (needed by the posterior only). */
  subgoal?: Int32Array;
}

/** Host-side gather indices of a batch. */
export interface SequenceIndex {
  rows: number;
  /** `[numSequences * steps]` row at each slot, or `rows` (a zero padding row) where the sequence has ended. */
  rowAt: Int32Array;
  /** `[rows]` GRU output slot holding `h_t` (the state after the steps before it), or `numSequences * steps` (zeros) at t = 0. */
  historyAt: Int32Array;
  /** `[numSequences * steps, numActions]` one-hot actions at each slot (zeros on padding). */
  actionOneHot: Float32Array;
}

/** Checks the layout (every slot used once, sequences gap-free from their start) and builds the gather indices. */
export function sequenceIndex(b: SubgoalBatch, numActions: number): SequenceIndex {
  const n = b.slot.length;
  const cells = b.numSequences * b.steps;
  if (!Number.isInteger(b.numSequences) || b.numSequences < 1 || !Number.isInteger(b.steps) || b.steps < 1)
    throw new HopError('E_INPUT', `subgoal batch: numSequences and steps must be positive integers, got ${b.numSequences} and ${b.steps}`);
  if (b.obs.shape[0] !== n || b.actions.length !== n)
    throw new HopError(
      'E_SHAPE',
      `subgoal batch: obs has ${b.obs.shape[0]} rows, actions ${b.actions.length} and slot ${n}; give one of each per row`,
    );
  if (b.subgoal && b.subgoal.length !== n)
    throw new HopError('E_SHAPE', `subgoal batch: subgoal has ${b.subgoal.length} entries for ${n} rows`);
  const rowAt = new Int32Array(cells).fill(n);
  for (let i = 0; i < n; i++) {
    const s = b.slot[i];
    if (!(Number.isInteger(s) && s >= 0 && s < cells))
      throw new HopError('E_INPUT', `subgoal batch: row ${i} has slot ${s}, outside 0..${cells - 1} (numSequences * steps)`);
    if (rowAt[s] !== n) throw new HopError('E_INPUT', `subgoal batch: rows ${rowAt[s]} and ${i} share slot ${s}`);
    rowAt[s] = i;
    const a = b.actions[i];
    if (!(Number.isInteger(a) && a >= 0 && a < numActions))
      throw new HopError('E_INPUT', `subgoal batch: row ${i} has action ${a}, outside 0..${numActions - 1}`);
    if (b.subgoal) {
      const g = b.subgoal[i];
      if (!(Number.isInteger(g) && g >= 0 && g < n)) throw new HopError('E_INPUT', `subgoal batch: row ${i} names subgoal row ${g}, outside 0..${n - 1}`);
    }
  }
  const historyAt = new Int32Array(n);
  const actionOneHot = new Float32Array(cells * numActions);
  for (let i = 0; i < n; i++) {
    const s = b.slot[i];
    const t = s % b.steps;
    if (t > 0 && rowAt[s - 1] === n)
      throw new HopError(
        'E_INPUT',
        `subgoal batch: row ${i} is step ${t} of sequence ${Math.floor(s / b.steps)} but step ${t - 1} is missing; ` +
          'a sequence holds a trajectory from its first step without gaps',
      );
    historyAt[i] = t > 0 ? s - 1 : cells;
    actionOneHot[s * numActions + b.actions[i]] = 1;
  }
  return { rows: n, rowAt, historyAt, actionOneHot };
}

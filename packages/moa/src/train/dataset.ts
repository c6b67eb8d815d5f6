import { HopError } from '@hop/core';

/**
 * Labelled MOA samples held in memory, struct of arrays, batch first. What evaluation, `fit` and the
 * online buffer exchange; offline datasets of any game convert to this.
 */
export interface MOADataset {
  size: number;
  /** `[N, observationSize]`. */
  obs: Float32Array;
  /** `[N, numActions]`, 1 = valid. */
  mask: Uint8Array | Float32Array;
  /** `[N]` raw time steps. */
  time: Float32Array;
  /** `[N]` observed actions (the labels). */
  action: Int32Array;
  /** `[N, goalDim]` goal vectors; required when the model is goal-conditioned. */
  goal?: Float32Array;
  /** `[N]` value targets (e.g. discounted returns); optional. */
  returns?: Float32Array;
}

/** Checks every array length of a dataset against the sizes a model expects. */
export function assertDataset(
  d: MOADataset,
  spec: { observationSize: number; numActions: number; goalDim: number },
): void {
  const n = d.size;
  const check = (name: string, len: number | undefined, per: number) => {
    if (len !== n * per)
      throw new HopError('E_DATASET', `dataset.${name} has ${len ?? 'no'} values, expected ${n} x ${per} = ${n * per}`);
  };
  check('obs', d.obs.length, spec.observationSize);
  check('mask', d.mask.length, spec.numActions);
  check('time', d.time.length, 1);
  check('action', d.action.length, 1);
  if (spec.goalDim > 0) check('goal', d.goal?.length, spec.goalDim);
  if (d.returns) check('returns', d.returns.length, 1);
  for (let i = 0; i < n; i++) {
    const a = d.action[i];
    if (!(a >= 0 && a < spec.numActions))
      throw new HopError('E_DATASET', `dataset.action[${i}] = ${a} is not an action in [0, ${spec.numActions})`);
  }
}

/** Copies the rows `idx[from .. from+count)` of a dataset into a new, compact one. */
export function gatherRows(d: MOADataset, idx: ArrayLike<number>, from = 0, count = idx.length - from): MOADataset {
  const obsSize = d.obs.length / Math.max(d.size, 1);
  const numActions = d.mask.length / Math.max(d.size, 1);
  const goalDim = d.goal ? d.goal.length / Math.max(d.size, 1) : 0;
  const out: MOADataset = {
    size: count,
    obs: new Float32Array(count * obsSize),
    mask: new Uint8Array(count * numActions),
    time: new Float32Array(count),
    action: new Int32Array(count),
    goal: d.goal ? new Float32Array(count * goalDim) : undefined,
    returns: d.returns ? new Float32Array(count) : undefined,
  };
  for (let k = 0; k < count; k++) {
    const i = idx[from + k];
    out.obs.set(d.obs.subarray(i * obsSize, (i + 1) * obsSize), k * obsSize);
    for (let a = 0; a < numActions; a++) out.mask[k * numActions + a] = d.mask[i * numActions + a] > 0 ? 1 : 0;
    out.time[k] = d.time[i];
    out.action[k] = d.action[i];
    if (d.goal && out.goal) out.goal.set(d.goal.subarray(i * goalDim, (i + 1) * goalDim), k * goalDim);
    if (d.returns && out.returns) out.returns[k] = d.returns[i];
  }
  return out;
}

/** One-hot goal vectors `[N, numGoals]` of discrete goal labels (a label outside [0, numGoals) is an error). */
export function oneHotLabels(labels: ArrayLike<number>, numGoals: number): Float32Array {
  const out = new Float32Array(labels.length * numGoals);
  for (let i = 0; i < labels.length; i++) {
    const g = labels[i];
    if (!(g >= 0 && g < numGoals && Number.isInteger(g)))
      throw new HopError('E_GOAL', `goal label ${g} at row ${i} is not in [0, ${numGoals})`);
    out[i * numGoals + g] = 1;
  }
  return out;
}

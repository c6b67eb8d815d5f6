import { HopError, Rng, deriveSeed } from '@hop/core';
import type { TrainingData } from './dataset';

/**
 * The rows of a split grouped into trajectories: one per (episode, agent), its rows in time order. The
 * subgoal CVAE trains and validates on whole trajectories, because the history `h_t` of a row is the rows of
 * its trajectory before it. No new dataset column is needed: `episode`, `agent` and `time` give the grouping.
 */
export interface Trajectories {
  /** Dataset row indices, trajectory after trajectory. */
  rows: Int32Array;
  /** `[count + 1]` trajectory k holds `rows[starts[k] .. starts[k + 1])`. */
  starts: Int32Array;
  count: number;
}

export function trajectoriesOf(data: TrainingData, indices: Int32Array): Trajectories {
  const b = data.dataset.batch(indices, ['episode', 'agent', 'time']);
  const order = Array.from({ length: indices.length }, (_, i) => i);
  // By trajectory (episode, agent), then time: whatever order the split listed the rows in.
  order.sort((x, y) => b.episode[x] - b.episode[y] || b.agent[x] - b.agent[y] || b.time[x] - b.time[y]);
  const rows = new Int32Array(indices.length);
  const starts: number[] = [];
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    rows[k] = indices[i];
    const prev = k > 0 ? order[k - 1] : -1;
    const fresh = prev < 0 || b.episode[prev] !== b.episode[i] || b.agent[prev] !== b.agent[i];
    // A trajectory must start at the episode's first step: a later start means the history h_t misses
    // steps, which would only show as a worse model (every player is in play from time 0).
    if (fresh && b.time[i] !== 0)
      throw new HopError(
        'E_DATASET',
        `dataset ${data.dir}: episode ${b.episode[i]}, agent ${b.agent[i]} starts at time ${b.time[i]}, not 0; ` +
          'the subgoal CVAE needs every step of a trajectory (the dataset is incomplete: re-collect it with hop collect)',
      );
    if (fresh) starts.push(k);
    else if (b.time[i] !== b.time[prev] + 1)
      throw new HopError(
        'E_DATASET',
        `dataset ${data.dir}: episode ${b.episode[i]}, agent ${b.agent[i]} has rows at times ${b.time[prev]} and ${b.time[i]} with none between; ` +
          'the subgoal CVAE needs every step of a trajectory (re-collect the dataset with hop collect)',
      );
  }
  starts.push(rows.length);
  return { rows, starts: Int32Array.from(starts), count: starts.length - 1 };
}

/** A batch of whole trajectories laid out for the CVAE: dataset rows plus where each sits. */
export interface SequenceBatchLayout {
  /** Dataset row indices of the batch (trajectory after trajectory, in time order). */
  rows: Int32Array;
  numSequences: number;
  /** The longest trajectory of the batch. */
  steps: number;
  /** `[rows]` sequence * steps + time step within the trajectory. */
  slot: Int32Array;
  /** `[rows]` position (in this batch) of the row whose observation is the hindsight subgoal. */
  subgoal: Int32Array;
}

/**
 * Lays out trajectories `ids` as one batch. The hindsight subgoal of every row is the last row of its
 * trajectory: the step the co-player hunted (its goal achieved), or where it stood when the episode ended.
 */
export function layoutOf(t: Trajectories, ids: ArrayLike<number>): SequenceBatchLayout {
  let n = 0;
  let steps = 1;
  for (let j = 0; j < ids.length; j++) {
    const len = t.starts[ids[j] + 1] - t.starts[ids[j]];
    n += len;
    steps = Math.max(steps, len);
  }
  const rows = new Int32Array(n);
  const slot = new Int32Array(n);
  const subgoal = new Int32Array(n);
  let r = 0;
  for (let j = 0; j < ids.length; j++) {
    const from = t.starts[ids[j]];
    const len = t.starts[ids[j] + 1] - from;
    const last = r + len - 1;
    for (let s = 0; s < len; s++, r++) {
      rows[r] = t.rows[from + s];
      slot[r] = j * steps + s;
      subgoal[r] = last;
    }
  }
  return { rows, numSequences: ids.length, steps, slot, subgoal };
}

/**
 * Trajectory ids packed into batches of at least `rowsPerBatch` rows (the last may be smaller), in the order
 * given. A pure function of its inputs, so a resumed run sees the same batches.
 */
export function packTrajectories(t: Trajectories, order: ArrayLike<number>, rowsPerBatch: number): Int32Array[] {
  const out: Int32Array[] = [];
  let cur: number[] = [];
  let rows = 0;
  for (let k = 0; k < order.length; k++) {
    const id = order[k];
    cur.push(id);
    rows += t.starts[id + 1] - t.starts[id];
    if (rows >= rowsPerBatch) {
      out.push(Int32Array.from(cur));
      cur = [];
      rows = 0;
    }
  }
  if (cur.length) out.push(Int32Array.from(cur));
  return out;
}

/** The epoch's trajectory order: a shuffle derived from the seed and the epoch alone. */
export function trajectoryOrder(t: Trajectories, seed: number, epoch: number): Int32Array {
  const idx = Int32Array.from({ length: t.count }, (_, k) => k);
  new Rng(deriveSeed(seed, 'trajectory-order', epoch)).shuffle(idx);
  return idx;
}

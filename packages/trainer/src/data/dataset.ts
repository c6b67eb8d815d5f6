import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HopError, Rng, deriveSeed } from '@hop/core';
import { NUM_ACTIONS, openDataset, type StagHuntDataset } from '@hop/env-staghunt';
import { scanDatasetValues } from './scan';

/**
 * A batch on the host, split the way the networks want it: the flat `[mask, grid]` observation becomes
 * the grid (VAE and MOA input) and the mask (MOA masking).
 */
export interface HostBatch {
  size: number;
  /** `[n, H, W, C]` channels-last. */
  grid: Float32Array;
  /** `[n, numActions]` 0/1. */
  mask: Uint8Array;
  /** `[n]` raw time steps. */
  time: Float32Array;
  action: Int32Array;
  /** `[n]` hindsight goal: 0 stag, 1 hare, -1 none. */
  goal: Int32Array;
  /** `[n]` 1 for an exploratory action (`hop collect --explore`), 0 for the population's own (always 0 without the column). */
  explored: Uint8Array;
}

/** The dataset of a training run with its split and the shapes the models need. */
export interface TrainingData {
  dataset: StagHuntDataset;
  dir: string;
  /** Rows of the training / validation split whose action is the population's own (what the MOA learns and is scored on). */
  train: Int32Array;
  val: Int32Array;
  /**
   * Every row of each split, exploratory ones included (equal to train / val without `--explore`): the
   * subgoal CVAE's trajectories, whose GRU history must hold every step that really happened.
   */
  trainAll: Int32Array;
  valAll: Int32Array;
  gridShape: [number, number, number];
  gridSize: number;
  numActions: number;
  numAgents: number;
  /** The episode length, used to normalise time. */
  maxTime: number;
  /** Goal classes of the one-hot hindsight goal: stag, hare, none. */
  numGoalClasses: number;
}

export const GOAL_NAMES = ['stag', 'hare', 'none'] as const;

/**
 * Opens a dataset written by `hop collect`, checks every value (scanDatasetValues: E_DATASET_VALUE naming
 * file, row and column) and splits it by episode. A missing directory is E_DATASET_MISSING; anything
 * unreadable or inconsistent inside it is reported by the reader (E_DATASET, E_NPY) with the file named.
 */
export function openTrainingData(dir: string, split: { valFraction: number; seed: number }): TrainingData {
  const dataset = openCheckedDataset(dir);
  try {
    return splitTrainingData(dataset, dir, split);
  } catch (e) {
    dataset.close();
    throw e;
  }
}

/** Opens a dataset directory and scans its values (see openTrainingData); the caller closes it. */
export function openCheckedDataset(dir: string): StagHuntDataset {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new HopError('E_DATASET_MISSING', `dataset directory ${dir} does not exist; collect one with \`hop collect --out ${dir}\``);
  if (!existsSync(join(dir, 'meta.json')))
    throw new HopError('E_DATASET_MISSING', `${dir} holds no meta.json, so it is not a dataset written by \`hop collect\``);
  const dataset = openDataset(dir);
  try {
    scanDatasetValues(dataset);
  } catch (e) {
    dataset.close();
    throw e;
  }
  return dataset;
}

/**
 * The rows of `indices` (default: all) whose action is the population's own: exploratory actions
 * (`hop collect --explore`, invalid ones included) are world-model data, not behaviour to imitate, so
 * pretraining leaves them out of the MOA's loss (the subgoal CVAE keeps them as history: TrainingData.trainAll).
 * Every row of a dataset without the `explored` column.
 */
export function populationRows(dataset: StagHuntDataset, indices?: Int32Array): Int32Array {
  const idx = indices ?? Int32Array.from({ length: dataset.size }, (_, k) => k);
  if (!dataset.columns.includes('explored')) return idx;
  const explored = dataset.batch(idx, ['explored']).explored;
  return idx.filter((_, k) => explored[k] === 0);
}

function splitTrainingData(dataset: StagHuntDataset, dir: string, split: { valFraction: number; seed: number }): TrainingData {
  if (dataset.size === 0) throw new HopError('E_DATASET', `dataset ${dir} holds no samples; collect more episodes`);
  const parts = dataset.split({ valFraction: split.valFraction, seed: deriveSeed(split.seed, 'split') });
  const train = populationRows(dataset, parts.train);
  const val = populationRows(dataset, parts.val);
  if (train.length === 0 || val.length === 0)
    throw new HopError(
      'E_DATASET',
      `dataset ${dir} has ${dataset.meta.counts.episodes} episodes: too few to split with valFraction ${split.valFraction} ` +
        `(train ${train.length} / validation ${val.length} samples); collect more episodes or change valFraction`,
    );
  const [h, w, c] = dataset.meta.observation.gridShape;
  return {
    dataset,
    dir,
    train,
    val,
    trainAll: parts.train,
    valAll: parts.val,
    gridShape: [h, w, c],
    gridSize: h * w * c,
    numActions: NUM_ACTIONS,
    numAgents: dataset.geometry.players,
    maxTime: dataset.config.finalTime,
    numGoalClasses: GOAL_NAMES.length,
  };
}

/** Reads rows `indices` and splits the observations into grid and mask. */
export function readHostBatch(data: TrainingData, indices: ArrayLike<number>): HostBatch {
  const b = data.dataset.batch(indices, ['obs', 'action', 'time', 'goal']);
  const n = b.size;
  const explored = data.dataset.columns.includes('explored') ? Uint8Array.from(data.dataset.batch(indices, ['explored']).explored) : new Uint8Array(n);
  const A = data.numActions;
  const G = data.gridSize;
  const F = A + G;
  const grid = new Float32Array(n * G);
  const mask = new Uint8Array(n * A);
  for (let r = 0; r < n; r++) {
    for (let a = 0; a < A; a++) mask[r * A + a] = b.obs[r * F + a] > 0 ? 1 : 0;
    grid.set(b.obs.subarray(r * F + A, (r + 1) * F), r * G);
  }
  return { size: n, grid, mask, time: Float32Array.from(b.time), action: b.action, goal: b.goal, explored };
}

/** Rows `[from, from + count)` of a host batch, without copying. */
export function sliceHostBatch(b: HostBatch, from: number, count: number, data: TrainingData): HostBatch {
  const A = data.numActions;
  const G = data.gridSize;
  const to = from + count;
  return {
    size: count,
    grid: b.grid.subarray(from * G, to * G),
    mask: b.mask.subarray(from * A, to * A),
    time: b.time.subarray(from, to),
    action: b.action.subarray(from, to),
    goal: b.goal.subarray(from, to),
    explored: b.explored.subarray(from, to),
  };
}

/**
 * The training order of an epoch: a shuffle of the training indices derived from the seed and the epoch
 * alone, so a resumed run sees exactly the batches the uninterrupted run would have seen.
 */
export function epochOrder(train: Int32Array, seed: number, epoch: number): Int32Array {
  const idx = Int32Array.from(train);
  new Rng(deriveSeed(seed, 'epoch-order', epoch)).shuffle(idx);
  return idx;
}

/** One-hot hindsight goals `[n, 3]` (stag, hare, none). */
export function goalOneHot(goal: Int32Array): Float32Array {
  const k = GOAL_NAMES.length;
  const out = new Float32Array(goal.length * k);
  for (let i = 0; i < goal.length; i++) out[i * k + (goal[i] >= 0 && goal[i] < k - 1 ? goal[i] : k - 1)] = 1;
  return out;
}

/** Action counts of some rows, for the class distribution and balanced class weights. */
export function actionCounts(data: TrainingData, indices: Int32Array): number[] {
  const counts = new Array<number>(data.numActions).fill(0);
  const chunk = 65536;
  for (let s = 0; s < indices.length; s += chunk) {
    const { action } = data.dataset.batch(indices.subarray(s, Math.min(indices.length, s + chunk)), ['action']);
    for (const a of action) counts[a]++;
  }
  return counts;
}

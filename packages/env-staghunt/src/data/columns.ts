import type { NpyDType } from '@hop/core/base';
import type { Geometry } from '../core/geometry';

/**
 * Dataset format identifiers written to meta.json. Version 1 lacked `next_obs` and `joint_action`; datasets
 * written before exploration existed lack `explored` and `meta.exploration` (read as no exploration).
 */
export const DATASET_FORMAT = 'hop-staghunt-dataset';
export const DATASET_VERSION = 2;

/** Typed arrays of each column (names as the `.npy` files, so Python sees the same names). */
export interface ColumnArrays {
  /** `[n, 7 + H*W*C]` flat `[mask, grid]` observation, observer-rotated. */
  obs: Float32Array;
  /** `[n, 7 + H*W*C]` the same agent's flat view after the step. */
  next_obs: Float32Array;
  action: Int32Array;
  time: Int32Array;
  env_id: Int32Array;
  episode: Int32Array;
  agent: Int32Array;
  reward: Float32Array;
  /** 1 on the agent's last step (it hunted or was cut off). */
  done: Uint8Array;
  /** Hindsight goal: 0 stag, 1 hare, -1 none. */
  goal: Int32Array;
  /** `[n, players]` actions of all players in the observer-rotated order; -1 for players already done. */
  joint_action: Int32Array;
  /** 1 when `action` was an exploratory (uniformly random) action rather than the population's. */
  explored: Uint8Array;
}
export type ColumnName = keyof ColumnArrays;

export interface ColumnSpec {
  dtype: NpyDType;
  /** Shape of one row. */
  inner: (g: Geometry) => number[];
  /** Optional columns may be absent (datasets written before they existed). */
  optional: boolean;
}

export const COLUMN_SPECS: Record<ColumnName, ColumnSpec> = {
  obs: { dtype: 'float32', inner: (g) => [g.flatSize], optional: false },
  action: { dtype: 'int32', inner: () => [], optional: false },
  time: { dtype: 'int32', inner: () => [], optional: false },
  env_id: { dtype: 'int32', inner: () => [], optional: false },
  episode: { dtype: 'int32', inner: () => [], optional: false },
  agent: { dtype: 'int32', inner: () => [], optional: false },
  reward: { dtype: 'float32', inner: () => [], optional: false },
  done: { dtype: 'uint8', inner: () => [], optional: false },
  goal: { dtype: 'int32', inner: () => [], optional: false },
  next_obs: { dtype: 'float32', inner: (g) => [g.flatSize], optional: true },
  joint_action: { dtype: 'int32', inner: (g) => [g.players], optional: true },
  explored: { dtype: 'uint8', inner: () => [], optional: true },
};
export const COLUMN_NAMES = Object.keys(COLUMN_SPECS) as ColumnName[];
export const REQUIRED_COLUMNS = COLUMN_NAMES.filter((c) => !COLUMN_SPECS[c].optional);

export interface ColumnMeta {
  file: string;
  dtype: NpyDType;
  shape: number[];
}

export interface DatasetMeta {
  format: typeof DATASET_FORMAT;
  version: number;
  createdAt: string;
  preset: string | null;
  config: unknown;
  population: unknown;
  seed: number;
  numEnvs: number;
  counts: {
    samples: number;
    episodes: number;
    stagsCaught: number;
    haresCaught: number;
    goals: { stag: number; hare: number; none: number };
  };
  /**
   * Exploratory actions mixed into the population's (absent in datasets written before they existed: none).
   * `share` is the probability, per player and step, that the recorded action was drawn uniformly from all
   * actions (invalid ones included: they act as stay) instead of taken from the population.
   */
  exploration?: DatasetExploration;
  observation: { gridShape: [number, number, number]; flatSize: number; layout: string };
  columns: Partial<Record<ColumnName, ColumnMeta>>;
}

export interface DatasetExploration {
  share: number;
  /** How exploratory actions were drawn. */
  actions: 'uniform-all';
  /** Rows whose action was exploratory. */
  exploredRows: number;
}

/** The exploration a dataset's meta records (none for datasets written before exploration existed). */
export function explorationOf(meta: Pick<DatasetMeta, 'exploration'>): DatasetExploration {
  return meta.exploration ?? { share: 0, actions: 'uniform-all', exploredRows: 0 };
}

/** A fresh typed array of a column's type. */
export function allocColumn(name: ColumnName, length: number): ColumnArrays[ColumnName] {
  switch (COLUMN_SPECS[name].dtype) {
    case 'float32':
      return new Float32Array(length);
    case 'uint8':
      return new Uint8Array(length);
    default:
      return new Int32Array(length);
  }
}

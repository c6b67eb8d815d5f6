import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HopError, NpyReader, Rng } from '@hop/core/base';
import { resolveConfig, type StagHuntConfig } from '../config';
import { makeGeometry, type Geometry } from '../core/geometry';
import {
  COLUMN_NAMES,
  COLUMN_SPECS,
  DATASET_FORMAT,
  DATASET_VERSION,
  allocColumn,
  type ColumnArrays,
  type ColumnName,
  type DatasetMeta,
} from './columns';

/** Rows of the chosen columns, in the order of the requested indices. */
export type DatasetBatch<K extends ColumnName = ColumnName> = { size: number } & Pick<ColumnArrays, K>;

export interface SplitOptions {
  /** Fraction of episodes held out (0 <= valFraction < 1). */
  valFraction: number;
  seed: number;
}

export interface ShuffledBatchesOptions<K extends ColumnName> {
  batchSize: number;
  seed: number;
  /** Sample indices to draw from (default: all). */
  indices?: Int32Array;
  /** Columns to read (default: every column present). */
  columns?: readonly K[];
  /** Drop a last batch smaller than `batchSize` (default false). */
  dropLast?: boolean;
}

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * A stag-hunt dataset on disk (docs/data.md): `meta.json` and one `.npy` per column, read with random
 * access (nothing is loaded whole except the small `episode` column when splitting). Open it with
 * `openDataset(dir)`.
 */
export class StagHuntDataset {
  readonly dir: string;
  readonly meta: DatasetMeta;
  readonly config: StagHuntConfig;
  readonly geometry: Geometry;
  /** Number of samples (rows of every column). */
  readonly size: number;
  /** Columns present (required ones always, optional ones when the dataset has them). */
  readonly columns: readonly ColumnName[];
  private readonly readers: Partial<Record<ColumnName, NpyReader>>;
  private episodeCache: Int32Array | null = null;

  constructor(dir: string) {
    this.dir = dir;
    const metaPath = join(dir, 'meta.json');
    let meta: DatasetMeta;
    try {
      meta = JSON.parse(readFileSync(metaPath, 'utf8')) as DatasetMeta;
    } catch (e) {
      throw new HopError('E_DATASET', `${metaPath}: cannot read the dataset meta (${(e as Error).message})`, { cause: e });
    }
    if (meta?.format !== DATASET_FORMAT) {
      throw new HopError('E_DATASET', `${metaPath}: format is "${String(meta?.format)}", expected "${DATASET_FORMAT}"`);
    }
    if (!(meta.version >= 1 && meta.version <= DATASET_VERSION)) {
      throw new HopError(
        'E_DATASET',
        `${metaPath}: version ${meta.version} is not readable by this package (versions 1..${DATASET_VERSION}); upgrade @hop/env-staghunt`,
      );
    }
    try {
      this.config = resolveConfig(meta.config as StagHuntConfig);
    } catch (e) {
      throw new HopError('E_DATASET', `${metaPath}: config does not validate: ${(e as Error).message}`, { cause: e });
    }
    const g = (this.geometry = makeGeometry(this.config));
    this.meta = meta;
    const samples = meta.counts?.samples;
    if (!Number.isInteger(samples) || samples < 0) {
      throw new HopError('E_DATASET', `${metaPath}: counts.samples is missing or not a count`);
    }
    this.size = samples;
    const readers: Partial<Record<ColumnName, NpyReader>> = {};
    const present: ColumnName[] = [];
    try {
      for (const name of COLUMN_NAMES) {
        const spec = COLUMN_SPECS[name];
        const cm = meta.columns?.[name];
        if (!cm) {
          if (spec.optional) continue;
          throw new HopError('E_DATASET', `${metaPath}: column "${name}" is missing from meta.columns`);
        }
        const file = join(dir, cm.file ?? `${name}.npy`);
        if (!existsSync(file)) {
          throw new HopError('E_DATASET', `column "${name}": file ${file} is missing`);
        }
        const r = NpyReader.open(file);
        readers[name] = r;
        const expected = [samples, ...spec.inner(g)];
        if (r.dtype !== spec.dtype) {
          throw new HopError('E_DATASET', `column "${name}" (${file}): dtype ${r.dtype}, expected ${spec.dtype}`);
        }
        if (r.shape[0] !== samples) {
          throw new HopError(
            'E_DATASET',
            `column "${name}" (${file}) has ${r.shape[0]} rows but meta.json counts ${samples} samples: the columns disagree in length`,
          );
        }
        if (shapeStr(r.shape) !== shapeStr(expected)) {
          throw new HopError(
            'E_DATASET',
            `column "${name}" (${file}) has shape ${shapeStr(r.shape)}, expected ${shapeStr(expected)} for this config`,
          );
        }
        if (shapeStr(cm.shape ?? []) !== shapeStr(r.shape) || cm.dtype !== r.dtype) {
          throw new HopError(
            'E_DATASET',
            `column "${name}": meta.json says ${cm.dtype} ${shapeStr(cm.shape ?? [])}, the file ${file} holds ${r.dtype} ${shapeStr(r.shape)}`,
          );
        }
        present.push(name);
      }
      // Readers reshape rows by meta.observation: it must agree with the config, which the columns agree with.
      const obs = meta.observation;
      const grid = [g.height, g.width, g.channels];
      if (!obs || !Array.isArray(obs.gridShape) || shapeStr(obs.gridShape) !== shapeStr(grid) || obs.flatSize !== g.flatSize) {
        throw new HopError(
          'E_DATASET',
          `${metaPath}: observation.gridShape ${obs && Array.isArray(obs.gridShape) ? shapeStr(obs.gridShape) : 'is missing'} / flatSize ${String(obs?.flatSize)} ` +
            `disagree with its config (grid ${shapeStr(grid)}, flat size ${g.flatSize}, as in obs.npy); meta.json was edited or damaged: re-collect the dataset`,
        );
      }
    } catch (e) {
      for (const r of Object.values(readers)) r.close();
      throw e;
    }
    this.readers = readers;
    this.columns = present;
  }

  has(column: ColumnName): boolean {
    return this.readers[column] !== undefined;
  }

  /** Throws a clear error when a column a caller needs is absent (e.g. `next_obs` in a version-1 dataset). */
  require(columns: readonly ColumnName[]): void {
    const missing = columns.filter((c) => !this.has(c));
    if (missing.length) {
      throw new HopError(
        'E_DATASET',
        `dataset ${this.dir} has no column ${missing.map((c) => `"${c}"`).join(', ')} ` +
          `(format version ${this.meta.version}); re-collect it with this version of @hop/env-staghunt`,
      );
    }
  }

  /** Rows `indices` of `columns` (default: all present), as typed arrays in index order. */
  batch<K extends ColumnName = ColumnName>(indices: ArrayLike<number>, columns?: readonly K[]): DatasetBatch<K> {
    const cols = (columns ?? this.columns) as readonly K[];
    this.require(cols);
    const n = indices.length;
    for (let i = 0; i < n; i++) {
      const x = indices[i];
      if (!Number.isInteger(x) || x < 0 || x >= this.size) {
        throw new HopError('E_RANGE', `dataset index ${x} is outside 0..${this.size - 1}`);
      }
    }
    const out = { size: n } as DatasetBatch<K>;
    for (const name of cols) {
      const r = this.readers[name] as NpyReader;
      const w = r.rowSize;
      const arr = allocColumn(name, n * w);
      // consecutive indices are read in one call
      let i = 0;
      while (i < n) {
        let j = i + 1;
        while (j < n && indices[j] === indices[j - 1] + 1) j++;
        r.readRowsInto(indices[i], j - i, arr.subarray(i * w, j * w));
        i = j;
      }
      (out as Record<string, unknown>)[name] = arr;
    }
    return out;
  }

  /** The `episode` column (loaded once). */
  episodes(): Int32Array {
    if (!this.episodeCache) this.episodeCache = this.batch(rangeOf(this.size), ['episode']).episode;
    return this.episodeCache;
  }

  /** Train / validation sample indices, split by whole episodes (shuffled with `seed`). */
  split(opts: SplitOptions): { train: Int32Array; val: Int32Array } {
    const f = opts.valFraction;
    if (!(f >= 0 && f < 1)) throw new HopError('E_CONFIG', `split: valFraction must be in [0, 1), got ${f}`);
    const ep = this.episodes();
    const ids = [...new Set(ep)].sort((a, b) => a - b);
    const order = new Rng(opts.seed).permutation(ids.length);
    const nVal = Math.round(f * ids.length);
    const val = new Set<number>();
    for (let i = 0; i < nVal; i++) val.add(ids[order[i]]);
    const trainIdx: number[] = [];
    const valIdx: number[] = [];
    for (let i = 0; i < ep.length; i++) (val.has(ep[i]) ? valIdx : trainIdx).push(i);
    return { train: Int32Array.from(trainIdx), val: Int32Array.from(valIdx) };
  }

  /** Batches of a seeded shuffle of `indices` (default all samples). */
  *shuffledBatches<K extends ColumnName = ColumnName>(opts: ShuffledBatchesOptions<K>): Generator<DatasetBatch<K>> {
    const bs = opts.batchSize;
    if (!Number.isInteger(bs) || bs < 1) throw new HopError('E_CONFIG', `shuffledBatches: batchSize must be >= 1, got ${bs}`);
    const idx = Int32Array.from(opts.indices ?? rangeOf(this.size));
    new Rng(opts.seed).shuffle(idx);
    for (let s = 0; s < idx.length; s += bs) {
      const e = Math.min(idx.length, s + bs);
      if (e - s < bs && opts.dropLast) break;
      yield this.batch(idx.subarray(s, e), opts.columns);
    }
  }

  close(): void {
    for (const r of Object.values(this.readers)) r.close();
  }
}

function rangeOf(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** Opens and checks a dataset directory written by `collect`. */
export function openDataset(dir: string): StagHuntDataset {
  return new StagHuntDataset(dir);
}


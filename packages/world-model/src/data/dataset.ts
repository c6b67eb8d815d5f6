import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HopError, NpyReader, Rng, readNpy, type NpyData } from '@hop/core';
import { gridSizeOf, parseGridLayout, stagHuntLayout, type GridLayout, type StagHuntRuleInput } from '../layout';
import { batchFor, huntOutcome, type TransitionBatch, type TransitionSource } from './batch';

/** The columns of a transition dataset in memory: flat observations `[n, maskSize + H*W*C]` as collected. */
export interface TransitionColumns {
  obs: Float32Array;
  nextObs: Float32Array;
  jointAction: Int32Array;
  reward: Float32Array;
  done: Uint8Array;
  time: Float32Array;
  /** Episode key per row (rows of one episode share it); used to split without leaking episodes. */
  episodeKey?: Float64Array;
}

/**
 * Transitions held in memory (50,000 hop-msh rows take ~180 MB), with random-access `gather`.
 * Build one with `loadTransitionDataset(dir)` or `TransitionDataset.fromColumns`.
 */
export class TransitionDataset implements TransitionSource {
  readonly layout: GridLayout;
  readonly size: number;
  readonly maxTime: number;
  /** Episode length recorded by the collector (meta.json), when known. */
  readonly finalTime: number | undefined;
  private readonly cols: TransitionColumns;
  private readonly stride: number;

  private constructor(layout: GridLayout, cols: TransitionColumns, finalTime?: number) {
    this.layout = layout;
    this.cols = cols;
    this.stride = layout.maskSize + gridSizeOf(layout);
    this.size = cols.reward.length;
    this.finalTime = finalTime;
    const n = this.size;
    const check = (name: string, len: number, per: number) => {
      if (len !== n * per)
        throw new HopError('E_DATASET', `column ${name} has ${len} values, expected ${n} rows x ${per} = ${n * per}`);
    };
    check('obs', cols.obs.length, this.stride);
    check('next_obs', cols.nextObs.length, this.stride);
    check('joint_action', cols.jointAction.length, layout.players);
    check('done', cols.done.length, 1);
    check('time', cols.time.length, 1);
    if (cols.episodeKey) check('episode', cols.episodeKey.length, 1);
    let maxTime = 0;
    for (let i = 0; i < n; i++) if (cols.time[i] > maxTime) maxTime = cols.time[i];
    this.maxTime = maxTime;
  }

  /** A dataset from columns already in memory (flat rows `[mask(maskSize), grid]`, as collected). */
  static fromColumns(layout: GridLayout, cols: TransitionColumns, finalTime?: number): TransitionDataset {
    return new TransitionDataset(parseGridLayout(layout), cols, finalTime);
  }

  gather(indices: ArrayLike<number>, out?: TransitionBatch): TransitionBatch {
    const n = indices.length;
    const b = batchFor(this.layout, n, out);
    const G = gridSizeOf(this.layout);
    const P = this.layout.players;
    const { obs, nextObs, jointAction, reward, done, time } = this.cols;
    const m = this.layout.maskSize;
    for (let k = 0; k < n; k++) {
      const i = indices[k];
      if (!(i >= 0 && i < this.size)) throw new HopError('E_RANGE', `row ${i} is outside the dataset (${this.size} rows)`);
      const src = i * this.stride + m;
      b.obs.set(obs.subarray(src, src + G), k * G);
      b.nextObs.set(nextObs.subarray(src, src + G), k * G);
      for (let p = 0; p < P; p++) b.jointAction[k * P + p] = jointAction[i * P + p];
      b.reward[k] = reward[i];
      b.done[k] = done[i];
      b.time[k] = time[i];
      b.outcome[k] = huntOutcome(this.layout, b.obs, k * G, b.nextObs, b.jointAction[k * P]);
    }
    return b;
  }

  /** Rows of each episode, in order of first appearance (every row its own episode when keys are absent). */
  episodes(): Int32Array[] {
    const key = this.cols.episodeKey;
    if (!key) return Array.from({ length: this.size }, (_, i) => Int32Array.of(i));
    const groups = new Map<number, number[]>();
    for (let i = 0; i < this.size; i++) {
      let g = groups.get(key[i]);
      if (!g) groups.set(key[i], (g = []));
      g.push(i);
    }
    return [...groups.values()].map((g) => Int32Array.from(g));
  }
}

/** A subset of another source's rows (a train or validation part). */
export class TransitionSubset implements TransitionSource {
  readonly layout: GridLayout;
  readonly size: number;
  readonly maxTime: number;
  readonly finalTime: number | undefined;
  private scratch: Int32Array = new Int32Array(0);

  constructor(
    readonly parent: TransitionSource,
    readonly rows: Int32Array,
  ) {
    this.layout = parent.layout;
    this.size = rows.length;
    this.maxTime = parent.maxTime;
    this.finalTime = parent.finalTime;
  }

  gather(indices: ArrayLike<number>, out?: TransitionBatch): TransitionBatch {
    if (this.scratch.length < indices.length) this.scratch = new Int32Array(indices.length);
    const map = this.scratch.subarray(0, indices.length);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      if (!(i >= 0 && i < this.size)) throw new HopError('E_RANGE', `row ${i} is outside the subset (${this.size} rows)`);
      map[k] = this.rows[i];
    }
    return this.parent.gather(map, out);
  }
}

export interface SplitOptions {
  /** Fraction of episodes held out for validation (default 0.1). */
  valFraction?: number;
  seed?: number;
}

/**
 * Splits whole episodes into train and validation (a random `valFraction` of the episodes, seeded), so no
 * episode leaks from one side to the other.
 */
export function splitTransitions(
  ds: TransitionDataset,
  opts: SplitOptions = {},
): { train: TransitionSubset; val: TransitionSubset } {
  const frac = opts.valFraction ?? 0.1;
  if (!(frac > 0 && frac < 1))
    throw new HopError('E_CONFIG', `valFraction must be in (0, 1), got ${frac}`);
  const eps = ds.episodes();
  if (eps.length < 2)
    throw new HopError('E_DATASET', `the dataset has ${eps.length} episode(s); a train / validation split needs at least 2`);
  const order = new Rng(opts.seed ?? 0).permutation(eps.length);
  const nVal = Math.min(eps.length - 1, Math.max(1, Math.round(frac * eps.length)));
  const pick = (from: number, to: number) => {
    const parts: number[] = [];
    for (let i = from; i < to; i++) for (const r of eps[order[i]]) parts.push(r);
    return Int32Array.from(parts.sort((a, b) => a - b));
  };
  return { val: new TransitionSubset(ds, pick(0, nVal)), train: new TransitionSubset(ds, pick(nVal, eps.length)) };
}

function toFloat32(d: NpyData): Float32Array {
  if (d instanceof Float32Array) return d;
  const out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  return out;
}

function toInt32(d: NpyData): Int32Array {
  if (d instanceof Int32Array) return d;
  const out = new Int32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  return out;
}

interface DatasetMetaHints {
  gridShape?: [number, number, number];
  finalTime?: number;
  rules?: StagHuntRuleInput;
}

function readMetaHints(dir: string): DatasetMetaHints {
  const path = join(dir, 'meta.json');
  if (!existsSync(path)) return {};
  let meta: unknown;
  try {
    meta = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new HopError('E_DATASET', `${path}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  const m = meta as { observation?: { gridShape?: unknown }; config?: { finalTime?: unknown } & StagHuntRuleInput };
  const gs = m?.observation?.gridShape;
  const ft = m?.config?.finalTime;
  return {
    gridShape: Array.isArray(gs) && gs.length === 3 && gs.every((v) => Number.isInteger(v)) ? (gs as [number, number, number]) : undefined,
    finalTime: typeof ft === 'number' && Number.isInteger(ft) && ft > 0 ? ft : undefined,
    // The collector's config names the rules; zod checks their values when the layout is built.
    rules: m?.config && typeof m.config === 'object' ? m.config : undefined,
  };
}

export interface LoadDatasetOptions {
  /** The grid layout; default: the stag-hunt layout with the grid shape of `meta.json` (or a square grid). */
  layout?: GridLayout;
}

const REQUIRED = ['obs', 'reward', 'done', 'time'] as const;
const NEW_COLUMNS = ['next_obs', 'joint_action'] as const;

/**
 * Loads a collected dataset (`obs`, `next_obs`, `joint_action`, `reward`, `done`, `time`, `episode`,
 * `env_id` `.npy` columns plus `meta.json`). Headers are checked first (without loading), so a wrong or old
 * dataset fails at once with a HopError that says what to do.
 */
export async function loadTransitionDataset(dir: string, opts: LoadDatasetOptions = {}): Promise<TransitionDataset> {
  if (!existsSync(dir)) throw new HopError('E_DATASET', `${dir}: no such dataset directory`);
  const file = (c: string) => join(dir, `${c}.npy`);
  const missing = REQUIRED.filter((c) => !existsSync(file(c)));
  if (missing.length)
    throw new HopError(
      'E_DATASET',
      `${dir}: not a transition dataset (missing ${missing.map((c) => `${c}.npy`).join(', ')}); collect one with \`hop collect\``,
    );
  const old = NEW_COLUMNS.filter((c) => !existsSync(file(c)));
  if (old.length)
    throw new HopError(
      'E_DATASET_OLD',
      `${dir}: dataset written by an older collector (no ${old.map((c) => `${c}.npy`).join(' / ')}): a world model needs ` +
        'the next observation and every player\'s action per step; re-collect it with the current collector ' +
        '(`hop collect`, @hop/env-staghunt >= dataset version 2)',
    );

  // Check shapes from the headers before reading megabytes.
  const shapes: Record<string, number[]> = {};
  for (const c of [...REQUIRED, ...NEW_COLUMNS, 'episode', 'env_id']) {
    if (!existsSync(file(c))) continue;
    const r = NpyReader.open(file(c));
    shapes[c] = [...r.shape];
    r.close();
  }
  const n = shapes.obs[0];
  const fmt = (s: number[]) => `[${s.join(', ')}]`;
  for (const [c, s] of Object.entries(shapes))
    if (s[0] !== n) throw new HopError('E_DATASET', `${dir}: ${c}.npy has ${s[0]} rows, obs.npy has ${n}`);
  if (shapes.obs.length !== 2 || fmt(shapes.next_obs) !== fmt(shapes.obs))
    throw new HopError('E_DATASET', `${dir}: obs ${fmt(shapes.obs)} and next_obs ${fmt(shapes.next_obs)} must both be [N, D]`);
  if (shapes.joint_action.length !== 2)
    throw new HopError('E_DATASET', `${dir}: joint_action has shape ${fmt(shapes.joint_action)}, expected [N, players]`);

  const hints = readMetaHints(dir);
  const players = shapes.joint_action[1];
  const layout = opts.layout ?? inferStagHuntLayout(dir, shapes.obs[1], players, hints.gridShape, hints.rules);
  const want = layout.maskSize + gridSizeOf(layout);
  if (shapes.obs[1] !== want)
    throw new HopError(
      'E_DATASET',
      `${dir}: obs rows have ${shapes.obs[1]} values, the layout ${layout.height}x${layout.width}x${layout.channels} ` +
        `with ${layout.maskSize} mask entries needs ${want}`,
    );
  if (players !== layout.players)
    throw new HopError('E_DATASET', `${dir}: joint_action has ${players} players, the layout ${layout.players}`);

  const load = async (c: string) => (await readNpy(file(c))).data;
  let episodeKey: Float64Array | undefined;
  if (shapes.episode) {
    const ep = await load('episode');
    const env = shapes.env_id ? await load('env_id') : null;
    episodeKey = new Float64Array(n);
    // env ids and episode numbers are small integers: one exact float key per (env, episode) pair.
    for (let i = 0; i < n; i++) episodeKey[i] = (env ? Number(env[i]) : 0) * 2 ** 31 + Number(ep[i]);
  }
  const done = await load('done');
  return TransitionDataset.fromColumns(
    layout,
    {
      obs: toFloat32(await load('obs')),
      nextObs: toFloat32(await load('next_obs')),
      jointAction: toInt32(await load('joint_action')),
      reward: toFloat32(await load('reward')),
      done: done instanceof Uint8Array ? done : Uint8Array.from(toInt32(done)),
      time: toFloat32(await load('time')),
      episodeKey,
    },
    hints.finalTime,
  );
}

function inferStagHuntLayout(
  dir: string,
  width: number,
  players: number,
  gridShape: [number, number, number] | undefined,
  rules: StagHuntRuleInput | undefined,
): GridLayout {
  if (gridShape) return stagHuntLayout({ height: gridShape[0], width: gridShape[1], players, rules });
  const cells = (width - 7) / (players + 3);
  const side = Math.round(Math.sqrt(cells));
  if (!Number.isInteger(cells) || side * side !== cells)
    throw new HopError(
      'E_DATASET',
      `${dir}: cannot infer the grid from obs rows of ${width} values and ${players} players (no meta.json ` +
        'observation.gridShape); pass a layout',
    );
  return stagHuntLayout({ height: side, width: side, players, rules });
}

/** Loads a dataset and splits it by episode: the `data` argument of `trainWorldModel`. */
export async function openTransitionData(
  dir: string,
  opts: LoadDatasetOptions & SplitOptions = {},
): Promise<{ dataset: TransitionDataset; train: TransitionSubset; val: TransitionSubset }> {
  const dataset = await loadTransitionDataset(dir, opts);
  return { dataset, ...splitTransitions(dataset, opts) };
}

/** A batch of the given rows of a source (allocates; for tests and small evaluations). */
export function gatherAll(src: TransitionSource, rows?: ArrayLike<number>): TransitionBatch {
  const idx = rows ?? Int32Array.from({ length: src.size }, (_, i) => i);
  return src.gather(idx);
}

import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { HopError } from '../errors';
import { syncDir, tempSibling, writeFileAtomic } from './atomic';

/**
 * Checkpoints: a directory
 *
 *     dir/meta.json                          CheckpointMeta (written last: a directory without it is not a checkpoint)
 *     dir/<model>/model.json                 tfjs "layers-model" artifacts (topology + weightsManifest) + a `hop` section
 *     dir/<model>/weights.bin                the model's weights, in `model.weights` order
 *     dir/optimizers/<name>/optimizer.json   optimizer class, config and the specs of its state
 *     dir/optimizers/<name>/weights.bin      `optimizer.getWeights()` (iterations, then e.g. Adam's m and v)
 *
 * Saving writes everything to a temp sibling `<dir>.tmp-<pid>-<n>` and renames it over `dir`, so a crash
 * leaves the previous checkpoint whole. Loading puts the weights into models the caller built from
 * `meta.config`, after checking every file against the models: nothing is assigned unless all of it fits.
 *
 * Weights are matched by position within a model, not by name: tf.layers names layers with process-wide
 * counters (`dense_Dense1` in one process is `dense_Dense7` in another), so the names are compared only
 * after dropping those numeric suffixes, together with the owning layer's class and the shape and dtype.
 */

export const CHECKPOINT_FORMAT = 'hop-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface CheckpointMeta {
  format: 'hop-checkpoint';
  version: 1;
  /** What the checkpoint holds, e.g. `'moa'`; `loadCheckpoint` refuses another kind. */
  kind: string;
  /** The config the models were built from (JSON). */
  config: unknown;
  /** ISO time of the save. */
  createdAt: string;
  models: string[];
  /** Names of the optimizers whose state was saved. */
  optimizers?: string[];
  extra?: Record<string, unknown>;
}

export interface SaveCheckpointInput {
  kind: string;
  config: unknown;
  models: Record<string, tf.LayersModel>;
  optimizers?: Record<string, tf.Optimizer>;
  extra?: Record<string, unknown>;
}

export interface LoadCheckpointTarget {
  kind: string;
  /** Models built from `meta.config`; a subset of the checkpoint's models is fine. */
  models: Record<string, tf.LayersModel>;
  optimizers?: Record<string, tf.Optimizer>;
}

/** One weight as stored in model.json's `hop.weights` and optimizer.json's `weights`. */
interface WeightEntry {
  /** The name when saved (tfjs `originalName`). */
  name: string;
  /** `name` without tf.layers' numeric uniqueness suffixes. */
  key: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
  /** Class of the layer that owns the weight (models only). */
  layerClass?: string;
}

interface BinManifest {
  weights: WeightEntry[];
  bytes: number;
  sha256: string;
}

interface ModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: string;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
  hop: BinManifest;
}

interface OptimizerJson extends BinManifest {
  className: string;
  config: unknown;
  /** Scalar state outside `getWeights()` (Adam's beta1^t, beta2^t), by property name. */
  hidden?: Record<string, { shape: number[]; dtype: string; values: number[] }>;
}

/**
 * Variables an optimizer keeps outside `getWeights()`. Adam and Adamax hold beta^t in `accBeta1` /
 * `accBeta2`, which `setWeights()` recomputes as `pow(beta, t + 1)` where the live run multiplied step by
 * step: one float32 ulp apart, enough to move the next updates by 1e-5. Saving them makes a resumed run
 * continue bit for bit.
 */
function hiddenVariables(optimizer: tf.Optimizer): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const [key, value] of Object.entries(optimizer)) if (value instanceof tf.Variable) out[key] = value;
  return out;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const OPTIMIZERS_DIR = 'optimizers';

function checkName(what: string, name: string): void {
  if (!NAME_RE.test(name) || (what === 'model' && name === OPTIMIZERS_DIR))
    throw new HopError(
      'E_CHECKPOINT',
      `${what} name '${name}' cannot be a directory name in a checkpoint; use letters, digits, '_', '.', '-'` +
        (name === OPTIMIZERS_DIR ? ` (and not '${OPTIMIZERS_DIR}', which holds optimizer state)` : ''),
    );
}

/** `dense_Dense12/kernel_1` -> `dense_Dense/kernel`: what stays the same across processes. */
export function weightKey(name: string): string {
  return name
    .split('/')
    .map((part) => part.replace(/_?\d+$/, '') || part)
    .join('/');
}

const BYTES: Record<WeightEntry['dtype'], number> = { float32: 4, int32: 4, bool: 1 };

function entryBytes(e: Pick<WeightEntry, 'shape' | 'dtype'>): number {
  return e.shape.reduce((a, b) => a * b, 1) * BYTES[e.dtype];
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function encode(named: { name: string; tensor: tf.Tensor }[]): Promise<{ data: Uint8Array; specs: tf.io.WeightsManifestEntry[] }> {
  const { data, specs } = await tf.io.encodeWeights(named);
  return { data: new Uint8Array(data), specs };
}

function fmtShape(s: readonly (number | null)[]): string {
  return `[${s.join(',')}]`;
}

/** The layer class owning each of `model.weights`, in order. */
function weightLayers(model: tf.LayersModel): string[] {
  const out: string[] = [];
  for (const layer of model.layers) for (let i = 0; i < layer.weights.length; i++) out.push(layer.getClassName());
  return out.length === model.weights.length ? out : model.weights.map(() => '?');
}

async function writeModel(dir: string, model: tf.LayersModel): Promise<void> {
  await mkdir(dir);
  const named = model.weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
  const { data, specs } = await encode(named);
  const layers = weightLayers(model);
  const json: ModelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: '@hop/core saveCheckpoint',
    modelTopology: model.toJSON(null, false),
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
    hop: {
      weights: specs.map((s, i) => ({
        name: s.name,
        key: weightKey(s.name),
        shape: s.shape,
        dtype: s.dtype as WeightEntry['dtype'],
        layerClass: layers[i],
      })),
      bytes: data.byteLength,
      sha256: sha256(data),
    },
  };
  await writeFileAtomic(join(dir, 'weights.bin'), [data]);
  await writeFileAtomic(join(dir, 'model.json'), [JSON.stringify(json)]);
}

async function writeOptimizer(dir: string, optimizer: tf.Optimizer): Promise<void> {
  await mkdir(dir, { recursive: true });
  const named = await optimizer.getWeights();
  try {
    const { data, specs } = await encode(named);
    const json: OptimizerJson = {
      className: optimizer.getClassName(),
      config: optimizer.getConfig(),
      hidden: Object.fromEntries(
        Object.entries(hiddenVariables(optimizer)).map(([k, v]) => [k, { shape: v.shape, dtype: v.dtype, values: Array.from(v.dataSync()) }]),
      ),
      weights: specs.map((s) => ({ name: s.name, key: weightKey(s.name), shape: s.shape, dtype: s.dtype as WeightEntry['dtype'] })),
      bytes: data.byteLength,
      sha256: sha256(data),
    };
    await writeFileAtomic(join(dir, 'weights.bin'), [data]);
    await writeFileAtomic(join(dir, 'optimizer.json'), [JSON.stringify(json)]);
  } finally {
    // getWeights() returns the live variables plus fresh tensors (the iteration count); free only the latter.
    for (const w of named) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Saves models (and optimizer state) to `dir` atomically: `dir` holds either the previous checkpoint or
 * the new one, never a mix. An existing `dir` must be a checkpoint (or empty); anything else is refused.
 */
export async function saveCheckpoint(dir: string, c: SaveCheckpointInput): Promise<void> {
  const target = resolve(dir);
  const modelNames = Object.keys(c.models);
  const optimizerNames = Object.keys(c.optimizers ?? {});
  if (modelNames.length === 0) throw new HopError('E_CHECKPOINT', `${dir}: saveCheckpoint needs at least one model`);
  modelNames.forEach((n) => checkName('model', n));
  optimizerNames.forEach((n) => checkName('optimizer', n));
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    kind: c.kind,
    config: c.config,
    createdAt: new Date().toISOString(),
    models: modelNames,
    ...(optimizerNames.length ? { optimizers: optimizerNames } : {}),
    ...(c.extra ? { extra: c.extra } : {}),
  };
  // Serialise first: a config that is not JSON fails before anything is written.
  let metaText: string;
  try {
    metaText = JSON.stringify(meta, null, 2);
  } catch (e) {
    throw new HopError('E_CHECKPOINT', `${dir}: config / extra cannot be written as JSON (${(e as Error).message})`, { cause: e });
  }
  if (await exists(target)) await assertReplaceable(target);

  await mkdir(dirname(target), { recursive: true });
  const tmp = tempSibling(target);
  await mkdir(tmp);
  try {
    for (const name of modelNames) await writeModel(join(tmp, name), c.models[name]);
    for (const name of optimizerNames)
      await writeOptimizer(join(tmp, OPTIMIZERS_DIR, name), (c.optimizers as Record<string, tf.Optimizer>)[name]);
    await writeFileAtomic(join(tmp, 'meta.json'), [metaText]);
    await syncDir(tmp);
    if (await exists(target)) {
      // Two renames: POSIX cannot rename a directory over a non-empty one. A crash between them leaves the
      // old checkpoint at `<dir>.old-*` (readCheckpointMeta points at it).
      const old = `${target}.old-${process.pid}-${Date.now()}`;
      await rename(target, old);
      await rename(tmp, target);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, target);
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  await syncDir(dirname(target));
}

async function assertReplaceable(target: string): Promise<void> {
  const entries = await readdir(target).catch((e: unknown) => {
    throw new HopError('E_CHECKPOINT', `${target} exists and is not a directory (${(e as Error).message})`);
  });
  if (entries.length === 0) return;
  const meta = await readFile(join(target, 'meta.json'), 'utf8').catch(() => null);
  const isCheckpoint = meta !== null && (() => {
    try {
      return (JSON.parse(meta) as { format?: unknown }).format === CHECKPOINT_FORMAT;
    } catch {
      return false;
    }
  })();
  if (!isCheckpoint)
    throw new HopError(
      'E_CHECKPOINT',
      `${target} exists and is not a HOP checkpoint (no valid meta.json); refusing to replace it — choose another directory or remove it`,
    );
}

async function readJson<T>(path: string, what: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new HopError('E_CHECKPOINT', `${path}: cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new HopError('E_CHECKPOINT', `${path}: the ${what} is not valid JSON (${(e as Error).message}); the checkpoint is corrupt`, { cause: e });
  }
  // Callers read fields of it: `null`, a number or a string must not surface as a TypeError.
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new HopError('E_CHECKPOINT', `${path}: the ${what} is ${Array.isArray(value) ? 'an array' : String(value)}, not a JSON object; the checkpoint is corrupt`);
  return value as T;
}

/** The `hop` weight manifest of a model.json, checked for the fields the loaders read. */
function modelManifest(mdir: string, json: Partial<ModelJson>): BinManifest {
  const m = json.hop;
  if (!m || !Array.isArray(m.weights) || typeof m.bytes !== 'number' || typeof m.sha256 !== 'string')
    throw new HopError('E_CHECKPOINT', `${mdir}/model.json: no 'hop' weight manifest; the checkpoint is corrupt`);
  return m;
}

/** Reads and checks `dir/meta.json`. */
export async function readCheckpointMeta(dir: string): Promise<CheckpointMeta> {
  const target = resolve(dir);
  if (!(await exists(target))) {
    const parent = dirname(target);
    const olds = (await readdir(parent).catch(() => [] as string[])).filter((f) => f.startsWith(`${basename(target)}.old-`));
    const hint = olds.length
      ? `; a save was interrupted while replacing it: the previous checkpoint is ${join(parent, olds[0])}, rename it to ${target}`
      : '';
    throw new HopError('E_CHECKPOINT', `${dir}: no checkpoint there (the directory does not exist)${hint}`);
  }
  const meta = await readJson<Partial<CheckpointMeta>>(join(target, 'meta.json'), 'checkpoint metadata');
  if (meta.format !== CHECKPOINT_FORMAT)
    throw new HopError('E_CHECKPOINT', `${dir}/meta.json: format is ${JSON.stringify(meta.format)}, not '${CHECKPOINT_FORMAT}'`);
  if (meta.version !== CHECKPOINT_VERSION)
    throw new HopError(
      'E_CHECKPOINT',
      `${dir}/meta.json: checkpoint version ${meta.version} is not supported by this @hop/core (it reads version ${CHECKPOINT_VERSION})`,
    );
  if (typeof meta.kind !== 'string' || !Array.isArray(meta.models) || typeof meta.createdAt !== 'string')
    throw new HopError('E_CHECKPOINT', `${dir}/meta.json: kind, models or createdAt is missing; the checkpoint is corrupt`);
  return meta as CheckpointMeta;
}

/** Reads a weights.bin and checks it against its manifest (size, then checksum). */
async function readBin(path: string, m: BinManifest): Promise<Uint8Array> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (e) {
    throw new HopError('E_CHECKPOINT', `${path}: cannot read the weights (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  const expected = m.weights.reduce((a, w) => a + entryBytes(w), 0);
  if (expected !== m.bytes)
    throw new HopError('E_CHECKPOINT', `${path}: the manifest's weights need ${expected} bytes but it records ${m.bytes}; the checkpoint is corrupt`);
  if (data.length !== m.bytes)
    throw new HopError(
      'E_CHECKPOINT',
      `${path}: ${data.length} bytes, the manifest says ${m.bytes}: the file is ${data.length < m.bytes ? 'truncated' : 'corrupt'}`,
    );
  if (sha256(data) !== m.sha256)
    throw new HopError('E_CHECKPOINT', `${path}: contents do not match the sha256 in the manifest: the file is corrupt`);
  return data;
}

/** Splits `data` into tensors, one per manifest entry (caller disposes). */
function decode(data: Uint8Array, entries: WeightEntry[]): tf.Tensor[] {
  let off = 0;
  return entries.map((e) => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    // A copy (Buffer#slice would be a view), so the typed array below starts aligned at offset 0.
    const bytes = new Uint8Array(data.subarray(off, off + entryBytes(e)));
    off += bytes.byteLength;
    const values =
      e.dtype === 'float32' ? new Float32Array(bytes.buffer, 0, n) : e.dtype === 'int32' ? new Int32Array(bytes.buffer, 0, n) : bytes;
    return tf.tensor(values, e.shape, e.dtype);
  });
}

function configHint(config: unknown): string {
  const s = JSON.stringify(config) ?? 'undefined';
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}

function checkModelWeights(dir: string, name: string, model: tf.LayersModel, m: BinManifest, config: unknown): void {
  const arch = `the checkpoint was written with another architecture (its config: ${configHint(config)})`;
  if (m.weights.length !== model.weights.length)
    throw new HopError(
      'E_CHECKPOINT_MISMATCH',
      `${dir}: model '${name}' has ${m.weights.length} weights in the checkpoint, ${model.weights.length} in the model: ${arch}`,
    );
  const layers = weightLayers(model);
  model.weights.forEach((w, i) => {
    const s = m.weights[i];
    const what = `${dir}: model '${name}' weight #${i} '${s.name}'`;
    if (s.key !== weightKey(w.originalName) || (s.layerClass !== undefined && s.layerClass !== layers[i]))
      throw new HopError(
        'E_CHECKPOINT_MISMATCH',
        `${what} (${s.layerClass}) is '${w.originalName}' (${layers[i]}) in the model: ${arch}`,
      );
    if (fmtShape(s.shape) !== fmtShape(w.shape))
      throw new HopError(
        'E_CHECKPOINT_MISMATCH',
        `${what} has shape ${fmtShape(s.shape)} in the checkpoint, ${fmtShape(w.shape)} in the model: ${arch}`,
      );
    if (s.dtype !== w.dtype)
      throw new HopError('E_CHECKPOINT_MISMATCH', `${what} is ${s.dtype} in the checkpoint, ${w.dtype} in the model`);
  });
}

/**
 * Loads a checkpoint into models (and optimizers) the caller built. Checks the kind, the model and
 * optimizer names, every weight's position, name, shape and dtype, and every file's size and checksum
 * before assigning anything; any difference is a HopError saying what differs.
 */
export async function loadCheckpoint(dir: string, into: LoadCheckpointTarget): Promise<CheckpointMeta> {
  const meta = await readCheckpointMeta(dir);
  if (meta.kind !== into.kind)
    throw new HopError('E_CHECKPOINT_MISMATCH', `${dir}: this is a '${meta.kind}' checkpoint, expected '${into.kind}'`);
  const savedOptimizers = meta.optimizers ?? [];
  const pending: { assign: () => Promise<void>; tensors: tf.Tensor[] }[] = [];
  try {
    for (const [name, model] of Object.entries(into.models)) {
      if (!meta.models.includes(name))
        throw new HopError('E_CHECKPOINT_MISMATCH', `${dir}: no model '${name}' in the checkpoint (it has ${meta.models.join(', ')})`);
      const mdir = join(resolve(dir), name);
      const json = await readJson<Partial<ModelJson>>(join(mdir, 'model.json'), `model '${name}' description`);
      const manifest = modelManifest(mdir, json);
      checkModelWeights(dir, name, model, manifest, meta.config);
      const tensors = decode(await readBin(join(mdir, 'weights.bin'), manifest), manifest.weights);
      pending.push({ tensors, assign: async () => model.setWeights(tensors) });
    }
    for (const [name, optimizer] of Object.entries(into.optimizers ?? {})) {
      if (!savedOptimizers.includes(name))
        throw new HopError(
          'E_CHECKPOINT_MISMATCH',
          `${dir}: no optimizer '${name}' in the checkpoint (it has ${savedOptimizers.length ? savedOptimizers.join(', ') : 'none'})`,
        );
      const odir = join(resolve(dir), OPTIMIZERS_DIR, name);
      const json = await readJson<Partial<OptimizerJson>>(join(odir, 'optimizer.json'), `optimizer '${name}' state`);
      if (!Array.isArray(json.weights) || typeof json.bytes !== 'number')
        throw new HopError('E_CHECKPOINT', `${odir}/optimizer.json: no weight manifest; the checkpoint is corrupt`);
      if (json.className !== optimizer.getClassName())
        throw new HopError(
          'E_CHECKPOINT_MISMATCH',
          `${dir}: optimizer '${name}' is ${json.className} in the checkpoint, ${optimizer.getClassName()} here`,
        );
      const entries = json.weights;
      const tensors = decode(await readBin(join(odir, 'weights.bin'), json as OptimizerJson), entries);
      const hidden = json.hidden ?? {};
      pending.push({
        tensors,
        assign: async () => {
          await optimizer.setWeights(entries.map((e, i) => ({ name: e.name, tensor: tensors[i] })));
          const live = hiddenVariables(optimizer);
          for (const [key, h] of Object.entries(hidden)) {
            const v = live[key];
            if (v && fmtShape(v.shape) === fmtShape(h.shape) && v.dtype === h.dtype)
              tf.tidy(() => v.assign(tf.tensor(h.values, h.shape, v.dtype)));
          }
        },
      });
    }
    // Everything checked: now assign (variables keep their own copies of the values).
    for (const p of pending) await p.assign();
  } finally {
    for (const p of pending) tf.dispose(p.tensors);
  }
  return meta;
}

/**
 * Rebuilds one model of a checkpoint from its saved topology (no caller-built model needed; layers must
 * be tfjs built-ins or registered with `tf.serialization.registerClass`).
 */
export async function loadCheckpointModel(dir: string, name: string): Promise<tf.LayersModel> {
  const meta = await readCheckpointMeta(dir);
  if (!meta.models.includes(name))
    throw new HopError('E_CHECKPOINT_MISMATCH', `${dir}: no model '${name}' in the checkpoint (it has ${meta.models.join(', ')})`);
  const mdir = join(resolve(dir), name);
  const json = await readJson<Partial<ModelJson>>(join(mdir, 'model.json'), `model '${name}' description`);
  const data = await readBin(join(mdir, 'weights.bin'), modelManifest(mdir, json));
  const specs = json.weightsManifest?.[0]?.weights;
  if (json.modelTopology === undefined || !Array.isArray(specs))
    throw new HopError('E_CHECKPOINT', `${mdir}/model.json: no modelTopology / weightsManifest; the checkpoint is corrupt`);
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs: specs as tf.io.WeightsManifestEntry[], weightData }),
  );
}

import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, readdirSync, renameSync, truncateSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/init';
import { HopError } from '../src/errors';
import { loadCheckpoint, loadCheckpointModel, readCheckpointMeta, saveCheckpoint, weightKey } from '../src/io/checkpoint';
import { Rng } from '../src/rng/rng';
import { tempDir } from './npy-helpers';

const { dir: root, cleanup } = tempDir('ckpt');
let n = 0;
const ckptDir = () => join(root, `ckpt-${n++}`);

beforeAll(async () => {
  await initBackend();
});
afterAll(cleanup);

/** A small MOA-shaped net: conv trunk on a grid plus a time input, FC `fc`, 5 logits. */
function buildNet(fc: number, seed = 1): tf.LayersModel {
  const grid = tf.input({ shape: [6, 6, 3] });
  const time = tf.input({ shape: [1] });
  let h = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(grid) as tf.SymbolicTensor;
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  h = tf.layers.concatenate().apply([h, time]) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: fc, activation: 'relu', name: 'fc', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: [grid, time], outputs: out });
}

function batch(seed: number, size = 8): { x: tf.Tensor[]; y: tf.Tensor } {
  const r = new Rng(seed);
  const g = Float32Array.from({ length: size * 6 * 6 * 3 }, () => r.normal());
  const t = Float32Array.from({ length: size }, () => r.next());
  const y = Float32Array.from({ length: size * 5 }, () => r.normal());
  return { x: [tf.tensor4d(g, [size, 6, 6, 3]), tf.tensor2d(t, [size, 1])], y: tf.tensor2d(y, [size, 5]) };
}

function predict(model: tf.LayersModel, x: tf.Tensor[]): Float32Array {
  return tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array).slice();
}

function trainStep(model: tf.LayersModel, opt: tf.Optimizer, b: { x: tf.Tensor[]; y: tf.Tensor }): void {
  tf.tidy(() => {
    opt.minimize(() => tf.losses.meanSquaredError(b.y, model.apply(b.x) as tf.Tensor) as tf.Scalar);
  });
}

async function rejection(p: Promise<unknown>): Promise<HopError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HopError);
  return e as HopError;
}

describe('weightKey', () => {
  it("drops tf.layers' process-wide counters but keeps the layer-relative name", () => {
    expect(weightKey('dense_Dense12/kernel')).toBe('dense_Dense/kernel');
    expect(weightKey('conv2d_Conv2D3/bias')).toBe('conv2d_Conv2D/bias');
    expect(weightKey('fc/kernel_1')).toBe('fc/kernel');
    expect(weightKey('dense_1/kernel')).toBe('dense/kernel');
  });
});

describe('saveCheckpoint / loadCheckpoint', () => {
  it('writes the layout: meta.json, <model>/model.json (tfjs layers-model) + weights.bin', async () => {
    const dir = ckptDir();
    const net = buildNet(8);
    await saveCheckpoint(dir, { kind: 'moa', config: { fc: 8 }, models: { moa: net }, extra: { step: 3 } });
    expect(readdirSync(dir).sort()).toEqual(['meta.json', 'moa']);
    expect(readdirSync(join(dir, 'moa')).sort()).toEqual(['model.json', 'weights.bin']);
    const meta = await readCheckpointMeta(dir);
    expect(meta).toMatchObject({ format: 'hop-checkpoint', version: 1, kind: 'moa', config: { fc: 8 }, models: ['moa'], extra: { step: 3 } });
    expect(Date.parse(meta.createdAt)).toBeGreaterThan(Date.parse('2024-01-01'));
    const mj = JSON.parse(readFileSync(join(dir, 'moa', 'model.json'), 'utf8'));
    expect(mj.format).toBe('layers-model');
    expect(mj.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(mj.weightsManifest[0].weights.map((w: { shape: number[] }) => w.shape)).toEqual(net.weights.map((w) => w.shape));
    // 3*3*3*4 + 4 + (6*6*4+1)*8 + 8 + 8*5 + 5 floats
    expect(readFileSync(join(dir, 'moa', 'weights.bin')).length).toBe(4 * (108 + 4 + 145 * 8 + 8 + 40 + 5));
  });

  it('save -> load into a freshly built model gives identical predictions, and no tensors leak', async () => {
    const dir = ckptDir();
    const a = buildNet(16, 1);
    const { x } = batch(5);
    const before = tf.memory().numTensors;
    await saveCheckpoint(dir, { kind: 'moa', config: { fc: 16 }, models: { moa: a } });
    const b = buildNet(16, 99); // other initial weights, other auto-generated layer names
    expect(b.weights[0].originalName).not.toBe(a.weights[0].originalName);
    expect(predict(b, x)).not.toEqual(predict(a, x));
    const tensorsWithB = tf.memory().numTensors;
    const meta = await loadCheckpoint(dir, { kind: 'moa', models: { moa: b } });
    expect(meta.config).toEqual({ fc: 16 });
    expect(predict(b, x)).toEqual(predict(a, x));
    expect(tf.memory().numTensors).toBe(tensorsWithB);
    expect(tensorsWithB - before).toBe(b.weights.length);
    // the files are plain tfjs artifacts: the model can also be rebuilt from its saved topology
    const c = await loadCheckpointModel(dir, 'moa');
    expect(predict(c, x)).toEqual(predict(a, x));
  });

  it('restores Adam: two steps after a reload equal two steps without saving', async () => {
    const dir = ckptDir();
    const b1 = batch(11);
    const b2 = batch(12);
    const b3 = batch(13);
    const a = buildNet(8, 3);
    const optA = tf.train.adam(0.01);
    trainStep(a, optA, b1);
    trainStep(a, optA, b1);
    await saveCheckpoint(dir, { kind: 'moa', config: {}, models: { moa: a }, optimizers: { moa: optA } });
    expect(readdirSync(join(dir, 'optimizers', 'moa')).sort()).toEqual(['optimizer.json', 'weights.bin']);
    trainStep(a, optA, b2);
    trainStep(a, optA, b3);
    const expected = predict(a, b1.x);

    const b = buildNet(8, 4);
    const optB = tf.train.adam(0.01);
    await loadCheckpoint(dir, { kind: 'moa', models: { moa: b }, optimizers: { moa: optB } });
    trainStep(b, optB, b2);
    trainStep(b, optB, b3);
    const got = predict(b, b1.x);
    expect(got).toEqual(expected); // bit for bit, Adam's beta^t included

    // Without the optimizer state the same two steps land elsewhere (the test can tell the difference).
    const c = buildNet(8, 5);
    await loadCheckpoint(dir, { kind: 'moa', models: { moa: c } });
    const optC = tf.train.adam(0.01);
    trainStep(c, optC, b2);
    trainStep(c, optC, b3);
    const fresh = predict(c, b1.x);
    expect(Math.max(...fresh.map((v, i) => Math.abs(v - expected[i])))).toBeGreaterThan(1e-3);
  });

  it('refuses another architecture, naming the weight, both shapes and the saved config', async () => {
    const dir = ckptDir();
    await saveCheckpoint(dir, { kind: 'moa', config: { fc: 12 }, models: { moa: buildNet(12) } });
    const small = buildNet(6);
    const e = await rejection(loadCheckpoint(dir, { kind: 'moa', models: { moa: small } }));
    expect(e.code).toBe('E_CHECKPOINT_MISMATCH');
    expect(e.message).toMatch(
      /model 'moa' weight #2 'fc\/kernel' has shape \[145,12\] in the checkpoint, \[145,6\] in the model: the checkpoint was written with another architecture \(its config: \{"fc":12\}\)/,
    );
    // a different number of weights
    const i = tf.input({ shape: [3] });
    const tiny = tf.model({ inputs: i, outputs: tf.layers.dense({ units: 2 }).apply(i) as tf.SymbolicTensor });
    const e2 = await rejection(loadCheckpoint(dir, { kind: 'moa', models: { moa: tiny } }));
    expect(e2.message).toMatch(/model 'moa' has 6 weights in the checkpoint, 2 in the model/);
  });

  it('refuses the wrong kind, unknown model or optimizer names, and a model whose layers differ', async () => {
    const dir = ckptDir();
    await saveCheckpoint(dir, { kind: 'moa', config: {}, models: { moa: buildNet(4) } });
    expect((await rejection(loadCheckpoint(dir, { kind: 'vae', models: {} }))).message).toMatch(/a 'moa' checkpoint, expected 'vae'/);
    expect((await rejection(loadCheckpoint(dir, { kind: 'moa', models: { encoder: buildNet(4) } }))).message).toMatch(
      /no model 'encoder' in the checkpoint \(it has moa\)/,
    );
    expect(
      (await rejection(loadCheckpoint(dir, { kind: 'moa', models: {}, optimizers: { moa: tf.train.adam() } }))).message,
    ).toMatch(/no optimizer 'moa' in the checkpoint \(it has none\)/);
    // same count and shapes of weights but a different layer: dense where the checkpoint has conv2d
    const i = tf.input({ shape: [4] });
    const other = tf.layers.dense({ units: 3 }).apply(i) as tf.SymbolicTensor;
    await saveCheckpoint(dir, { kind: 'moa', config: {}, models: { moa: tf.model({ inputs: i, outputs: other }) } });
    const j = tf.input({ shape: [1, 4] });
    const conv = tf.layers.conv1d({ filters: 3, kernelSize: 1 }).apply(j) as tf.SymbolicTensor;
    const e = await rejection(loadCheckpoint(dir, { kind: 'moa', models: { moa: tf.model({ inputs: j, outputs: conv }) } }));
    expect(e.message).toMatch(/weight #0 'dense_Dense\d+\/kernel' \(Dense\) is 'conv1d_Conv1D\d+\/kernel' \(Conv1D\) in the model/);
  });

  it('refuses an optimizer of another class', async () => {
    const dir = ckptDir();
    const net = buildNet(4);
    const opt = tf.train.adam();
    trainStep(net, opt, batch(1));
    await saveCheckpoint(dir, { kind: 'moa', config: {}, models: { moa: net }, optimizers: { moa: opt } });
    const e = await rejection(loadCheckpoint(dir, { kind: 'moa', models: {}, optimizers: { moa: tf.train.sgd(0.1) } }));
    expect(e.message).toMatch(/optimizer 'moa' is Adam in the checkpoint, SGD here/);
  });

  it('checks everything before assigning anything: a mismatch in the second model leaves the first untouched', async () => {
    const dir = ckptDir();
    await saveCheckpoint(dir, { kind: 'pair', config: {}, models: { a: buildNet(4, 1), b: buildNet(4, 2) } });
    const a = buildNet(4, 7);
    const { x } = batch(2);
    const before = predict(a, x);
    await rejection(loadCheckpoint(dir, { kind: 'pair', models: { a, b: buildNet(5) } }));
    expect(predict(a, x)).toEqual(before);
  });

  it('missing, truncated and corrupt files are HopErrors naming the file', async () => {
    const dir = ckptDir();
    const net = buildNet(4);
    const opt = tf.train.adam();
    trainStep(net, opt, batch(3));
    await saveCheckpoint(dir, { kind: 'moa', config: {}, models: { moa: net }, optimizers: { moa: opt } });
    const load = () => loadCheckpoint(dir, { kind: 'moa', models: { moa: buildNet(4) }, optimizers: { moa: tf.train.adam() } });
    const bin = join(dir, 'moa', 'weights.bin');
    const good = readFileSync(bin);

    truncateSync(bin, good.length - 10);
    expect((await rejection(load())).message).toMatch(new RegExp(`${bin}: ${good.length - 10} bytes, the manifest says ${good.length}: the file is truncated`));

    const flipped = Buffer.from(good);
    flipped[100] ^= 0x40;
    writeFileSync(bin, flipped);
    expect((await rejection(load())).message).toMatch(/weights\.bin: contents do not match the sha256 in the manifest: the file is corrupt/);

    renameSync(bin, `${bin}.away`);
    expect((await rejection(load())).message).toMatch(/moa\/weights\.bin: cannot read the weights \(ENOENT\)/);
    renameSync(`${bin}.away`, bin);
    writeFileSync(bin, good);

    const optBin = join(dir, 'optimizers', 'moa', 'weights.bin');
    truncateSync(optBin, 3);
    expect((await rejection(load())).message).toMatch(/optimizers\/moa\/weights\.bin: 3 bytes, the manifest says \d+: the file is truncated/);

    writeFileSync(join(dir, 'moa', 'model.json'), '{"format": "layers-mo');
    expect((await rejection(load())).message).toMatch(/moa\/model\.json: the model 'moa' description is not valid JSON/);

    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ format: 'hop-checkpoint', version: 7 }));
    expect((await rejection(load())).message).toMatch(/checkpoint version 7 is not supported/);

    expect((await rejection(readCheckpointMeta(join(root, 'nowhere')))).message).toMatch(/nowhere: no checkpoint there/);
  });

  it('a crash in the middle of a save leaves the previous checkpoint intact and no temp files', async () => {
    const dir = ckptDir();
    const v1 = buildNet(4, 1);
    const { x } = batch(4);
    await saveCheckpoint(dir, { kind: 'moa', config: { v: 1 }, models: { moa: v1 } });

    class CrashingAdam extends tf.AdamOptimizer {
      override async getWeights(): Promise<{ name: string; tensor: tf.Tensor }[]> {
        throw new Error('simulated crash while writing the optimizer state');
      }
    }
    // The model files of the new save are written before the optimizer fails.
    await expect(
      saveCheckpoint(dir, { kind: 'moa', config: { v: 2 }, models: { moa: buildNet(4, 2) }, optimizers: { moa: new CrashingAdam(0.1, 0.9, 0.999, 1e-7) } }),
    ).rejects.toThrow(/simulated crash/);

    expect((await readCheckpointMeta(dir)).config).toEqual({ v: 1 });
    const back = buildNet(4, 3);
    await loadCheckpoint(dir, { kind: 'moa', models: { moa: back } });
    expect(predict(back, x)).toEqual(predict(v1, x));
    expect(readdirSync(root).filter((f) => f.includes('.tmp-') || f.includes('.old-'))).toEqual([]);

    // a hard crash (process killed) can leave a temp sibling behind; it does not disturb later saves or loads
    mkdirSync(`${dir}.tmp-999999-0`);
    await saveCheckpoint(dir, { kind: 'moa', config: { v: 3 }, models: { moa: buildNet(4, 2) } });
    expect((await readCheckpointMeta(dir)).config).toEqual({ v: 3 });
  });

  it('points at the previous checkpoint when a crash fell between the two renames', async () => {
    const dir = ckptDir();
    await saveCheckpoint(dir, { kind: 'moa', config: {}, models: { moa: buildNet(4) } });
    renameSync(dir, `${dir}.old-123-456`);
    expect((await rejection(readCheckpointMeta(dir))).message).toMatch(/a save was interrupted .* the previous checkpoint is .*\.old-123-456, rename it/);
  });

  it('refuses to replace a directory that is not a checkpoint, and names that are not directory names', async () => {
    const dir = ckptDir();
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'precious');
    expect((await rejection(saveCheckpoint(dir, { kind: 'moa', config: {}, models: { moa: buildNet(4) } }))).message).toMatch(
      /exists and is not a HOP checkpoint/,
    );
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('precious');
    expect((await rejection(saveCheckpoint(ckptDir(), { kind: 'moa', config: {}, models: { '../x': buildNet(4) } }))).message).toMatch(
      /model name '\.\.\/x' cannot be a directory name/,
    );
    expect((await rejection(saveCheckpoint(ckptDir(), { kind: 'moa', config: { n: 1n }, models: { m: buildNet(4) } }))).message).toMatch(
      /cannot be written as JSON/,
    );
    expect(existsSync(join(root, 'x'))).toBe(false);
  });
});

describe('JSON files that parse but are not what they should be (review)', () => {
  it('meta.json or model.json holding null, or a model.json without its manifest, are HopErrors naming the file', async () => {
    const dir = ckptDir();
    const net = buildNet(4);
    await saveCheckpoint(dir, { kind: 'moa', config: {}, models: { moa: net } });
    const modelJson = join(dir, 'moa', 'model.json');
    const good = readFileSync(modelJson, 'utf8');

    writeFileSync(modelJson, 'null');
    for (const load of [() => loadCheckpoint(dir, { kind: 'moa', models: { moa: buildNet(4) } }), () => loadCheckpointModel(dir, 'moa')]) {
      const e = await rejection(load());
      expect(e.message).toContain(modelJson);
      expect(e.message).toMatch(/the checkpoint is corrupt/);
    }
    const { hop: _hop, ...noManifest } = JSON.parse(good) as Record<string, unknown>;
    writeFileSync(modelJson, JSON.stringify(noManifest));
    expect((await rejection(loadCheckpointModel(dir, 'moa'))).message).toMatch(/model\.json: no 'hop' weight manifest; the checkpoint is corrupt/);
    writeFileSync(modelJson, good);

    writeFileSync(join(dir, 'meta.json'), 'null');
    expect((await rejection(readCheckpointMeta(dir))).message).toMatch(/meta\.json: the checkpoint metadata is null, not a JSON object; the checkpoint is corrupt/);
  });
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/init';
import { HopError } from '../src/errors';
import { OnnxGraph } from '../src/onnx/graph';
import { convertLayers, type OnnxValue } from '../src/onnx/layers';
import { OnnxSession, chooseInferenceEngine, describeInference, loadOnnxRuntime } from '../src/onnx/runtime';

/**
 * The generic tfjs-layers -> ONNX converter against tfjs on every layer kind it exports. Skipped loudly
 * where onnxruntime-node is not installed; failed instead under HOP_REQUIRE_ONNX=1 (set by .ci/run).
 */
const required = process.env.HOP_REQUIRE_ONNX === '1';
const ort = await loadOnnxRuntime();
const available = !('error' in ort);
if (!available && !required)
  console.warn(
    `\n*** SKIPPING the core ONNX Runtime converter tests: ${'error' in ort ? ort.error : ''}. ` +
      'Run `npm install` (onnxruntime-node is a root devDependency) to run them (CI sets HOP_REQUIRE_ONNX=1 and fails instead). ***\n',
  );

beforeAll(async () => {
  await initBackend();
  if (!available && required) throw new Error(`HOP_REQUIRE_ONNX=1 but ${'error' in ort ? ort.error : ''}`);
});

const ENGINE = { threads: 1, executionProvider: 'cpu' as const };

/** Exports `model` (inputs bound in order, channels-last as in tfjs) and runs it through ORT. */
async function runOnnx(model: tf.LayersModel, xs: tf.Tensor[]): Promise<Float32Array[]> {
  const g = new OnnxGraph('test');
  const bound = new Map<tf.SymbolicTensor, OnnxValue>();
  model.inputs.forEach((t, i) => {
    const dims = [null, ...t.shape.slice(1)];
    bound.set(t, { name: g.input(`in${i}`, dims), shape: dims, nchw: false });
  });
  const outs = convertLayers(g, model.outputs, bound);
  outs.forEach((v, i) => {
    // outputs in tfjs layout
    const name = v.nchw ? g.node('Transpose', [v.name], { perm: [0, 2, 3, 1] }) : v.name;
    g.outputAs(name, `out${i}`, v.shape);
  });
  const session = await OnnxSession.create(g.encode(), ENGINE);
  const feeds = Object.fromEntries(xs.map((x, i) => [`in${i}`, { data: x.dataSync() as Float32Array, dims: x.shape }]));
  const res = await session.run(feeds);
  await session.release();
  return outs.map((_, i) => res[`out${i}`]);
}

function expectClose(got: Float32Array, want: tf.Tensor, tol = 1e-4): void {
  const w = want.dataSync();
  expect(got.length).toBe(w.length);
  let m = 0;
  for (let i = 0; i < w.length; i++) m = Math.max(m, Math.abs(got[i] - w[i]));
  expect(m).toBeLessThan(tol);
}

describe.runIf(available || required)('tfjs layers -> ONNX', () => {
  it('convolutions (same / valid, strides, dilation, even kernels), pooling, concat and add on grids', async () => {
    const x = tf.input({ shape: [7, 6, 3] });
    const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ filters: 4, kernelSize: [2, 3], padding: 'same', activation: 'tanh' }).apply(x) as tf.SymbolicTensor;
    const c = tf.layers.add().apply([a, b]) as tf.SymbolicTensor;
    const d = tf.layers.concatenate().apply([c, x]) as tf.SymbolicTensor;
    const e = tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'elu', useBias: false }).apply(d) as tf.SymbolicTensor;
    const f = tf.layers.conv2d({ filters: 2, kernelSize: 2, padding: 'valid', dilationRate: 2 }).apply(d) as tf.SymbolicTensor;
    const p = tf.layers.concatenate().apply([
      tf.layers.globalAveragePooling2d({}).apply(e) as tf.SymbolicTensor,
      tf.layers.globalMaxPooling2d({}).apply(e) as tf.SymbolicTensor,
    ]) as tf.SymbolicTensor;
    const flat = tf.layers.flatten().apply(f) as tf.SymbolicTensor;
    const model = tf.model({ inputs: x, outputs: [e, p, flat, tf.layers.reLU().apply(d) as tf.SymbolicTensor] });
    const input = tf.randomNormal([5, 7, 6, 3], 0, 1, 'float32', 1);
    const want = model.predict(input) as tf.Tensor[];
    const got = await runOnnx(model, [input]);
    want.forEach((w, i) => expectClose(got[i], w));
    tf.dispose([input, ...want]);
    model.dispose();
  });

  it('dense activations, repeat vector, reshape back to a grid, batch dot, activation layers', async () => {
    const v = tf.input({ shape: [6] });
    const cells = tf.input({ shape: [12, 1] });
    const h = tf.layers.dense({ units: 8, activation: 'sigmoid' }).apply(v) as tf.SymbolicTensor;
    const rep = tf.layers.repeatVector({ n: 12 }).apply(h) as tf.SymbolicTensor; // [12, 8]
    const grid = tf.layers.reshape({ targetShape: [3, 4, 8] }).apply(rep) as tf.SymbolicTensor;
    const conv = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }).apply(grid) as tf.SymbolicTensor;
    const back = tf.layers.reshape({ targetShape: [12, 3] }).apply(conv) as tf.SymbolicTensor;
    const dot = tf.layers.flatten().apply(tf.layers.dot({ axes: [1, 1] }).apply([back, cells]) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const soft = tf.layers.activation({ activation: 'softmax' }).apply(tf.layers.dense({ units: 4 }).apply(dot) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [v, cells], outputs: [soft, conv] });
    const xs = [tf.randomNormal([9, 6], 0, 1, 'float32', 2), tf.randomUniform([9, 12, 1], 0, 1, 'float32', 3)];
    const want = model.predict(xs) as tf.Tensor[];
    const got = await runOnnx(model, xs);
    want.forEach((w, i) => expectClose(got[i], w));
    tf.dispose([...xs, ...want]);
    model.dispose();
  });

  it('refuses layers it cannot export with a HopError naming them', () => {
    const x = tf.input({ shape: [4] });
    const y = tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: x, outputs: y });
    const g = new OnnxGraph('bad');
    const bound = new Map([[x, { name: g.input('x', [null, 4]), shape: [null, 4], nchw: false }]]);
    expect(() => convertLayers(g, model.outputs, bound)).toThrow(/BatchNormalization\) has no ONNX export/);
    expect(() => convertLayers(new OnnxGraph('unbound'), model.outputs, new Map())).toThrow(HopError);
    model.dispose();
  });
});

describe('inference engine choice', () => {
  const withEnv = async (env: Record<string, string | undefined>, f: () => Promise<void>) => {
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
    try {
      await f();
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };

  it('tfjs when asked, with the reason; auto follows the package; one-line description', async () => {
    await withEnv({ HOP_INFERENCE: 'tfjs', HOP_ONNX_THREADS: undefined, HOP_ONNX_PROVIDER: undefined }, async () => {
      const t = await chooseInferenceEngine();
      expect(t).toMatchObject({ engine: 'tfjs', threads: 1, executionProvider: 'cpu' });
      expect(describeInference(t)).toBe('inference tfjs — HOP_INFERENCE=tfjs: tfjs');
      // an explicit option wins over the environment
      const o = await chooseInferenceEngine({ engine: 'auto', threads: 2 });
      expect(o.engine).toBe(available ? 'onnx' : 'tfjs');
      if (available) expect(describeInference(o)).toMatch(/^inference ONNX Runtime \(cpu, 2 threads\) — engine 'auto' requested: onnxruntime-node 1\.\d+/);
    });
  });

  it('bad settings are HopErrors that say what is accepted', async () => {
    await withEnv({ HOP_INFERENCE: 'gpu' }, async () => {
      await expect(chooseInferenceEngine()).rejects.toThrow(/use auto, onnx or tfjs/);
    });
    await withEnv({ HOP_INFERENCE: undefined, HOP_ONNX_THREADS: '0' }, async () => {
      await expect(chooseInferenceEngine()).rejects.toThrow(/HOP_ONNX_THREADS is 0/);
    });
    await withEnv({ HOP_INFERENCE: undefined, HOP_ONNX_THREADS: undefined, HOP_ONNX_PROVIDER: 'tpu' }, async () => {
      await expect(chooseInferenceEngine()).rejects.toThrow(/use cpu or cuda/);
    });
  });
});

import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMoaNet, moaBatch, trainStep } from '../bench/moa-net';
import { initBackend } from '../src/backend/init';
import { Rng } from '../src/rng/rng';
import { expectClose, on, onBoth, randn } from './kernels-helpers';

let previous = '';
beforeAll(async () => {
  previous = tf.getBackend();
  await initBackend({ force: 'wasm' });
});
afterAll(async () => {
  if (previous) await tf.setBackend(previous);
});

/**
 * Gradients of `loss(model(inputs))` with respect to every trainable weight, on the active
 * backend. The model is built from `build` and gets the given weights, so cpu and wasm start equal.
 */
function weightGrads(
  build: () => tf.LayersModel,
  weights: Float32Array[],
  inputs: () => tf.Tensor[],
  loss: (out: tf.Tensor) => tf.Scalar,
): tf.Tensor[] {
  const model = build();
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(weights[i], w.shape)));
  const xs = inputs();
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { grads } = tf.variableGrads(() => loss(model.apply(xs, { training: true }) as tf.Tensor), vars);
  const out = vars.map((v) => grads[v.name]);
  model.dispose();
  return out;
}

async function initialWeights(build: () => tf.LayersModel): Promise<Float32Array[]> {
  return on('cpu', () => {
    const m = build();
    const ws = m.getWeights().map((w) => w.clone());
    m.dispose();
    return ws;
  });
}

/** A loss that weighs every output element differently, so no gradient entry is trivially equal. */
function weightedSum(weights: Float32Array): (out: tf.Tensor) => tf.Scalar {
  return (out) => tf.sum(tf.mul(out, tf.tensor(weights, out.shape))) as tf.Scalar;
}

describe('layer gradients on wasm equal cpu', () => {
  it('conv2d layer (kernel and bias): strides 1 and 2, same and valid, several channel counts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          batch: fc.integer({ min: 2, max: 4 }),
          size: fc.integer({ min: 4, max: 9 }),
          ci: fc.integer({ min: 1, max: 8 }),
          co: fc.integer({ min: 1, max: 8 }),
          kernel: fc.integer({ min: 1, max: 3 }),
          stride: fc.constantFrom(1, 2),
          padding: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
        }),
        fc.integer({ min: 1, max: 1e6 }),
        async (c, seed) => {
          const rng = new Rng(seed);
          const inShape = [c.size, c.size, c.ci];
          const build = () =>
            tf.sequential({
              layers: [
                tf.layers.conv2d({
                  inputShape: inShape,
                  filters: c.co,
                  kernelSize: c.kernel,
                  strides: c.stride,
                  padding: c.padding,
                  biasInitializer: 'glorotUniform',
                }),
              ],
            });
          const weights = await initialWeights(build);
          const x = randn(rng, c.batch * c.size * c.size * c.ci);
          const probe = build();
          const outSize = c.batch * (probe.outputs[0].shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
          probe.dispose();
          const dy = randn(rng, outSize);
          const f = () => weightGrads(build, weights, () => [tf.tensor(x, [c.batch, ...inShape])], weightedSum(dy));
          const { cpu, wasm } = await onBoth(f);
          expectClose(wasm, cpu, 1e-4, JSON.stringify(c));
        },
      ),
      { numRuns: 12 },
    );
  });

  it('dense layer (kernel and bias) on rank-2 and rank-3 inputs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 1e6 }),
        async (batch, inputs, units, seq, seed) => {
          const rng = new Rng(seed);
          const inShape = seq ? [3, inputs] : [inputs];
          const build = () =>
            tf.sequential({
              layers: [tf.layers.dense({ inputShape: inShape, units, activation: 'relu', biasInitializer: 'glorotUniform' })],
            });
          const weights = await initialWeights(build);
          const n = batch * inShape.reduce((a, b) => a * b, 1);
          const x = randn(rng, n);
          const dy = randn(rng, (n / inputs) * units);
          const f = () => weightGrads(build, weights, () => [tf.tensor(x, [batch, ...inShape])], weightedSum(dy));
          const { cpu, wasm } = await onBoth(f);
          expectClose(wasm, cpu, 1e-4, `dense batch ${batch} in ${inShape} units ${units}`);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('a small conv net with softmax cross-entropy (every weight)', async () => {
    const build = () =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [7, 7, 3], filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }),
          tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 12, activation: 'relu' }),
          tf.layers.dense({ units: 5 }),
        ],
      });
    const weights = await initialWeights(build);
    const rng = new Rng(17);
    const x = randn(rng, 6 * 7 * 7 * 3);
    const labels = Array.from({ length: 6 }, () => rng.int(5));
    const loss = (out: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 5), out) as tf.Scalar;
    const { cpu, wasm } = await onBoth(() => weightGrads(build, weights, () => [tf.tensor(x, [6, 7, 7, 3])], loss));
    expect(wasm).toHaveLength(8);
    expectClose(wasm, cpu, 1e-4, 'small conv net');
  });

  it('the MOA net with time and a 16-d goal concatenated before FC 512 (batch 8)', async () => {
    const build = () => buildMoaNet({ goalDim: 16, seed: 3 });
    const weights = await initialWeights(build);
    const data = await on('cpu', () => {
      const { xs, labels } = moaBatch(8, { goalDim: 16 }, 11);
      return [...xs, labels];
    });
    const shapes = [
      [8, 8, 8, 7],
      [8, 1],
      [8, 16],
    ];
    const loss = (out: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.tensor(data[3], [8, 7]), out) as tf.Scalar;
    const inputs = () => shapes.map((s, i) => tf.tensor(data[i], s));
    const { cpu, wasm } = await onBoth(() => weightGrads(build, weights, inputs, loss));
    expect(wasm).toHaveLength(10);
    expectClose(wasm, cpu, 1e-4, 'MOA with goal');
  });
});

describe('training on wasm', () => {
  it('Adam steps of the MOA net lower the loss and do not grow the tensor count', async () => {
    await tf.setBackend('wasm');
    const model = buildMoaNet({ goalDim: 16, seed: 5 });
    const opt = tf.train.adam(3e-3);
    const { xs, labels } = moaBatch(32, { goalDim: 16 }, 21);
    const losses: number[] = [];
    let count = 0;
    for (let step = 0; step < 12; step++) {
      const loss = trainStep(model, opt, xs, labels);
      losses.push(loss.dataSync()[0]);
      loss.dispose();
      if (step === 1) count = tf.memory().numTensors; // optimizer slots exist after the first step
      if (step > 1) expect(tf.memory().numTensors).toBe(count);
    }
    expect(losses[11]).toBeLessThan(losses[0] * 0.7);
    tf.dispose([...xs, labels]);
    opt.dispose();
    model.dispose();
  });
});

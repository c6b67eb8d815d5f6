import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@hop/core';
import { GumbelVAE, VanillaVAE, categoricalUniformKl, gaussianKl, sumSquaredError } from '../src/index';

beforeAll(async () => {
  await initBackend();
});

const val = (t: tf.Tensor) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};

describe('gaussianKl', () => {
  it('is 0 for mu = 0, logVar = 0', () => {
    expect(Math.abs(val(gaussianKl(tf.zeros([3, 16]), tf.zeros([3, 16]))))).toBe(0);
  });

  it('matches a 2-d case worked by hand', () => {
    // mu = (1, -2), logVar = (0, ln 2): -1/2 [(1 + 0 - 1 - 1) + (1 + ln 2 - 4 - 2)] = 3 - ln(2) / 2
    const mu = tf.tensor2d([[1, -2]]);
    const logVar = tf.tensor2d([[0, Math.log(2)]]);
    expect(val(gaussianKl(mu, logVar))).toBeCloseTo(3 - Math.log(2) / 2, 5);
    // sigma = 2 in one dim: 1/2 (4 - 1 - ln 4) = 1.5 - ln 2
    expect(val(gaussianKl(tf.tensor2d([[0]]), tf.tensor2d([[Math.log(4)]])))).toBeCloseTo(1.5 - Math.log(2), 5);
    tf.dispose([mu, logVar]);
  });

  it('sums over latent dims and averages over the batch', () => {
    const mu = tf.tensor2d([
      [1, -2],
      [0, 0],
    ]);
    const logVar = tf.tensor2d([
      [0, Math.log(2)],
      [0, 0],
    ]);
    expect(val(gaussianKl(mu, logVar))).toBeCloseTo((3 - Math.log(2) / 2) / 2, 5);
    tf.dispose([mu, logVar]);
  });
});

describe('categoricalUniformKl', () => {
  it('is 0 for the uniform categorical and log K for a one-hot', () => {
    const uniform = tf.logSoftmax(tf.zeros([2, 3, 4])) as tf.Tensor3D;
    expect(val(categoricalUniformKl(uniform))).toBeCloseTo(0, 6);
    const hard = tf.logSoftmax(tf.tensor3d([[[60, 0, 0, 0]]])) as tf.Tensor3D;
    expect(val(categoricalUniformKl(hard))).toBeCloseTo(Math.log(4), 5);
    tf.dispose([uniform, hard]);
  });

  it('matches a hand-worked case, summed over slots', () => {
    // q = (1/2, 1/4, 1/8, 1/8): sum q log(4q) = 1/2 ln 2 + 0 + 2 * 1/8 ln(1/2) = ln(2) / 4
    const q = [0.5, 0.25, 0.125, 0.125].map(Math.log);
    const logp = tf.tensor3d([[q, [0, 0, 0, 0].map(() => Math.log(0.25)), q]]);
    expect(val(categoricalUniformKl(logp))).toBeCloseTo(2 * (Math.log(2) / 4), 5);
    logp.dispose();
  });
});

describe('sumSquaredError', () => {
  it('sums each sample and averages the batch', () => {
    const x = tf.tensor3d([[[1, 0]], [[0, 1]]]);
    const xHat = tf.tensor3d([[[0.5, 0]], [[0, 0]]]);
    expect(val(sumSquaredError(x, xHat))).toBeCloseTo((0.25 + 1) / 2, 6);
    tf.dispose([x, xHat]);
  });
});

describe('the models report the closed-form KL of their own posterior', () => {
  const net = { inputShape: [4, 4, 2], filters: [4], hidden: [8], seed: 6 };
  const x = () => tf.randomUniform([5, 4, 4, 2], 0, 1, 'float32', 3);

  it('VanillaVAE: kl = -1/2 sum(1 + logVar - mu^2 - exp(logVar)), batch mean, from its mu and logVar', () => {
    const vae = new VanillaVAE({ ...net, latentDim: 3 });
    const input = x();
    const l = vae.latentLosses(input, { seed: 1 });
    const mu = l.mu.arraySync();
    const lv = l.logVar.arraySync();
    let want = 0;
    mu.forEach((row, b) => row.forEach((m, j) => (want += (-0.5 * (1 + lv[b][j] - m * m - Math.exp(lv[b][j]))) / 5)));
    expect(Math.abs(want)).toBeGreaterThan(1e-3);
    expect(l.kl.dataSync()[0]).toBeCloseTo(want, 5);
    tf.dispose([input, ...Object.values(l)]);
    vae.dispose();
  });

  it.each(['none', 'batch'] as const)(
    'GumbelVAE (logitNorm %s): kl = sum_slots sum_k p log(K p), batch mean, from its class probabilities',
    (logitNorm) => {
      const vae = new GumbelVAE({ ...net, slots: 2, classes: 3, logitNorm });
      const input = x();
      const l = vae.latentLosses(input, { seed: 1 });
      let want = 0;
      for (const row of l.mu.arraySync()) for (const p of row) want += (p * Math.log(3 * p)) / 5;
      expect(Math.abs(want)).toBeGreaterThan(1e-4);
      expect(l.kl.dataSync()[0]).toBeCloseTo(want, 5);
      tf.dispose([input, ...Object.values(l)]);
      vae.dispose();
    },
  );
});

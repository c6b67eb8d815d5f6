import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { HopError, Rng, initBackend } from '@hop/core';
import { GumbelVAE, VanillaVAE, gridBatch, resolveUpsamples, vanillaVaeConfigSchema } from '../src/index';
import { linearReference, setLinearWeights } from './fixtures';

beforeAll(async () => {
  await initBackend();
});

const tiny = { filters: [4, 8], hidden: [16] };

describe('shapes', () => {
  it.each([
    [[8, 8, 7], 'transpose'],
    [[4, 4, 5], 'transpose'],
    [[5, 7, 3], 'transpose'],
    [[8, 8, 7], 'nearest'],
    [[6, 6, 2], 'nearest'],
  ] as const)('%j grids with %s up-sampling decode back to [batch, H, W, C]', (shape, upsampling) => {
    const before = tf.memory().numTensors;
    for (const vae of [
      new VanillaVAE({ inputShape: [...shape], ...tiny, upsampling, latentDim: 5 }),
      new GumbelVAE({ inputShape: [...shape], ...tiny, upsampling, slots: 2, classes: 3 }),
    ]) {
      tf.tidy(() => {
        const x = tf.randomUniform([3, ...shape]);
        const e = vae.encode(x);
        expect(e.mu.shape).toEqual([3, vae.latentSize]);
        expect(e.logVar.shape).toEqual([3, vae.latentSize]);
        expect(e.z.shape).toEqual([3, vae.latentSize]);
        expect(vae.decode(e.z).shape).toEqual([3, ...shape]);
        const l = vae.losses(x);
        expect(l.reconstruction.shape).toEqual([3, ...shape]);
        expect([l.recon.rank, l.kl.rank, l.loss.rank]).toEqual([0, 0, 0]);
      });
      vae.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('picks the up-sampling depth from the grid and explains sizes that do not fit', () => {
    const spec = (inputShape: number[], decoderUpsamples: 'auto' | number = 'auto') =>
      vanillaVaeConfigSchema.parse({ inputShape, decoderUpsamples });
    expect(resolveUpsamples(spec([8, 8, 7]))).toBe(2);
    expect(resolveUpsamples(spec([4, 4, 5]))).toBe(2);
    expect(resolveUpsamples(spec([6, 6, 1]))).toBe(1);
    expect(resolveUpsamples(spec([5, 7, 3]))).toBe(0);
    expect(resolveUpsamples(spec([16, 16, 3], 3))).toBe(3);
    expect(() => new VanillaVAE({ inputShape: [5, 7, 3], decoderUpsamples: 1 })).toThrow(
      /decoderUpsamples=1 needs H and W divisible by 2, but the grid is 5x7/,
    );
  });

  it('takes flat vectors (and grids) through the MLP encoder', () => {
    for (const inputShape of [[37], [4, 4, 5]]) {
      const vae = new VanillaVAE({ inputShape, encoder: 'mlp', hidden: [16, 8], latentDim: 4 });
      const out = tf.tidy(() => vae.reconstruct(tf.ones([2, ...inputShape])).shape);
      expect(out).toEqual([2, ...inputShape]);
      vae.dispose();
    }
  });
});

describe('values worked out by hand', () => {
  // Mutation audit (issue 17): every test here checked shapes only, so a decoder or KL with the right shape and
  // wrong numbers passed. Mutations of src that these fail and the old model and train tests passed: the KL
  // without its 1/2 (`tf.mul(-1, ...)` in gaussianKl) and the Gumbel noise subtracted instead of added in
  // gumbelSoftmax; also z = mu + exp(logVar) * eps (the variance for the standard deviation in
  // reparameterize), which before only the slow 4x4 learning test noticed.
  const x = [
    [1, 0],
    [0, 1],
  ];

  it('VanillaVAE (linear, weights set): mu, logVar, z, decoding and losses, deterministic and sampled', () => {
    const vae = new VanillaVAE({ inputShape: [2], encoder: 'mlp', hidden: [], latentDim: 1 });
    setLinearWeights(vae);
    const xt = tf.tensor2d(x);
    // By hand: mu = x . [1, 2] + 0.5 = [1.5, 2.5]; logVar = x . [0.2, -0.1] + ln 4; with z = mu,
    // xHat = z * [3, -1] + [0, 1] = [[4.5, -0.5], [7.5, -1.5]]; recon = mean(3.5^2 + 0.5^2, 7.5^2 + 2.5^2)
    // = mean(12.5, 62.5) = 37.5; KL_b = (mu^2 + e^logVar - 1 - logVar) / 2 = 2.2746583, 3.7915277, mean 3.0330930.
    const det = vae.losses(xt, { sample: false, alpha: 0.5 });
    expect(Array.from(det.mu.dataSync())).toEqual([1.5, 2.5]);
    const lv = det.logVar.dataSync();
    expect(lv[0]).toBeCloseTo(Math.log(4) + 0.2, 6);
    expect(lv[1]).toBeCloseTo(Math.log(4) - 0.1, 6);
    expect(Array.from(det.reconstruction.dataSync())).toEqual([4.5, -0.5, 7.5, -1.5]);
    expect(det.recon.dataSync()[0]).toBeCloseTo(37.5, 4);
    expect(det.kl.dataSync()[0]).toBeCloseTo(3.033093, 5);
    expect(det.loss.dataSync()[0]).toBeCloseTo(37.5 + 0.5 * 3.033093, 4);
    // sampled: eps are core's Rng(7) normals in row-major order; z = mu + exp(logVar / 2) eps
    const r = new Rng(7);
    const eps = [r.normal(), r.normal()];
    const want = linearReference(x, eps, 0.5);
    const smp = vae.losses(xt, { seed: 7, alpha: 0.5 });
    const z = smp.z.dataSync();
    want.z.forEach((q, b) => expect(z[b]).toBeCloseTo(q, 5));
    const xHat = smp.reconstruction.dataSync();
    want.xHat.flat().forEach((q, i) => expect(xHat[i]).toBeCloseTo(q, 4));
    expect(smp.recon.dataSync()[0]).toBeCloseTo(want.recon, 3);
    expect(smp.kl.dataSync()[0]).toBeCloseTo(want.kl, 5);
    expect(smp.loss.dataSync()[0]).toBeCloseTo(want.loss, 3);
    tf.dispose([xt, det, smp]);
    vae.dispose();
  });

  it('GumbelVAE (logits = x): class probabilities, uniform KL, argmax and the Gumbel-softmax sample', () => {
    const g = new GumbelVAE({ inputShape: [2], encoder: 'mlp', hidden: [], slots: 1, classes: 2, logitNorm: 'none' });
    for (const v of g.encoderVariables) v.assign(/kernel(_\d+)?$/.test(v.name) ? tf.eye(2) : tf.zeros(v.shape));
    const rows = [
      [0.3, -0.2],
      [-1, 2],
    ];
    const xt = tf.tensor2d(rows);
    const softmax = (r: number[], tau = 1) => {
      const e = r.map((q) => Math.exp(q / tau));
      return e.map((q) => q / (e[0] + e[1]));
    };
    // softmax(0.3, -0.2) = (1 / (1 + e^-0.5), ...) = (0.6224593, 0.3775407); softmax(-1, 2) = (0.0474259, 0.9525741)
    const probs = rows.map((r) => softmax(r));
    expect(probs[0][0]).toBeCloseTo(0.6224593, 6);
    expect(probs[1][1]).toBeCloseTo(0.9525741, 6);
    const kl = probs.reduce((s, q) => s + q.reduce((t, p) => t + p * (Math.log(p) + Math.log(2)), 0), 0) / 2;
    const det = g.latentLosses(xt, { sample: false });
    probs.flat().forEach((p, i) => expect(det.mu.dataSync()[i]).toBeCloseTo(p, 6));
    expect(Array.from(det.z.dataSync())).toEqual([1, 0, 0, 1]);
    expect(det.kl.dataSync()[0]).toBeCloseTo(kl, 6);
    // sampled: u from core's Rng(3) in row-major order, g = -log(-log u), z = softmax((logits + g) / tau)
    const r = new Rng(3);
    const noise = [0, 1, 2, 3].map(() => -Math.log(-Math.log(r.next() || Number.MIN_VALUE)));
    const want = rows.flatMap((row, b) => softmax([row[0] + noise[2 * b], row[1] + noise[2 * b + 1]], 0.5));
    const smp = g.encode(xt, { seed: 3, temperature: 0.5 });
    want.forEach((q, i) => expect(smp.z.dataSync()[i]).toBeCloseTo(q, 5));
    tf.dispose([xt, det, smp]);
    g.dispose();
  });
});

describe('modes and errors', () => {
  it('deterministic mode: z = mu (vanilla) and the argmax one-hot of the class probabilities (gumbel)', () => {
    const x = tf.randomUniform([4, 4, 4, 2], 0, 1, 'float32', 3);
    const v = new VanillaVAE({ inputShape: [4, 4, 2], ...tiny, latentDim: 3 });
    const e = v.encode(x, { sample: false });
    expect(Array.from(e.z.dataSync())).toEqual(Array.from(e.mu.dataSync()));
    const g = new GumbelVAE({ inputShape: [4, 4, 2], ...tiny, slots: 2, classes: 3 });
    const d = g.encode(x, { sample: false });
    const z = d.z.arraySync();
    const p = d.mu.arraySync();
    for (let b = 0; b < 4; b++)
      for (let s = 0; s < 2; s++) {
        const ps = p[b].slice(3 * s, 3 * s + 3);
        const zs = z[b].slice(3 * s, 3 * s + 3);
        expect(ps.reduce((a, c) => a + c, 0)).toBeCloseTo(1, 5);
        expect(zs).toEqual(ps.map((q) => (q === Math.max(...ps) ? 1 : 0)));
      }
    // sampled soft z: each slot sums to 1; straight-through: exactly one-hot
    const soft = g.encode(x, { seed: 1, temperature: 0.5 }).z.arraySync();
    for (const row of soft)
      for (let s = 0; s < 2; s++) expect(row[3 * s] + row[3 * s + 1] + row[3 * s + 2]).toBeCloseTo(1, 5);
    const st = new GumbelVAE({ inputShape: [4, 4, 2], ...tiny, slots: 2, classes: 3, straightThrough: true });
    for (const row of st.encode(x, { seed: 1 }).z.arraySync()) expect(row.filter((q) => q === 1)).toHaveLength(2);
    [v, g, st].forEach((m) => m.dispose());
  });

  it('rejects bad configs and inputs with HopErrors that say what to do', () => {
    expect(() => new VanillaVAE({ inputShape: [8, 8, 7], latentDim: 0 })).toThrow(/latentDim/);
    expect(() => new VanillaVAE({ inputShape: [10] })).toThrow(/use encoder: 'mlp'/);
    expect(() => new GumbelVAE({ inputShape: [4, 4, 2], classes: 1 })).toThrow(HopError);
    const v = new VanillaVAE({ inputShape: [4, 4, 2], ...tiny });
    const one = tf.zeros([4, 4, 2]);
    expect(() => v.encode(one)).toThrow(/lacks the batch dimension/);
    const wrong = tf.zeros([2, 4, 4, 3]);
    expect(() => v.encode(wrong)).toThrow(/has shape \[2, 4, 4, 3\], expected \[\?, 4, 4, 2\]/);
    const z = tf.zeros([2, 5]);
    expect(() => v.decode(z)).toThrow(/z has shape \[2, 5\], expected \[\?, 16\]/);
    const g = new GumbelVAE({ inputShape: [4, 4, 2], ...tiny });
    expect(() => g.encode(tf.zeros([1, 4, 4, 2]), { temperature: 0 })).toThrow(/temperature/);
    v.dispose();
    g.dispose();
    expect(() => v.encode(tf.zeros([1, 4, 4, 2]))).toThrow(/disposed/);
    tf.dispose([one, wrong, z]);
  });

  it('shows its defaults and frees every weight on dispose', () => {
    const before = tf.memory().numTensors;
    const v = new VanillaVAE({ inputShape: [8, 8, 7] });
    expect(v.config).toMatchObject({
      kind: 'vanilla',
      encoder: 'cnn',
      filters: [16, 32],
      kernelSize: 3,
      hidden: [128],
      latentDim: 16,
      decoderUpsamples: 'auto',
      seed: 0,
    });
    const g = new GumbelVAE({ inputShape: [8, 8, 7] });
    expect(g.config).toMatchObject({
      kind: 'gumbel',
      slots: 1,
      classes: 4,
      straightThrough: false,
      logitNorm: 'batch',
    });
    expect(g.latentSize).toBe(4);
    expect(g.temperature).toBe(1);
    g.setStep(1e9);
    expect(g.temperature).toBe(0.5);
    expect(v.trainableVariables.length).toBe(v.encoderVariables.length + v.decoderVariables.length);
    v.dispose();
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('gridBatch', () => {
  it('strips the leading mask entries of flat [mask, grid] rows into a [batch, H, W, C] tensor', () => {
    // two rows: 2 mask entries then a 1x2x2 grid
    const flat = new Float32Array([9, 9, 1, 2, 3, 4, 8, 8, 5, 6, 7, 8]);
    const t = gridBatch(flat, 2, [1, 2, 2], 2);
    expect(t.shape).toEqual([2, 1, 2, 2]);
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(() => gridBatch(flat, 3, [1, 2, 2], 2)).toThrow(/do not make 3 rows of 2 skipped \+ 4 grid entries/);
    t.dispose();
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { HopError, initBackend } from '@hop/core';
import { GumbelVAE, VanillaVAE, gridBatch, resolveUpsamples, vanillaVaeConfigSchema } from '../src/index';

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

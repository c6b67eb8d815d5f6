import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HopError, initBackend } from '@hop/core';
import { ClassicVaeTrainer, GumbelVAE, VanillaVAE, loadVae, type GoalEncoder } from '../src/index';

let root = '';
beforeAll(async () => {
  await initBackend();
  root = await mkdtemp(join(tmpdir(), 'hop-vae-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const grid = { inputShape: [4, 4, 3], filters: [4, 8], hidden: [16], seed: 5 };

/** Everything a caller can observe: deterministic and seeded encodings, decodings, losses. */
function outputs(vae: GoalEncoder, x: tf.Tensor): number[][] {
  return tf.tidy(() => {
    const det = vae.encode(x, { sample: false });
    const sampled = vae.encode(x, { seed: 3 });
    const l = vae.losses(x, { seed: 4 });
    return [det.mu, det.logVar, det.z, sampled.z, vae.decode(sampled.z), l.recon, l.kl].map((t) =>
      Array.from(t.dataSync()),
    );
  });
}

/** A few Adam steps so the weights are not the seeded initial ones. */
function perturb(vae: GoalEncoder, x: tf.Tensor): void {
  const t = new ClassicVaeTrainer(vae, { learningRate: 0.05, seed: 1 });
  for (let i = 0; i < 3; i++) t.trainStep(x);
  t.dispose();
}

describe('save -> load', () => {
  it.each(['vanilla', 'gumbel'] as const)('%s: identical outputs, and the sampling stream resumes', async (kind) => {
    const x = tf.randomUniform([5, 4, 4, 3], 0, 1, 'float32', 2);
    const vae: GoalEncoder =
      kind === 'vanilla' ? new VanillaVAE({ ...grid, latentDim: 3 }) : new GumbelVAE({ ...grid, slots: 2, classes: 3 });
    perturb(vae, x);
    if (vae instanceof GumbelVAE) vae.setStep(5000);
    const dir = join(root, kind);
    await vae.save(dir);
    const loaded = kind === 'vanilla' ? await VanillaVAE.load(dir) : await GumbelVAE.load(dir);
    expect(loaded.config).toEqual((vae as VanillaVAE | GumbelVAE).config);
    expect(outputs(loaded, x)).toEqual(outputs(vae, x));
    // the models' own noise streams continue from the same point
    const own = (m: GoalEncoder) => tf.tidy(() => Array.from(m.encode(x).z.dataSync()));
    expect(own(loaded)).toEqual(own(vae));
    if (loaded instanceof GumbelVAE) expect(loaded.temperature).toBe((vae as GumbelVAE).temperature);
    // a model freshly built from the same config (same seed) differs: the weights really came from disk
    const fresh =
      kind === 'vanilla' ? new VanillaVAE({ ...grid, latentDim: 3 }) : new GumbelVAE({ ...grid, slots: 2, classes: 3 });
    expect(outputs(fresh, x)).not.toEqual(outputs(vae, x));
    const any = await loadVae(dir);
    expect(any).toBeInstanceOf(kind === 'vanilla' ? VanillaVAE : GumbelVAE);
    [vae, loaded, fresh, any].forEach((m) => m.dispose());
    x.dispose();
  });

  it('refuses the other kind with an error that names the right loader', async () => {
    const g = new GumbelVAE(grid);
    const dir = join(root, 'kind');
    await g.save(dir);
    await expect(VanillaVAE.load(dir)).rejects.toThrow(HopError);
    await expect(VanillaVAE.load(dir)).rejects.toThrow(/'hop-vae\/gumbel'.*GumbelVAE\.load or loadVae/);
    g.dispose();
  });

  it('a resumed trainer continues exactly like the original (weights, Adam state, step, noise)', async () => {
    const x = tf.randomUniform([6, 4, 4, 3], 0, 1, 'float32', 7);
    const trainer = new ClassicVaeTrainer(new VanillaVAE({ ...grid, latentDim: 3 }), {
      learningRate: 0.01,
      klWeight: { kind: 'linear', warmupSteps: 10 },
    });
    for (let i = 0; i < 3; i++) trainer.trainStep(x);
    const dir = join(root, 'trainer');
    await trainer.save(dir);
    const resumed = await ClassicVaeTrainer.resume(dir);
    expect(resumed.step).toBe(3);
    const next = [trainer.trainStep(x), trainer.trainStep(x)];
    const again = [resumed.trainStep(x), resumed.trainStep(x)];
    expect(again).toEqual(next);
    expect(outputs(resumed.vae, x)).toEqual(outputs(trainer.vae, x));
    await expect(ClassicVaeTrainer.resume(join(root, 'vanilla'))).rejects.toThrow(/without trainer state/);
    for (const t of [trainer, resumed]) {
      t.vae.dispose();
      t.dispose();
    }
    x.dispose();
  });
});

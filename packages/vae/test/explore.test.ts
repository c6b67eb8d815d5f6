import { beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend, Rng } from '@hop/core';
import { VanillaVAE, GumbelVAE, ClassicVaeTrainer } from '../src/index';
import { syntheticGrids, meanBaselineSse, gather } from './fixtures';

beforeAll(async () => {
  console.log((await initBackend()).name);
});

it('explore', () => {
  for (const [h, w, kind, seed] of [[8, 8, 0, 1], [8, 8, 0, 2], [8, 8, 0, 4], [8, 8, 1, 2], [8, 8, 1, 3], [8, 8, 1, 4], [4, 4, 0, 1], [4, 4, 0, 2], [4, 4, 1, 2]]) {
    const n = 512;
    const data = syntheticGrids(n, h, w, 1);
    const base = meanBaselineSse(data, n);
    const vae = kind === 0 ? new VanillaVAE({ inputShape: [h, w, 3], filters: [8, 16], hidden: [64], latentDim: 8, seed }) : new GumbelVAE({ inputShape: [h, w, 3], filters: [8, 16], hidden: [64], slots: 2, classes: 4, seed, temperature: {kind:'exponential', initial: 1, min: 0.5, rate: 0.005} });
    const tr = new ClassicVaeTrainer(vae, { learningRate: 1e-2, klWeight: { kind: "constant", value: 0.01 } });
    const rng = new Rng(2);
    const evalX = gather(data, [h, w, 3], Array.from({ length: 256 }, (_, i) => i));
    const evalRecon = () => tf.tidy(() => vae.losses(evalX, { sample: false }).recon.dataSync()[0]);
    const start = evalRecon();
    const t0 = Date.now();
    for (let s = 0; s < 300; s++) {
      const idx = Array.from({ length: 64 }, () => rng.int(n));
      const x = gather(data, [h, w, 3], idx);
      const r = tr.trainStep(x);
      x.dispose();
      if (s % 50 === 0) console.log(s, JSON.stringify(r));
    }
    console.log(h, w, kind, seed, 'base', base, 'start', start, 'end', evalRecon(), 'ms', Date.now() - t0);
  }
  expect(1).toBe(1);
});

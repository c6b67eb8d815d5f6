import { beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend, Rng } from '@hop/core';
import { GumbelVAE, ClassicVaeTrainer } from '../src/index';
import { syntheticGrids, meanBaselineSse, gather } from './fixtures';

beforeAll(async () => {
  console.log((await initBackend()).name);
});

it('explore gumbel', () => {
  const variants: [string, number, object, number][] = [
    ['k4 8cl', 1, { slots: 1 }, 1e-2],
    ['k4 8cl', 3, { slots: 1 }, 1e-2],
    ['s2 8cl', 1, { slots: 2 }, 1e-2],
    ['s2 8cl', 3, { slots: 2 }, 1e-2],
    ['s2 8cl st', 3, { slots: 2, straightThrough: true }, 1e-2],
    ['s2 8cl lr3e-3', 4, { slots: 2 }, 3e-3],
  ];
  for (const [name, seed, extra, lr] of variants) {
    const [h, w] = [8, 8];
    const n = 512;
    const data = syntheticGrids(n, h, w, 1);
    const base = meanBaselineSse(data, n);
    const vae = new GumbelVAE({ inputShape: [h, w, 3], filters: [8, 16], hidden: [64], slots: 2, classes: 4, seed, ...extra });
    const tr = new ClassicVaeTrainer(vae, { learningRate: lr, klWeight: { kind: 'constant', value: name.includes('a.01') ? 0.01 : name.includes('a1') ? 1 : 0.01 } });
    const rng = new Rng(2);
    const evalX = gather(data, [h, w, 3], Array.from({ length: 256 }, (_, i) => i));
    const evalRecon = () => tf.tidy(() => vae.losses(evalX, { sample: false, training: false }).recon.dataSync()[0]);
    const start = evalRecon();
    const t0 = Date.now();
    const log: string[] = [];
    for (let s = 0; s < 300; s++) {
      const idx = Array.from({ length: 64 }, () => rng.int(n));
      const x = gather(data, [h, w, 3], idx);
      const r = tr.trainStep(x);
      x.dispose();
      if (s % 50 === 0) log.push(`${r.recon.toFixed(3)}/${r.kl.toFixed(2)}`);
    }
    console.log(name, 'base', base.toFixed(3), 'start', start.toFixed(3), 'end', evalRecon().toFixed(3), log.join(' '), 'ms', Date.now() - t0);
  }
  expect(1).toBe(1);
});

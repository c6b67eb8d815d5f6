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
    ['tau2', 1, { temperature: { kind: 'constant', value: 2 } }, 1e-2],
    ['tau2', 3, { temperature: { kind: 'constant', value: 2 } }, 1e-2],
    ['tau2', 4, { temperature: { kind: 'constant', value: 2 } }, 1e-2],
    ['tau2->0.5', 3, { temperature: { kind: 'exponential', initial: 2, min: 0.5, rate: 5e-3 } }, 1e-2],
    ['tau2 lr3e-3', 3, { temperature: { kind: 'constant', value: 2 } }, 3e-3],
    ['tau5', 3, { temperature: { kind: 'constant', value: 5 } }, 1e-2],
  ];
  for (const [name, seed, extra, lr] of variants) {
    const [h, w] = [8, 8];
    const n = 512;
    const data = syntheticGrids(n, h, w, 1);
    const base = meanBaselineSse(data, n);
    const vae = new GumbelVAE({ inputShape: [h, w, 3], filters: [8, 16], hidden: [64], slots: 2, classes: 4, seed, ...extra });
    const tr = new ClassicVaeTrainer(vae, { learningRate: lr, klWeight: { kind: 'constant', value: name.includes('a.1') ? 0.1 : 0.01 } });
    const rng = new Rng(2);
    const evalX = gather(data, [h, w, 3], Array.from({ length: 256 }, (_, i) => i));
    const evalRecon = () => tf.tidy(() => vae.losses(evalX, { sample: false }).recon.dataSync()[0]);
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

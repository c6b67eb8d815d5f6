import { beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend, Rng } from '@hop/core';
import { GumbelVAE, ClassicVaeTrainer } from '../src/index';
import { syntheticGrids, meanBaselineSse, gather } from './fixtures';

beforeAll(async () => {
  console.log((await initBackend()).name);
});

it('debug gumbel', () => {
  const [h, w] = [8, 8];
  const n = 512;
  const data = syntheticGrids(n, h, w, 1, 1);
  const vae = new GumbelVAE({ inputShape: [h, w, 3], filters: [8, 16], hidden: [64], slots: 1, classes: 4, seed: 3 });
  const tr = new ClassicVaeTrainer(vae, { learningRate: 3e-3, klWeight: { kind: 'constant', value: 0 } });
  const rng = new Rng(2);
  const probe = gather(data, [h, w, 3], [0, 1, 2, 3, 4, 5, 6, 7]);
  const show = (s: number) => {
    const e = vae.encode(probe, { sample: false });
    const logits = tf.tidy(() => (vae.encoder.apply(probe) as tf.Tensor));
    console.log(s, JSON.stringify(logits.arraySync().map((r: number[]) => r.map((v) => +v.toFixed(2)))));
    tf.dispose([e.mu, e.logVar, e.z, e.logits!, logits]);
  };
  for (let s = 0; s < 200; s++) {
    if (s % 10 === 0 && s < 60 || s % 50 === 0) show(s);
    const x = gather(data, [h, w, 3], Array.from({ length: 64 }, () => rng.int(n)));
    const r = tr.trainStep(x);
    if (s % 10 === 0 && s < 60 || s % 50 === 0) console.log(JSON.stringify(r));
    x.dispose();
  }
  show(200);
  expect(1).toBe(1);
});

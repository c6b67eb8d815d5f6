import { beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@hop/core';
import { VanillaVAE, GumbelVAE, ClassicVaeTrainer } from '../src/index';

beforeAll(async () => {
  console.log((await initBackend()).name);
});

it('smoke', () => {
  for (const shape of [[8, 8, 7], [4, 4, 5], [5, 7, 3]]) {
    const v = new VanillaVAE({ inputShape: shape });
    const x = tf.randomUniform([3, ...shape]);
    const e = v.encode(x);
    console.log(shape, e.z.shape, v.decode(e.z).shape, v.encoder.getWeights().map((w) => w.shape), v.encoder.trainableWeights.map(w=>[w.name, w.originalName]));
    const t = new ClassicVaeTrainer(v);
    console.log(t.trainStep(x));
    const g = new GumbelVAE({ inputShape: shape, straightThrough: true });
    const tg = new ClassicVaeTrainer(g);
    console.log(tg.trainStep(x), g.encode(x).z.arraySync());
  }
  expect(1).toBe(1);
});

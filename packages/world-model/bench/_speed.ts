import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@hop/core';
import { WorldModel } from '../src/model/world-model';
import { stagHuntLayout } from '../src/layout';
import { worldModelLoss } from '../src/train/loss';
const info = await initBackend();
console.log(info.name, info.patchedKernels);
const layout = stagHuntLayout({ height: 8, width: 8, players: 4 });
const F = Number(process.argv[2] ?? 64);
const m = new WorldModel({ layout, finalTime: 35, direct: { layers: [{ filters: F, kernel: 3 }, { filters: F, kernel: 1 }, { filters: F, kernel: 1 }] } });
console.log('params', m.countParams());
const B = 128, G = 8 * 8 * 7;
const obs = new Float32Array(B * G).map(() => (Math.random() < 0.1 ? 1 : 0));
const ja = new Int32Array(B * 4).map(() => Math.floor(Math.random() * 7));
const time = new Float32Array(B);
const opt = tf.train.adam(1e-3);
const w = tf.ones([7]) as tf.Tensor1D;
for (let it = 0; it < 8; it++) {
  const t0 = performance.now();
  tf.tidy(() => {
    const { obs: o, cond } = m.inputs({ size: B, obs, jointAction: ja, time });
    const target = { next: o, reward: tf.zeros([B]) as tf.Tensor1D, done: tf.zeros([B]) as tf.Tensor1D };
    opt.minimize(() => worldModelLoss(m.forward(o, cond), target, { channel: w, reward: 1, done: 0.1 }).total);
  });
  console.log('train step B=128', (performance.now() - t0).toFixed(1), 'ms');
}
for (const bs of [64, 1024]) {
  const o2 = new Float32Array(bs * G), j2 = new Int32Array(bs * 4), t2 = new Float32Array(bs);
  for (let it = 0; it < 3; it++) { const t0 = performance.now(); await m.predict({ size: bs, obs: o2, jointAction: j2, time: t2 }); console.log('predict', bs, (performance.now() - t0).toFixed(1), 'ms'); }
}

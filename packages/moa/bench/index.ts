/**
 * @hop/moa benchmark on the reference network (8x8x7 grid, convs 16-32-32, FC 512, 7 actions, 2 one-hot
 * goals):
 *  - probsForGoals latency and throughput at batch 1, 20, 64, 512 with G = 2, against the baseline of G
 *    separate `probs` calls (same rows, one goal each), both including the read-back of the result;
 *  - supervised training samples/s at minibatch 512 on the active backend, against the plain-JS cpu
 *    backend measured in the same run.
 * `npm run bench` (HOP_BACKEND picks the active backend; BENCH_SECONDS the time per figure; the cpu
 * training baseline takes minutes, BENCH_SKIP_CPU=1 skips it).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, describeBackend, initBackend } from '@hop/core';
import { MOAModel, MOATrainer, oneHotGoals, type MOADataset } from '../src/index';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = 3;
const REFERENCE = { observationShape: [8, 8, 7], numActions: 7, goalDim: 2, maxTime: 35 };
const G = 2;

/** Calls `fn` for at least SECONDS (and `minIters` times) after `warmup` calls; returns ms per call. */
function msPerCall(fn: () => void, warmup = 2, minIters = 3): number {
  for (let i = 0; i < warmup; i++) fn();
  let iters = 0;
  const t0 = performance.now();
  while (iters < minIters || performance.now() - t0 < SECONDS * 1000) {
    fn();
    iters++;
  }
  return (performance.now() - t0) / iters;
}

function msOnce(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** Random rows like the stag hunt's: sparse 0/1 grids, masks with "stay" valid, labels valid under them. */
function randomData(n: number, seed: number): MOADataset & { goal: Float32Array } {
  const rng = new Rng(seed);
  const obsSize = 8 * 8 * 7;
  const d = {
    size: n,
    obs: new Float32Array(n * obsSize).map(() => (rng.next() < 0.1 ? 1 : 0)),
    mask: new Uint8Array(n * 7).map((_, k) => (k % 7 === 4 || rng.next() < 0.6 ? 1 : 0)),
    time: new Float32Array(n).map(() => rng.int(35)),
    action: new Int32Array(n),
    goal: new Float32Array(n * G),
  };
  for (let i = 0; i < n; i++) {
    const valid = [0, 1, 2, 3, 4, 5, 6].filter((a) => d.mask[i * 7 + a]);
    d.action[i] = valid[rng.int(valid.length)];
    d.goal[i * G + rng.int(G)] = 1;
  }
  return d;
}

function inference(model: MOAModel): void {
  const goals = oneHotGoals(G);
  console.log(`\nprobsForGoals, G = ${G} (one call on B*G rows) vs ${G} separate probs calls`);
  console.log('batch | probsForGoals ms | rows*goals/s | separate calls ms | speed-up');
  for (const b of [1, 20, 64, 512]) {
    const d = randomData(b, b);
    const x = { obs: d.obs, mask: d.mask, time: d.time };
    const perGoal = Array.from({ length: G }, (_, g) => {
      const goal = new Float32Array(b * G);
      for (let i = 0; i < b; i++) goal.set(goals.subarray(g * G, (g + 1) * G), i * G);
      return goal;
    });
    const oneCall = () => {
      const p = model.probsForGoals(x, goals);
      p.dataSync();
      p.dispose();
    };
    const separateCalls = () => {
      for (const goal of perGoal) {
        const p = model.probs({ ...x, goal });
        p.dataSync();
        p.dispose();
      }
    };
    // Alternate the two in rounds and keep each one's best round: the machine is shared, and the fastest
    // round is the one least disturbed by other jobs.
    let one = Infinity;
    let separate = Infinity;
    for (let round = 0; round < ROUNDS; round++) {
      one = Math.min(one, msPerCall(oneCall, 1));
      separate = Math.min(separate, msPerCall(separateCalls, 1));
    }
    const thr = (b * G * 1000) / one;
    console.log(
      `${String(b).padStart(5)} | ${one.toFixed(3).padStart(16)} | ${thr.toFixed(0).padStart(12)} | ${separate.toFixed(3).padStart(17)} | ${(separate / one).toFixed(2)}x`,
    );
  }
}

/** Training samples/s at minibatch 512; `quick` times a single step with no warm-up (the slow cpu baseline). */
function trainingRate(label: string, quick = false): number {
  const model = new MOAModel(REFERENCE);
  const trainer = new MOATrainer(model);
  const d = randomData(512, 99);
  const ms = quick ? msOnce(() => trainer.step(d)) : msPerCall(() => trainer.step(d), 1, 2);
  const rate = (512 * 1000) / ms;
  console.log(`${label.padEnd(28)} | ${ms.toFixed(1).padStart(9)} ms/step | ${rate.toFixed(0).padStart(7)} samples/s`);
  trainer.dispose();
  model.dispose();
  return rate;
}

async function main(): Promise<void> {
  const info = await initBackend();
  console.log(describeBackend(info));
  console.log(`@hop/moa bench: reference MOA ${JSON.stringify(REFERENCE)}, best of ${ROUNDS} alternating rounds of ${SECONDS}s for inference`);
  const model = new MOAModel(REFERENCE);
  inference(model);
  model.dispose();

  console.log('\nsupervised training, minibatch 512 (masked CE, clipping, Adam)');
  const active = trainingRate(`${info.name} (active)`);
  if (info.name !== 'cpu' && process.env.BENCH_SKIP_CPU !== '1') {
    await initBackend({ force: 'cpu' });
    const cpu = trainingRate('cpu (baseline, one step)', true);
    console.log(`speed-up of ${info.name} over cpu: ${(active / cpu).toFixed(2)}x`);
  }
  console.log(`tensors alive at the end: ${tf.memory().numTensors}`);
}

await main();

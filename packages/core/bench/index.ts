/**
 * Kernel benchmark of @hop/core: the reference MOA net (docs/models.md) trained and run on the wasm
 * backend with HOP's kernels, against the unpatched wasm backend and the plain cpu backend, plus the
 * transposed products that motivated the BatchMatMul kernel.
 *
 *   npm run bench                 # full run (the cpu training steps take a while)
 *   npm run bench -- --runs 3     # fewer timed runs per figure
 *   npm run bench -- --no-cpu-train   # skip the cpu backend training step (minutes at batch 1024)
 *
 * Every figure is the best of N runs, as wall-clock and as this process's CPU time (see measure.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/init';
import { registerWasmKernels, unregisterWasmKernels } from '../src/kernels/register';
import { fmt, measure, rate, type Timing } from './measure';
import { buildMoaNet, GRID, moaBatch, trainStep, type MoaNetOptions } from './moa-net';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const RUNS = flag('runs', 5);
// The cpu backend takes minutes per batch-1024 step: one timed step, no warm-up, by default.
const CPU_RUNS = flag('cpu-runs', 1);
const TRAIN_BATCH = 1024;
/** `--no-cpu-train`: skip the minutes-long cpu backend training step (quick runs; no ratio vs cpu). */
const CPU_TRAIN = !process.argv.includes('--no-cpu-train');

/** Floating-point operations of one training step (multiply-add = 2), forward + both gradients. */
function trainFlops(batch: number, o: MoaNetOptions): number {
  const [h, w, c0] = GRID;
  const convs = [
    [c0, 16],
    [16, 32],
    [32, 32],
  ].map(([ci, co]) => 2 * batch * h * w * 9 * ci * co);
  const fcIn = h * w * 32 + (o.goalDim ? 1 + o.goalDim : 0);
  const dense = 2 * batch * fcIn * 512 + 2 * batch * 512 * 7;
  const forward = convs.reduce((a, b) => a + b, 0) + dense;
  // Backward: weight and input gradients each cost a forward, except the first conv's input gradient.
  return 3 * forward - convs[0];
}

type Variant = 'wasm + HOP kernels' | 'wasm + filter grad only' | 'wasm unpatched' | 'cpu';

async function useVariant(v: Variant): Promise<void> {
  if (v === 'cpu') {
    await tf.setBackend('cpu');
    return;
  }
  await tf.setBackend('wasm');
  unregisterWasmKernels();
  if (v === 'wasm + HOP kernels') registerWasmKernels();
  // The least a conv net needs to train at all on wasm: the missing kernel, nothing made faster.
  if (v === 'wasm + filter grad only') registerWasmKernels({ kernels: ['Conv2DBackpropFilter'] });
}

async function timeTraining(v: Variant, o: MoaNetOptions, runs: number): Promise<Timing | string> {
  await useVariant(v);
  const model = buildMoaNet({ ...o, seed: 1 });
  const opt = tf.train.adam(1e-3);
  const { xs, labels } = moaBatch(TRAIN_BATCH, o);
  try {
    const step = () => {
      const loss = trainStep(model, opt, xs, labels);
      loss.dataSync();
      loss.dispose();
    };
    return measure(step, runs, v === 'cpu' ? 0 : 1);
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  } finally {
    tf.dispose([...xs, labels]);
    opt.dispose();
    model.dispose();
  }
}

async function timeInference(v: Variant, batch: number, runs: number): Promise<Timing> {
  await useVariant(v);
  const model = buildMoaNet({ seed: 1 });
  const { xs, labels } = moaBatch(batch);
  // Many calls per run at small batches, so timer resolution and scheduling noise do not dominate.
  const calls = Math.max(1, Math.round(256 / batch));
  const t = measure(
    () => {
      // (tidy must not return the typed array: it would walk every element looking for tensors)
      for (let i = 0; i < calls; i++) tf.tidy(() => void (model.predict(xs) as tf.Tensor).dataSync());
    },
    runs,
    1,
  );
  tf.dispose([...xs, labels]);
  model.dispose();
  return { wallMs: t.wallMs / calls, cpuMs: t.cpuMs / calls, runs };
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
}

async function gemmSection(): Promise<void> {
  const [m, k, n] = [16384, 288, 64];
  const flops = 2 * m * k * n;
  console.log(`\nBatchMatMul ${m}x${k}x${n} (GFLOP/s, best of ${RUNS}, CPU time)`);
  const widths = [22, 12, 12, 8];
  console.log(row(['', 'unpatched', 'HOP kernel', 'ratio'], widths));
  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
  ] as const) {
    const a = tf.randomNormal(ta ? [k, m] : [m, k]);
    const b = tf.randomNormal(tb ? [n, k] : [k, n]);
    const run = () => tf.tidy(() => void tf.matMul(a, b, ta, tb).dataSync());
    const g: number[] = [];
    for (const v of ['wasm unpatched', 'wasm + HOP kernels'] as const) {
      await useVariant(v);
      g.push(flops / measure(run, RUNS).cpuMs / 1e6);
    }
    tf.dispose([a, b]);
    const name = ta ? 'transposeA' : tb ? 'transposeB' : 'plain';
    console.log(row([name, fmt(g[0], 1), fmt(g[1], 1), `${fmt(g[1] / g[0], 1)}x`], widths));
  }
}

async function trainingSection(): Promise<void> {
  const flops = trainFlops(TRAIN_BATCH, {});
  console.log(
    `\nMOA net training step, batch ${TRAIN_BATCH}, Adam + softmax cross-entropy ` +
      `(${fmt(flops / 1e9, 1)} GFLOP/step; best of ${RUNS}, cpu backend best of ${CPU_RUNS} without warm-up)`,
  );
  const widths = [26, 14, 14, 12, 10];
  console.log(row(['', 'samples/s wall', 'samples/s CPU', 'GFLOP/s CPU', 'vs cpu'], widths));
  const results: [Variant, Timing | string][] = [];
  for (const v of ['cpu', 'wasm unpatched', 'wasm + filter grad only', 'wasm + HOP kernels'] as Variant[])
    results.push([v, v === 'cpu' && !CPU_TRAIN ? 'skipped (--no-cpu-train)' : await timeTraining(v, {}, v === 'cpu' ? CPU_RUNS : RUNS)]);
  const cpu = results[0][1];
  for (const [v, t] of results) {
    if (typeof t === 'string') {
      console.log(row([v, v === 'cpu' ? '' : 'cannot train:', '', '', ''], widths), t);
      continue;
    }
    const r = rate(t, TRAIN_BATCH);
    const vsCpu = typeof cpu === 'string' ? '-' : `${fmt(cpu.cpuMs / t.cpuMs, 1)}x`;
    console.log(row([v, fmt(r.wall), fmt(r.cpu), fmt(flops / t.cpuMs / 1e6, 1), vsCpu], widths));
  }
  const patched = results[3][1];
  const filterOnly = results[2][1];
  if (typeof patched !== 'string' && typeof filterOnly !== 'string')
    console.log(`HOP kernels vs filter grad only: ${fmt(filterOnly.cpuMs / patched.cpuMs, 2)}x (CPU time)`);

  const goal: MoaNetOptions = { goalDim: 16 };
  const g = await timeTraining('wasm + HOP kernels', goal, RUNS);
  if (typeof g === 'string') console.log(`MOA with time + 16-d goal before FC 512: FAILED: ${g}`);
  else
    console.log(
      `MOA with time + 16-d goal before FC 512, wasm + HOP kernels: ${fmt(rate(g, TRAIN_BATCH).wall)} samples/s wall, ` +
        `${fmt(rate(g, TRAIN_BATCH).cpu)} CPU`,
    );
}

async function inferenceSection(): Promise<void> {
  console.log(`\nMOA net inference (samples/s, best of ${RUNS})`);
  const widths = [26, 14, 14, 10];
  for (const batch of [1, 64]) {
    console.log(`batch ${batch}`);
    console.log(row(['', 'samples/s wall', 'samples/s CPU', 'vs cpu'], widths));
    const res: [Variant, Timing][] = [];
    for (const v of ['cpu', 'wasm unpatched', 'wasm + HOP kernels'] as Variant[])
      res.push([v, await timeInference(v, batch, RUNS)]);
    for (const [v, t] of res) {
      const r = rate(t, batch);
      console.log(row([v, fmt(r.wall), fmt(r.cpu), `${fmt(res[0][1].cpuMs / t.cpuMs, 1)}x`], widths));
    }
  }
}

async function main(): Promise<void> {
  const info = await initBackend({ force: 'wasm' });
  const load = (await import('node:os')).loadavg()[0];
  console.log(
    `@hop/core kernel benchmark — tfjs ${tf.version.tfjs}, wasm SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, ` +
      `threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'yes' : 'no (one core)'}, ` +
      `${(await import('node:os')).cpus().length} cores, load average ${fmt(load, 1)} at start`,
  );
  console.log(`HOP kernels: ${info.patchedKernels.join(', ')}`);
  await gemmSection();
  await inferenceSection();
  await trainingSection();
  await useVariant('wasm + HOP kernels');
}

await main();

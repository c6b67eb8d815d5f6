/**
 * @hop/vae benchmark: encode throughput at batch 1 / 64 / 1024 and classic training throughput at batch
 * 512 on the Stag-Hunt 8x8x7 grid (default configs), on the active backend and on plain-JS cpu as the
 * baseline measured in the same run. `npm run bench` (HOP_BACKEND picks the active backend).
 */
import * as tf from '@tensorflow/tfjs';
import { describeBackend, initBackend } from '@hop/core';
import { ClassicVaeTrainer, GumbelVAE, VanillaVAE, type GoalEncoder } from '../src/index';

const SHAPE = [8, 8, 7];
const MIN_SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);

/** Runs `fn` until MIN_SECONDS have passed (at least `minIters` times) after `warmup` calls; calls per second. */
function rate(fn: () => void, warmup = 2, minIters = 3): number {
  for (let i = 0; i < warmup; i++) fn();
  let iters = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (iters < minIters || elapsed < MIN_SECONDS * 1000) {
    fn();
    iters++;
    elapsed = performance.now() - t0;
  }
  return (iters * 1000) / elapsed;
}

type Row = { name: string; samplesPerSec: number };

function grid(batch: number): tf.Tensor {
  // Sparse 0/1 grids like the environment's: about one cell in ten set.
  return tf.tidy(() => tf.cast(tf.less(tf.randomUniform([batch, ...SHAPE], 0, 1, 'float32', 1), 0.1), 'float32'));
}

function measure(backend: string): Row[] {
  const rows: Row[] = [];
  const push = (r: Row) => {
    rows.push(r);
    console.error(`  [${backend}] ${r.name}: ${fmt(r.samplesPerSec)} samples/s`); // progress while it runs
  };
  const models: [string, GoalEncoder][] = [
    ['VanillaVAE', new VanillaVAE({ inputShape: SHAPE })],
    ['GumbelVAE', new GumbelVAE({ inputShape: SHAPE })],
  ];
  for (const [name, vae] of models) {
    for (const batch of [1, 64, 1024]) {
      const x = grid(batch);
      // dataSync makes every backend finish the work inside the timed region
      const perSec = rate(() => tf.tidy(() => void vae.encode(x).z.dataSync()), 3, batch === 1 ? 50 : 3);
      push({ name: `${name} encode, batch ${batch}`, samplesPerSec: perSec * batch });
      x.dispose();
    }
    const x = grid(512);
    const trainer = new ClassicVaeTrainer(vae);
    // cpu needs minutes per step at this size: one warm-up and two timed steps are enough there
    const steps = rate(() => void trainer.trainStep(x), 1, 2);
    push({ name: `${name} train step (recon + alpha KL, Adam), batch 512`, samplesPerSec: steps * 512 });
    trainer.dispose();
    x.dispose();
    vae.dispose();
  }
  return rows;
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));

async function main(): Promise<void> {
  const info = await initBackend();
  console.log(describeBackend(info));
  console.log(`grid ${SHAPE.join('x')}, default configs, >= ${MIN_SECONDS}s per figure\n`);
  const active = measure(info.name);
  let baseline: Row[] | null = null;
  if (info.name !== 'cpu') {
    await tf.setBackend('cpu');
    baseline = measure('cpu');
  }
  const header = ['figure', `${info.name} samples/s`, ...(baseline ? ['cpu samples/s', `${info.name} / cpu`] : [])];
  const lines = active.map((r, i) => [
    r.name,
    fmt(r.samplesPerSec),
    ...(baseline
      ? [fmt(baseline[i].samplesPerSec), `${(r.samplesPerSec / baseline[i].samplesPerSec).toFixed(2)}x`]
      : []),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
  const row = (cells: string[]) =>
    cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('  ');
  console.log(row(header));
  for (const l of lines) console.log(row(l));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

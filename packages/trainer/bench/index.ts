// Trainer benchmark: what one pretraining step costs on the active backend, joint (VAE encoder + MOA)
// against the MOA alone (the no-goal bound) as the baseline measured in the same run, and how fast the
// dataset reader feeds batches; then the self-play rollout, batched against one plan call per decision
// (bench/selfplay.ts). Siblings come from their built dist (build them first).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, describeBackend } from '@hop/core';
import { collect } from '@hop/env-staghunt';
import { PretrainConfigSchema, type PretrainConfig } from '../src/config/schemas';
import { epochOrder, openTrainingData, readHostBatch } from '../src/data/dataset';
import { buildModels, disposeModels } from '../src/pretrain/models';
import { trainStep } from '../src/pretrain/step';
import { benchSelfPlay } from './selfplay';

const BATCH = 128;
const STEPS = Number(process.env.BENCH_STEPS ?? 30);

async function main(): Promise<void> {
  const info = await initBackend();
  console.log(describeBackend(info));
  const dir = mkdtempSync(join(tmpdir(), 'hop-trainer-bench-'));
  try {
    await collect({ preset: 'hop-msh', population: 'mixed', episodes: 200, seed: 1, out: join(dir, 'data') });
    const data = openTrainingData(join(dir, 'data'), { valFraction: 0.1, seed: 1 });
    console.log(`dataset: ${data.dataset.size} samples of hop-msh (8x8x7), batch ${BATCH}, ${STEPS} timed steps per case`);

    const order = epochOrder(data.train, 1, 1);
    const batches = Math.floor(order.length / BATCH);
    let t0 = performance.now();
    let rows = 0;
    for (let b = 0; b < batches; b++) rows += readHostBatch(data, order.subarray(b * BATCH, (b + 1) * BATCH)).size;
    const readRate = rows / ((performance.now() - t0) / 1000);
    console.log(`read shuffled batches: ${Math.round(readRate)} samples/s`);

    const rate = (over: Partial<PretrainConfig>): number => {
      const config = PretrainConfigSchema.parse({ data: 'x', seed: 1, ...over });
      const m = buildModels(config, data);
      try {
        const batch = (s: number) => readHostBatch(data, order.subarray((s % batches) * BATCH, ((s % batches) + 1) * BATCH));
        for (let s = 0; s < 3; s++) trainStep(m, config, data, batch(s), s); // warm-up (kernels, Adam slots)
        t0 = performance.now();
        for (let s = 3; s < 3 + STEPS; s++) trainStep(m, config, data, batch(s), s);
        return (STEPS * BATCH) / ((performance.now() - t0) / 1000);
      } finally {
        disposeModels(m);
      }
    };
    const base = rate({ goalInput: 'none' });
    console.log(`train step, MOA only (no goal; baseline): ${Math.round(base)} samples/s`);
    for (const [name, over] of [
      ['MOA + true goal', { goalInput: 'true' }],
      ['joint VAE + MOA (vanilla)', { goalInput: 'z', objective: 'joint' }],
      ['joint VAE + MOA (gumbel)', { goalInput: 'z', objective: 'joint', latent: 'gumbel' }],
      ['recon VAE + MOA (vanilla)', { goalInput: 'z', objective: 'recon' }],
    ] as [string, Partial<PretrainConfig>][]) {
      const r = rate(over);
      console.log(`train step, ${name}: ${Math.round(r)} samples/s (${(r / base).toFixed(2)}x the baseline)`);
    }
    data.dataset.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await benchSelfPlay();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { HopError } from '@hop/core';
import { NUM_ACTIONS } from '@hop/env-staghunt';
import { openCheckedDataset } from '../data/dataset';
import { gridBatch, loadVae } from '@hop/vae';
import type { RunDir } from '../run/layout';

/** Rows per goal whose encodings are averaged. */
const ROWS_PER_GOAL = 4096;

/**
 * Latent goal vectors for a MOA pretrained on the VAE's `z` (`--goal-input z`): goal g (stag, hare) is the
 * mean encoding `mu = Enc(o)` of the pretraining rows whose hindsight goal was g (at most 4096 each). Costs
 * one encoder pass over those rows at start; planning then costs what discrete goals cost.
 */
export async function latentGoalVectors(run: RunDir, config: { data?: string; epochs?: number }, numGoals: number): Promise<Float32Array> {
  const epochs = run.completeEpochs();
  const last = epochs[epochs.length - 1];
  const vaeDir = last ? join(run.epochCheckpoint(last), 'vae') : '';
  if (last && existsSync(join(run.epochCheckpoint(last), 'cvae', 'meta.json')))
    throw new HopError(
      'E_PRETRAINED',
      `--goals latent: ${run.root} was pretrained with the subgoal CVAE (--latent cvae), whose z needs the co-player's trajectory so far; ` +
        'the planner\'s latent goals are fixed vectors of a VAE of o_t. Pretrain with --latent vanilla for --goals latent, or use --goal-input true',
    );
  if (!last || !existsSync(join(vaeDir, 'meta.json')))
    throw new HopError('E_PRETRAINED', `--goals latent: ${run.root} has no VAE checkpoint (checkpoints/epoch-N/vae); pretrain with --goal-input z`);
  if (!config.data || !existsSync(join(config.data, 'meta.json')))
    throw new HopError('E_PRETRAINED', `--goals latent: the pretraining dataset ${String(config.data)} of ${run.root} is gone; the latent goals are computed from it`);
  const vae = await loadVae(vaeDir);
  const ds = openCheckedDataset(config.data);
  try {
    const goal = ds.batch(Int32Array.from({ length: ds.size }, (_, k) => k), ['goal']).goal;
    const [h, w, c] = ds.meta.observation.gridShape;
    let dim = 0;
    let out = new Float32Array(0);
    for (let g = 0; g < numGoals; g++) {
      const rows: number[] = [];
      for (let k = 0; k < goal.length && rows.length < ROWS_PER_GOAL; k++) if (goal[k] === g) rows.push(k);
      if (rows.length === 0) throw new HopError('E_PRETRAINED', `--goals latent: the pretraining data has no row pursuing goal ${g}`);
      const obs = ds.batch(Int32Array.from(rows), ['obs']).obs;
      const mean = tf.tidy(() => vae.encode(gridBatch(obs, rows.length, [h, w, c], NUM_ACTIONS), { sample: false }).mu.mean(0));
      const v = mean.dataSync() as Float32Array;
      mean.dispose();
      if (g === 0) {
        dim = v.length;
        out = new Float32Array(numGoals * dim);
      }
      out.set(v, g * dim);
    }
    return out;
  } finally {
    ds.close();
    vae.dispose();
  }
}

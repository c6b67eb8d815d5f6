import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HopError, loadCheckpoint } from '@hop/core';
import { MOA_CHECKPOINT_KIND, saveMOA } from '@hop/moa';
import { CHECKPOINT_KIND, SUBGOAL_CHECKPOINT_KIND } from '@hop/vae';
import { writeDirAtomic } from '../run/layout';
import type { PretrainModels } from './models';

/** Where the loop stands; saved beside the weights in every checkpoint. */
export interface LoopState {
  format: 'hop-pretrain-state';
  version: 1;
  /** Epochs fully trained and validated. */
  epochsDone: number;
  /** Batches of epoch `epochsDone + 1` already trained (0 at an epoch boundary). */
  batch: number;
  /** Optimizer steps so far (the clock of the KL and temperature schedules). */
  step: number;
  /** Seconds of wall time spent in the loop so far (the run clock, run/lifecycle.ts). */
  elapsed: number;
  /** CPU seconds over the same spans; absent in checkpoints written before it was recorded. */
  cpuSeconds?: number;
  /** CPU seconds spent in the current epoch so far: a Ctrl-C checkpoint inside an epoch only (its record reports the whole epoch's). */
  epochCpuSeconds?: number;
  /** Partial sums of the current epoch and of the current logging window. */
  epochMeans: { sums: Record<string, number>; counts: Record<string, number> };
  windowMeans: { sums: Record<string, number>; counts: Record<string, number> };
}

const STATE_FILE = 'state.json';

/**
 * A checkpoint directory: `vae/` (loadVae) or `cvae/` (SubgoalCVAE.load), `moa/` (loadMOA, with the Adam state of the MOA trainer, which
 * under the joint objective also holds the encoder's moments) and `state.json`. Written atomically.
 */
export async function saveTrainingCheckpoint(dir: string, m: PretrainModels, state: LoopState): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    if (m.vae) await m.vae.save(join(tmp, 'vae'), m.vaeOptimizer ? { optimizer: m.vaeOptimizer } : {});
    // The CVAE's Adam moments live in the MOA trainer's optimizer (extra variables), saved with moa/.
    if (m.cvae) await m.cvae.save(join(tmp, 'cvae'));
    await saveMOA(join(tmp, 'moa'), m.moa, { trainer: m.moaTrainer });
    await writeFile(join(tmp, STATE_FILE), JSON.stringify(state, null, 2) + '\n');
  });
}

/** The loop state of a checkpoint. */
export async function readLoopState(dir: string): Promise<LoopState> {
  const statePath = join(dir, STATE_FILE);
  if (!existsSync(statePath))
    throw new HopError('E_RUN_CORRUPT', `${dir} has no ${STATE_FILE}; the checkpoint is incomplete, remove it to resume from the previous one`);
  let state: LoopState;
  try {
    state = JSON.parse(await readFile(statePath, 'utf8')) as LoopState;
  } catch (e) {
    throw new HopError('E_RUN_CORRUPT', `${statePath} is not valid JSON (${(e as Error).message})`);
  }
  if (state.format !== 'hop-pretrain-state')
    throw new HopError('E_RUN_CORRUPT', `${statePath} is not a pretraining state (format ${String(state.format)})`);
  return state;
}

/** Loads weights and optimizer state into models built from the run's config; returns the loop state. */
export async function loadTrainingCheckpoint(dir: string, m: PretrainModels): Promise<LoopState> {
  const state = await readLoopState(dir);
  await loadCheckpoint(join(dir, 'moa'), {
    kind: MOA_CHECKPOINT_KIND,
    models: { moa: m.moa.net },
    optimizers: { moa: m.moaTrainer.optimizer },
  });
  if (m.vae) {
    const meta = await loadCheckpoint(join(dir, 'vae'), {
      kind: CHECKPOINT_KIND[m.vae.kind],
      models: { encoder: m.vae.encoder, decoder: m.vae.decoder },
      ...(m.vaeOptimizer ? { optimizers: { vae: m.vaeOptimizer } } : {}),
    });
    m.vae.restoreExtraState(meta.extra);
  }
  if (m.cvae) {
    const meta = await loadCheckpoint(join(dir, 'cvae'), { kind: SUBGOAL_CHECKPOINT_KIND, models: m.cvae.models });
    m.cvae.restoreExtraState(meta.extra);
  }
  return state;
}

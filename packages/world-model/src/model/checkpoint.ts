import type * as tf from '@tensorflow/tfjs';
import { HopError, loadCheckpoint, readCheckpointMeta, saveCheckpoint, type CheckpointMeta } from '@hop/core';
import { WORLD_MODEL_FORMAT } from '../config';
import { WorldModel } from './world-model';

/** `kind` of world-model checkpoints. */
export const WORLD_MODEL_KIND = 'world-model';

/** Saves the model (and optionally its optimizer) atomically with the core checkpoint format. */
export async function saveWorldModel(
  dir: string,
  model: WorldModel,
  opts: { optimizer?: tf.Optimizer; extra?: Record<string, unknown> } = {},
): Promise<void> {
  await saveCheckpoint(dir, {
    kind: WORLD_MODEL_KIND,
    config: model.config,
    models: { network: model.network },
    ...(opts.optimizer ? { optimizers: { adam: opts.optimizer } } : {}),
    ...(opts.extra ? { extra: opts.extra } : {}),
  });
}

/** Rebuilds a model from a checkpoint's config and loads its weights (the caller disposes it). */
export async function loadWorldModel(dir: string): Promise<{ model: WorldModel; meta: CheckpointMeta }> {
  const meta = await readCheckpointMeta(dir);
  if (meta.kind !== WORLD_MODEL_KIND)
    throw new HopError('E_CHECKPOINT_MISMATCH', `${dir}: this is a '${meta.kind}' checkpoint, expected '${WORLD_MODEL_KIND}'`);
  checkWorldModelFormat(dir, meta.config);
  const model = new WorldModel(meta.config);
  try {
    await loadCheckpoint(dir, { kind: WORLD_MODEL_KIND, models: { network: model.network } });
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, meta };
}

/** Loads weights and optimizer state into an existing model / optimizer (resuming a run). */
export async function restoreWorldModel(dir: string, model: WorldModel, optimizer: tf.Optimizer): Promise<CheckpointMeta> {
  checkWorldModelFormat(dir, (await readCheckpointMeta(dir)).config);
  return loadCheckpoint(dir, { kind: WORLD_MODEL_KIND, models: { network: model.network }, optimizers: { adam: optimizer } });
}

/**
 * Refuses a checkpoint written by another format of this package (format 1 regressed rewards and had a
 * done head: its network has other outputs and its rewards are not exact), saying how to get a current one.
 */
export function checkWorldModelFormat(dir: string, config: unknown): void {
  const format = (config as { format?: unknown } | null)?.format ?? 1;
  if (format === WORLD_MODEL_FORMAT) return;
  throw new HopError(
    'E_WORLD_MODEL_FORMAT',
    `${dir}: world-model checkpoint of format ${String(format)}; this version reads format ${WORLD_MODEL_FORMAT} ` +
      '(format 1 regressed rewards and had a done head; format 2 predicts the hunt outcome and takes rewards and ' +
      'episode ends from the rules). Retrain it: hop collect --explore 0.5 ..., then hop world-model --data <that dataset>',
  );
}

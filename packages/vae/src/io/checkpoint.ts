import type * as tf from '@tensorflow/tfjs';
import { HopError, loadCheckpoint, readCheckpointMeta } from '@hop/core';
import { parseConfig, vaeConfigSchema, type VaeConfig } from '../config';

/** Checkpoint `kind` of each VAE. */
export const CHECKPOINT_KIND = { vanilla: 'hop-vae/vanilla', gumbel: 'hop-vae/gumbel' } as const;
const KIND = CHECKPOINT_KIND;

export type LoadOptions = {
  /** Receives the optimizer state saved with `save(dir, { optimizer })` (build it with the same class). */
  optimizer?: tf.Optimizer;
};

/**
 * What reading a checkpoint needs of a model (`VaeBase` has it): the two networks to load weights into, the
 * sampling state to restore, and disposal on failure. Structural, so this module does not import the model
 * (which imports `CHECKPOINT_KIND` from here).
 */
export interface CheckpointedVae {
  readonly encoder: tf.LayersModel;
  readonly decoder: tf.LayersModel;
  restoreExtraState(extra: Record<string, unknown> | undefined): void;
  dispose(): void;
}

/**
 * Reads a VAE checkpoint: validates its kind and config, builds the model with `build`, loads the
 * weights into it and restores the sampling state. `expected` = undefined accepts either kind.
 */
export async function readVaeCheckpoint<M extends CheckpointedVae>(
  dir: string,
  expected: VaeConfig['kind'] | undefined,
  build: (config: VaeConfig) => M,
  options: LoadOptions = {},
): Promise<M> {
  const meta = await readCheckpointMeta(dir);
  const kind = Object.entries(KIND).find(([, k]) => k === meta.kind)?.[0] as VaeConfig['kind'] | undefined;
  if (!kind || (expected && kind !== expected))
    throw new HopError(
      'E_CHECKPOINT',
      `${dir} holds a '${meta.kind}' checkpoint, expected ${expected ? `'${KIND[expected]}'` : 'a VAE checkpoint'}` +
        (kind ? `; load it with ${kind === 'vanilla' ? 'VanillaVAE' : 'GumbelVAE'}.load or loadVae` : ''),
    );
  const config = parseConfig(vaeConfigSchema, meta.config, `${kind} VAE checkpoint`);
  const model = build(config);
  try {
    await loadCheckpoint(dir, {
      kind: meta.kind,
      models: { encoder: model.encoder, decoder: model.decoder },
      optimizers: options.optimizer ? { vae: options.optimizer } : undefined,
    });
  } catch (e) {
    model.dispose();
    throw e;
  }
  model.restoreExtraState(meta.extra);
  return model;
}

import type * as tf from '@tensorflow/tfjs';
import { HopError, loadCheckpoint, readCheckpointMeta, saveCheckpoint, type CheckpointMeta } from '@hop/core';
import { MOAConfigSchema, TrainConfigSchema, parseConfig, type MOAConfig, type TrainConfig } from '../config';
import { MOAModel } from '../model/moa-model';
import { PairRegistry, pairKey } from '../registry/pair-registry';
import { MOATrainer } from '../train/supervised';

export const MOA_CHECKPOINT_KIND = 'hop-moa';
export const PAIRS_CHECKPOINT_KIND = 'hop-moa-pairs';

interface MOACheckpointConfig {
  moa: MOAConfig;
  train?: TrainConfig;
}

interface PairsCheckpointConfig {
  moa: MOAConfig;
  numAgents: number;
  train: TrainConfig;
  /** The anchor registry's architecture, when the registry was anchored (`anchorTo`). */
  anchorMoa?: MOAConfig;
}

/** Saves one MOA (and, with a trainer, its training config and Adam state) as a core checkpoint. */
export async function saveMOA(
  dir: string,
  model: MOAModel,
  options: { trainer?: MOATrainer; extra?: Record<string, unknown> } = {},
): Promise<void> {
  const { trainer, extra } = options;
  if (trainer && trainer.model !== model)
    throw new HopError('E_CHECKPOINT', 'saveMOA: the trainer given trains another model; pass the trainer of this model');
  const config: MOACheckpointConfig = { moa: model.config, ...(trainer ? { train: savedTrainConfig(trainer.config) } : {}) };
  await saveCheckpoint(dir, {
    kind: MOA_CHECKPOINT_KIND,
    config,
    models: { moa: model.net },
    ...(trainer ? { optimizers: { moa: trainer.optimizer } } : {}),
    ...(extra ? { extra } : {}),
  });
}

/**
 * Loads an MOA saved by `saveMOA`: rebuilds it from the saved config and loads its weights; when the
 * checkpoint holds optimizer state, also a trainer that continues where it stopped (`options.anchor`: the
 * anchor model of a trainer saved with `anchorWeight > 0`).
 */
export async function loadMOA(
  dir: string,
  options: { anchor?: MOAModel } = {},
): Promise<{ model: MOAModel; trainer: MOATrainer | null; meta: CheckpointMeta }> {
  const meta = await readCheckpointMeta(dir);
  const c = meta.config as Partial<MOACheckpointConfig> | null;
  const model = new MOAModel(parseConfig(MOAConfigSchema, c?.moa, `${dir}: saved MOA`));
  let trainer: MOATrainer | null = null;
  try {
    // A trainer saved with anchorWeight > 0 needs its anchor again (options.anchor).
    if (c?.train && meta.optimizers?.includes('moa')) trainer = new MOATrainer(model, parseConfig(TrainConfigSchema, c.train, `${dir}: saved training`), options);
  } catch (e) {
    model.dispose();
    throw e;
  }
  try {
    await loadCheckpoint(dir, {
      kind: MOA_CHECKPOINT_KIND,
      models: { moa: model.net },
      ...(trainer ? { optimizers: { moa: trainer.optimizer } } : {}),
    });
  } catch (e) {
    trainer?.dispose();
    model.dispose();
    throw e;
  }
  return { model, trainer, meta };
}

/**
 * Saves a per-pair registry: the generic model once, then only the pairs that have their own weights
 * (with their Adam state); shared pairs are recorded by name, not copied.
 */
export async function savePairRegistry(dir: string, registry: PairRegistry, extra?: Record<string, unknown>): Promise<void> {
  // The anchor registry (anchorTo) travels with the pairs, so a resumed run or an evaluation trains them alike.
  const anchors = registry.anchors;
  const models = { ...registryNets(registry), ...(anchors ? registryNets(anchors, ANCHOR_PREFIX) : {}) };
  const optimizers: Record<string, tf.Optimizer> = {};
  const owned = registry.ownedKeys();
  for (const [i, j] of registry.pairs()) {
    const t = registry.existingTrainer(i, j); // only pairs with their own weights have one
    if (t) optimizers[pairKey(i, j)] = t.optimizer;
  }
  const config: PairsCheckpointConfig = {
    moa: registry.generic.config,
    numAgents: registry.numAgents,
    train: savedTrainConfig(parseConfig(TrainConfigSchema, registry.trainConfig, 'pair registry training')),
    ...(anchors ? { anchorMoa: anchors.generic.config } : {}),
  };
  await saveCheckpoint(dir, {
    kind: PAIRS_CHECKPOINT_KIND,
    config,
    models,
    ...(Object.keys(optimizers).length ? { optimizers } : {}),
    extra: { ...extra, owned, shared: registry.keys().filter((k) => !owned.includes(k)) },
  });
}

/**
 * The training config as saved: `anchorWeight` only when it is on, so checkpoints without an anchor stay
 * byte-identical to those of earlier versions (whose strict schema would refuse the key).
 */
function savedTrainConfig(c: TrainConfig): TrainConfig {
  if (c.anchorWeight > 0) return c;
  const { anchorWeight: _off, ...rest } = c;
  return rest as TrainConfig;
}

/** Model names of the anchor registry inside a pairs checkpoint. */
const ANCHOR_PREFIX = 'anchor_';

/** The nets of a registry's generic model and own pairs, named `<prefix>generic` and `<prefix>player_i_to_j`. */
function registryNets(registry: PairRegistry, prefix = ''): Record<string, tf.LayersModel> {
  const nets: Record<string, tf.LayersModel> = { [`${prefix}generic`]: registry.generic.net };
  for (const [i, j] of registry.pairs()) if (!registry.isShared(i, j)) nets[`${prefix}${pairKey(i, j)}`] = registry.model(i, j).net;
  return nets;
}

/** Gives every pair the checkpoint saved under `prefix` a fresh model of its own; returns the nets to load into. */
function adoptSaved(registry: PairRegistry, moa: MOAConfig, saved: string[], prefix = ''): Record<string, tf.LayersModel> {
  for (const [i, j] of registry.pairs()) if (saved.includes(`${prefix}${pairKey(i, j)}`)) registry.adopt(i, j, new MOAModel(moa));
  return registryNets(registry, prefix);
}

/** Loads a registry saved by `savePairRegistry`: the generic model, own pairs (and their optimizers), anchors. */
export async function loadPairRegistry(dir: string): Promise<PairRegistry> {
  const meta = await readCheckpointMeta(dir);
  const c = meta.config as Partial<PairsCheckpointConfig> | null;
  const moa = parseConfig(MOAConfigSchema, c?.moa, `${dir}: saved MOA`);
  const train = parseConfig(TrainConfigSchema, c?.train, `${dir}: saved training`);
  const generic = new MOAModel(moa);
  const registry = new PairRegistry(generic, c?.numAgents ?? 0, train);
  try {
    if (meta.models.includes(`${ANCHOR_PREFIX}generic`)) {
      const anchorMoa = parseConfig(MOAConfigSchema, c?.anchorMoa ?? c?.moa, `${dir}: saved anchor MOA`);
      const anchors = new PairRegistry(new MOAModel(anchorMoa), registry.numAgents);
      registry.anchorTo(anchors);
      // Loaded before any trainer exists: a trainer copies its anchor's weights when it is made.
      await loadCheckpoint(dir, { kind: PAIRS_CHECKPOINT_KIND, models: adoptSaved(anchors, anchorMoa, meta.models, ANCHOR_PREFIX) });
    } else if (train.anchorWeight > 0)
      throw new HopError('E_CHECKPOINT', `${dir}: its training has anchorWeight ${train.anchorWeight} but the checkpoint holds no anchor models (anchor_generic)`);
    const models = adoptSaved(registry, moa, meta.models);
    const optimizers: Record<string, tf.Optimizer> = {};
    for (const [i, j] of registry.pairs()) {
      const key = pairKey(i, j);
      if (models[key] && meta.optimizers?.includes(key)) optimizers[key] = registry.trainer(i, j).optimizer;
    }
    await loadCheckpoint(dir, { kind: PAIRS_CHECKPOINT_KIND, models, optimizers });
  } catch (e) {
    registry.dispose();
    generic.dispose();
    throw e;
  }
  return registry;
}

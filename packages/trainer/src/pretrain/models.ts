import * as tf from '@tensorflow/tfjs';
import { HopError, deriveSeed } from '@hop/core';
import { MOAModel, MOATrainer } from '@hop/moa';
import { GumbelVAE, SubgoalCVAE, VanillaVAE, klSchedule, type KlSchedule } from '@hop/vae';
import type { PretrainConfig } from '../config/schemas';
import { actionCounts, goalOneHot, type HostBatch, type TrainingData } from '../data/dataset';
import { TARGET_GOAL_DIM, targetLabelRows } from '../team/target-goals';

/** The networks of a pretraining run and what trains them. */
export interface PretrainModels {
  /** Absent when the MOA's goal input is the true goal or nothing (the bounds need no encoder). */
  vae: VanillaVAE | GumbelVAE | null;
  /** The subgoal CVAE (`--latent cvae` / `cvae-gumbel` with `--goal-input z`); trained by the MOA trainer's Adam. */
  cvae: SubgoalCVAE | null;
  moa: MOAModel;
  /** Adam of the MOA; with the joint objective it also updates the VAE encoder (extra variables). */
  moaTrainer: MOATrainer;
  /** Adam of the VAE under the recon objective (null otherwise). */
  vaeOptimizer: tf.AdamOptimizer | null;
  alpha: KlSchedule;
}

/** Width of the MOA goal input for each goal-input mode. */
export function goalDimOf(config: PretrainConfig, data: TrainingData, latent: { latentSize: number } | null): number {
  if (config.goalInput === 'none') return 0;
  if (config.goalInput === 'true') return data.numGoalClasses;
  if (config.goalInput === 'target') return TARGET_GOAL_DIM;
  return (latent as { latentSize: number }).latentSize;
}

/** True when the run trains the subgoal CVAE. */
export const usesCvae = (config: PretrainConfig): boolean => config.goalInput === 'z' && (config.latent === 'cvae' || config.latent === 'cvae-gumbel');

/** The flat `alpha*` options as one of the VAE package's KL-weight schedules. */
export function alphaScheduleOf(config: PretrainConfig): KlSchedule {
  const end = config.alphaMax;
  const w = config.alphaWarmupSteps;
  if (config.alphaSchedule === 'constant' || w === 0) return klSchedule({ kind: 'constant', value: end });
  switch (config.alphaSchedule) {
    case 'linear':
      return klSchedule({ kind: 'linear', start: 0, end, warmupSteps: w });
    case 'sigmoid':
      // Centred on half the warm-up and steep enough to go from ~0 to ~end over it.
      return klSchedule({ kind: 'sigmoid', start: 0, end, midpoint: w / 2, steepness: 10 / w });
    case 'cyclical':
      return klSchedule({ kind: 'cyclical', start: 0, end, period: w });
  }
}

/** Builds fresh networks from the config (initial weights seeded from config.seed). */
export function buildModels(config: PretrainConfig, data: TrainingData): PretrainModels {
  if (usesCvae(config) && config.objective !== 'joint')
    throw new HopError(
      'E_CONFIG',
      `--objective ${config.objective} does not apply to --latent ${config.latent}: the subgoal CVAE trains on CE + alpha*KL(q||p); ` +
        'use --objective joint (and --cvae-reconstruct to add the subgoal reconstruction)',
    );
  const useVae = config.goalInput === 'z' && !usesCvae(config);
  const vaeCommon = {
    inputShape: data.gridShape,
    filters: config.vaeFilters,
    seed: deriveSeed(config.seed, 'vae'),
  };
  const cvae = usesCvae(config)
    ? new SubgoalCVAE({
        latent: config.latent === 'cvae' ? 'gaussian' : 'gumbel',
        inputShape: data.gridShape,
        numActions: data.numActions,
        embedUnits: config.historyUnits,
        gruUnits: config.historyUnits,
        latentDim: config.latentDim,
        slots: config.latentDim,
        classes: config.gumbelClasses,
        freeBits: config.freeBits,
        reconstruct: config.cvaeReconstruct,
        seed: deriveSeed(config.seed, 'cvae'),
      })
    : null;
  const vae = !useVae
    ? null
    : config.latent === 'vanilla'
      ? new VanillaVAE({ ...vaeCommon, latentDim: config.latentDim })
      : new GumbelVAE({ ...vaeCommon, slots: config.latentDim, classes: config.gumbelClasses });
  const moa = new MOAModel({
    observationShape: data.gridShape,
    numActions: data.numActions,
    goalDim: goalDimOf(config, data, vae ?? cvae),
    maxTime: data.maxTime,
    convFilters: config.moaFilters,
    hiddenUnits: config.moaHidden,
    seed: deriveSeed(config.seed, 'moa'),
  });
  const moaTrainer = new MOATrainer(moa, {
    learningRate: config.lr,
    maxGradNorm: config.gradClipNorm,
    ...(config.classWeights === 'balanced' ? { classWeights: balancedWeights(data) } : {}),
  });
  const vaeOptimizer = vae && config.objective === 'recon' ? tf.train.adam(config.lr) : null;
  return { vae, cvae, moa, moaTrainer, vaeOptimizer, alpha: alphaScheduleOf(config) };
}

/** Class weights `N / (C * count_c)` of the training labels (0 for a class that never occurs). */
function balancedWeights(data: TrainingData): number[] {
  return actionCounts(data, data.train).map((c) => (c > 0 ? data.train.length / (data.numActions * c) : 0));
}

export function disposeModels(m: PretrainModels): void {
  m.moaTrainer.dispose();
  m.vaeOptimizer?.dispose();
  m.moa.dispose();
  m.vae?.dispose();
  m.cvae?.dispose();
}

/** The MOA's goal rows of a batch when its goal input is the hindsight goal (`true`: one-hot; `target`: named by its target). */
export function hindsightGoalRows(config: PretrainConfig, data: TrainingData, batch: HostBatch): Float32Array | undefined {
  if (config.goalInput === 'true') return goalOneHot(batch.goal);
  if (config.goalInput === 'target') return targetLabelRows(data.gridShape, batch.grid, batch.goal);
  return undefined;
}

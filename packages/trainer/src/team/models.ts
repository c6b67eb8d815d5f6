import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HopError, deriveSeed } from '@hop/core';
import type { StagHuntSimulator } from '@hop/env-staghunt';
import { MOAModel, PairRegistry, loadPairRegistry } from '@hop/moa';
import { RunDir } from '../run/layout';
import { focalGoalDim, type FocalGoalsMode } from './focal-goals';
import { discreteGoals, latentGoals, type GoalSetup } from './goals';
import { latentGoalVectors } from './latent-goals';
import { targetGoals } from './target-goals';

/** The settings the networks of a planning team are built from (a hop-family or hop-onestep record has them). */
export interface TeamSettings {
  seed: number;
  env: string;
  policyFilters: number[];
  policyHidden: number;
  moaFilters: number[];
  moaHidden: number;
  moaLr: number;
  /** L2 penalty of online training toward the pretrained pair models (`anchorWeight`); 0 or absent = off. */
  moaAnchor?: number;
  pretrained?: string;
  /** `co-player`: the focal network also reads every agent's goal (`focalGoalDim` wide); default off. */
  focalGoals?: FocalGoalsMode;
}

/** The networks of a self-play run. */
export interface SelfPlayModels {
  /** Focal policy / value network (goal-free unless --focal-goals co-player), shared by every player. */
  policy: MOAModel;
  /** Per-pair co-player models `player_i_to_j` over one generic model. */
  registry: PairRegistry;
  goals: GoalSetup;
  /** Where the co-player models came from. */
  source: Record<string, unknown>;
}

/**
 * The policy / value network of a config (weights seeded from the run seed): goal-free, or with
 * `--focal-goals co-player` conditioned on every agent's goal (`focalGoalDim`).
 */
export function buildPolicy(config: TeamSettings, game: StagHuntSimulator): MOAModel {
  return new MOAModel({
    observationShape: [...game.observationShape],
    numActions: game.numActions,
    goalDim: config.focalGoals === 'co-player' ? focalGoalDim(game.numAgents, game.numGoals) : 0,
    maxTime: game.config.finalTime,
    convFilters: config.policyFilters,
    hiddenUnits: config.policyHidden,
    seed: deriveSeed(config.seed, 'policy'),
  });
}

/**
 * The co-player models: from a pretraining run's per-pair models (`--pretrained`), checked to fit the game and
 * the algorithm's goal mode, or fresh ones.
 */
export async function buildCoPlayers(
  config: TeamSettings & { goals?: 'discrete' | 'latent' },
  game: StagHuntSimulator,
  goalsMode: 'goals' | 'none',
): Promise<{ registry: PairRegistry; goals: GoalSetup; source: Record<string, unknown> }> {
  const trainConfig = { learningRate: config.moaLr, anchorWeight: config.moaAnchor ?? 0 };
  if (trainConfig.anchorWeight > 0 && !config.pretrained)
    throw new HopError('E_CONFIG', `--moa-anchor ${trainConfig.anchorWeight} pulls the co-player models toward pretrained ones: give --pretrained <hop pretrain run>, or --moa-anchor 0`);
  const latent = goalsMode === 'goals' && config.goals === 'latent';
  if (latent && !config.pretrained)
    throw new HopError('E_CONFIG', '--goals latent needs --pretrained <run made with --goal-input z> (the latent goals come from its VAE)');
  if (!config.pretrained) {
    const generic = new MOAModel({
      observationShape: [...game.observationShape],
      numActions: game.numActions,
      goalDim: goalsMode === 'goals' ? game.numGoals : 0,
      maxTime: game.config.finalTime,
      convFilters: config.moaFilters,
      hiddenUnits: config.moaHidden,
      seed: deriveSeed(config.seed, 'co-player'),
    });
    const registry = new PairRegistry(generic, game.numAgents, trainConfig);
    return { registry, goals: discreteGoals(generic.goalDim, game.numGoals, 'the fresh co-player model'), source: { pretrained: null } };
  }
  const run = new RunDir(config.pretrained);
  const file = run.readConfig<{ goalInput?: string; data?: string; epochs?: number }>();
  if (file.command !== 'pretrain')
    throw new HopError('E_PRETRAINED', `--pretrained ${config.pretrained} is a '${file.command}' run; give a run made by \`hop pretrain\``);
  const goalInput = file.config.goalInput;
  const wanted = goalsMode === 'none' ? 'none' : latent ? 'z' : 'true';
  // discrete goals come one-hot (`true`) or named by their target (`target`)
  if (goalInput !== wanted && !(wanted === 'true' && goalInput === 'target'))
    throw new HopError(
      'E_PRETRAINED',
      `--pretrained ${config.pretrained} was made with --goal-input ${goalInput}; this algorithm needs a MOA pretrained with ` +
        `--goal-input ${wanted === 'true' ? 'true or target' : wanted} (${wanted === 'true' ? 'discrete stag / hare goals' : wanted === 'z' ? 'the VAE latent, for --goals latent' : 'no goal input, for direct-om'})`,
    );
  if (!existsSync(join(run.pairsDir, 'meta.json')))
    throw new HopError('E_PRETRAINED', `--pretrained ${config.pretrained} has no per-pair models (pairs/); the pretraining did not finish or ran with --no-pairs`);
  const loaded = await loadPairRegistry(run.pairsDir);
  const g = loaded.generic;
  const shape = g.config.observationShape.join('x');
  const want = game.observationShape.join('x');
  if (shape !== want || g.numActions !== game.numActions || loaded.numAgents !== game.numAgents) {
    loaded.dispose();
    g.dispose();
    throw new HopError(
      'E_PRETRAINED',
      `--pretrained ${config.pretrained}: its MOA sees ${shape} grids, ${g.numActions} actions, ${loaded.numAgents} players; ` +
        `this run's environment (${config.env}) has ${want}, ${game.numActions}, ${game.numAgents}. Pretrain on data of the same preset`,
    );
  }
  // Online training uses this run's learning rate: rebuild the registry over the loaded models.
  const registry = new PairRegistry(g, game.numAgents, trainConfig);
  for (const [i, j] of loaded.pairs()) if (!loaded.isShared(i, j)) registry.adopt(i, j, loaded.model(i, j).clone());
  // --moa-anchor: copies of the pretrained models are the anchors (owned by the registry).
  if (trainConfig.anchorWeight > 0) {
    const anchors = new PairRegistry(g.clone(), game.numAgents);
    for (const [i, j] of loaded.pairs()) if (!loaded.isShared(i, j)) anchors.adopt(i, j, loaded.model(i, j).clone());
    registry.anchorTo(anchors);
  }
  loaded.dispose();
  let goals: GoalSetup;
  try {
    goals = latent
      ? latentGoals(await latentGoalVectors(run, file.config, game.numGoals), game.numGoals)
      : goalInput === 'target'
        ? targetGoals(g.goalDim, game.numGoals, game.observationShape, `the MOA of --pretrained ${config.pretrained}`)
        : discreteGoals(g.goalDim, game.numGoals, `the MOA of --pretrained ${config.pretrained}`);
  } catch (e) {
    registry.dispose();
    g.dispose();
    throw e;
  }
  return { registry, goals, source: { pretrained: run.root, goalInput, goals: goals.mode } };
}

import { resumePPO, trainPPO, type PPOLoopConfig } from '../../ppo/loop';
import { ppoController } from '../../ppo/agent';
import type { LoopAlgorithm } from '../types';
import { PPO_PRESETS, PPOConfigSchema } from './config';

/**
 * `hop train --algo ppo`: independent PPO per player (or one shared network), CleanRL `ppo.py` conventions,
 * on `VecStagHunt` with every agent's forward pass of a step in one call. The loop is `ppo/loop.ts`.
 */
export const ppo: LoopAlgorithm = {
  name: 'ppo',
  summary: 'independent PPO per player (CleanRL conventions; --share-parameters for one network), no opponent modelling',
  schema: PPOConfigSchema,
  presets: PPO_PRESETS,
  loop: 'own',
  train: (config, options) => trainPPO(PPOConfigSchema.parse(config) as PPOLoopConfig, options),
  resume: (runDir, overrides, options) => resumePPO(runDir, PPOConfigSchema, overrides, options),
  controller: (runDir, dir, env) => ppoController(runDir, dir, env),
};

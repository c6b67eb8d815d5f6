import type { Algorithm } from '../types';
import { ppoController, refuseDiagnosis } from './agent';
import { PPO_PRESETS, PPOConfigSchema } from './config';
import { PPO_CHECKPOINT_FILES } from './checkpoint';
import { ppoResumeConfig, resumePPO, trainPPO, type PPOLoopConfig } from './loop';

/**
 * `hop train --algo ppo`: independent PPO per player (or one shared network), CleanRL `ppo.py` conventions,
 * on `VecStagHunt` with every agent's forward pass of a step in one call. The loop is `loop.ts`.
 */
export const ppo: Algorithm = {
  name: 'ppo',
  summary: 'independent PPO per player (CleanRL conventions; --share-parameters for one network), no opponent modelling',
  schema: PPOConfigSchema,
  budgets: PPO_PRESETS,
  train: (config, options) => trainPPO(config as PPOLoopConfig, options),
  checkpointFiles: PPO_CHECKPOINT_FILES,
  resumeConfig: (saved, overrides) => ppoResumeConfig(PPOConfigSchema, saved, overrides),
  resume: (resume, options) => resumePPO(resume, options),
  controller: async (runDir, dir, env, _seed, options) => {
    refuseDiagnosis(runDir, 'ppo', options);
    return ppoController(runDir, dir, env);
  },
};

import { ppoController, refuseDiagnosis } from '../ppo/agent';
import { PPO_PRESETS } from '../ppo/config';
import { PPO_CHECKPOINT_FILES } from '../ppo/checkpoint';
import { ppoResumeConfig, resumePPO, trainPPO, type PPOLoopConfig } from '../ppo/loop';
import type { Algorithm } from '../types';
import { HopOneStepConfigSchema } from './config';
import { oneStepExtension } from './extension';

/**
 * `hop train --algo hop-onestep`: the research notes' replacement for MCTS. No search: the PPO policy of each
 * player is conditioned on what HOP knows of every co-player (the per-pair model's predicted action
 * distribution under the current goal belief, and the belief), trained with the PPO learner; co-player models,
 * beliefs and online buffers as in `hop`.
 */
export const hopOneStep: Algorithm = {
  name: 'hop-onestep',
  summary: 'one-step HOP: PPO policies conditioned on the per-pair models\' predictions under the goal beliefs, no search',
  schema: HopOneStepConfigSchema,
  budgets: PPO_PRESETS,
  train: (config, options) => trainPPO(config as PPOLoopConfig, options, oneStepExtension),
  checkpointFiles: PPO_CHECKPOINT_FILES,
  resumeConfig: (saved, overrides) => ppoResumeConfig(HopOneStepConfigSchema, saved, overrides),
  resume: (resume, options) => resumePPO(resume, options, oneStepExtension),
  controller: async (runDir, dir, env, _seed, options) => {
    refuseDiagnosis(runDir, 'hop-onestep', options);
    return ppoController(runDir, dir, env, oneStepExtension, options.onlineCapacity);
  },
};

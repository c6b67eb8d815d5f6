import type { SelfPlayAlgorithm } from '../types';
import { HopConfigSchema } from './config';

export const hop: SelfPlayAlgorithm = {
  name: 'hop',
  summary: 'HOP+: goal beliefs + goal-conditioned per-pair co-player models, MCTS in the true simulator',
  schema: HopConfigSchema,
  coPlayerGoals: 'goals',
  planning: async () => ({ facts: { simulator: 'true game' }, dispose() {} }),
};

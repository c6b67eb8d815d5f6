import type { SelfPlayAlgorithm } from '../types';
import { DirectOmConfigSchema } from './config';

export const directOm: SelfPlayAlgorithm = {
  name: 'direct-om',
  summary: 'direct opponent modelling: per-pair co-player models without goals, no beliefs, MCTS in the true simulator',
  schema: DirectOmConfigSchema,
  coPlayerGoals: 'none',
  planning: async () => ({ facts: { simulator: 'true game' }, dispose() {} }),
};

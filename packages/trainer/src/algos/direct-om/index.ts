import { hopFamily } from '../hop/family';
import { DirectOmConfigSchema } from './config';

/** `hop train --algo direct-om`: hop's loop with co-player models that take no goal, and no beliefs. */
export const directOm = hopFamily({
  name: 'direct-om',
  summary: 'direct opponent modelling: per-pair co-player models without goals, no beliefs, MCTS in the true simulator',
  schema: DirectOmConfigSchema,
  coPlayerGoals: 'none',
  planning: () => ({ simulator: 'true game' }),
});

import { hopFamily } from '../hop/family';
import { HopWmConfigSchema } from './config';

/** `hop train --algo hop-wm`: hop's loop, its planner searching a `hop world-model` run (planning/world-model.ts). */
export const hopWm = hopFamily({
  name: 'hop-wm',
  summary: 'HOP+ planning inside a learned world model (hop world-model), acting in the true game',
  schema: HopWmConfigSchema,
  coPlayerGoals: 'goals',
  planning: (config) => ({ simulator: 'world model', worldModel: String(config.worldModel) }),
});

import { HopConfigSchema } from './config';
import { hopFamily } from './family';

/** `hop train --algo hop`: HOP+ with MCTS in the true game. The loop is `loop.ts`, read top to bottom. */
export const hop = hopFamily({
  name: 'hop',
  summary: 'HOP+: goal beliefs + goal-conditioned per-pair co-player models, MCTS in the true simulator',
  schema: HopConfigSchema,
  coPlayerGoals: 'goals',
  planning: () => ({ simulator: 'true game' }),
});

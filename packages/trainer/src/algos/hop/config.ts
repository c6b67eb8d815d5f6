import { z } from 'zod';
import { SelfPlayConfigShape } from '../../selfplay/config';

/** `hop train --algo hop`: HOP+ — goal beliefs, goal-conditioned per-pair co-player models, MCTS in the true game. */
export const HopConfigSchema = z.strictObject({
  ...SelfPlayConfigShape,
  algo: z.literal('hop').default('hop'),
});

import { z } from 'zod';
import { SelfPlayConfigShape } from './settings';

/** `hop train --algo hop`: HOP+ — goal beliefs, goal-conditioned per-pair co-player models, MCTS in the true game. */
export const HopConfigSchema = z.strictObject({
  ...SelfPlayConfigShape,
  goals: z
    .enum(['discrete', 'latent'])
    .default('discrete')
    .describe('Co-player goals: discrete stag / hare (MOA pretrained with --goal-input true), or the VAE latent (--goal-input z)'),
  algo: z.literal('hop').default('hop'),
});

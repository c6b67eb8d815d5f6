import { z } from 'zod';
import { SelfPlayConfigShape } from '../hop/settings';

/** `hop train --algo hop-wm`: HOP+ planning inside a learned world model. */
export const HopWmConfigSchema = z.strictObject({
  ...SelfPlayConfigShape,
  goals: z
    .enum(['discrete', 'latent'])
    .default('discrete')
    .describe('Co-player goals: discrete stag / hare (MOA pretrained with --goal-input true), or the VAE latent (--goal-input z)'),
  algo: z.literal('hop-wm').default('hop-wm'),
  worldModel: z.string().min(1).describe('World-model run (hop world-model) whose best checkpoint the planner searches in (hop-wm)'),
});

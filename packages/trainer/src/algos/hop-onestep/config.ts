import { z } from 'zod';
import { SelfPlayConfigShape } from '../hop/settings';
import { PPOConfigShape } from '../ppo/config';

const S = SelfPlayConfigShape;

/**
 * `hop train --algo hop-onestep`: the PPO record plus what HOP keeps of its co-players (per-pair goal-conditioned
 * models, pretrained or fresh, trained online; goal beliefs with the inter-episode prior).
 */
export const HopOneStepConfigSchema = z.strictObject({
  ...PPOConfigShape,
  algo: z.literal('hop-onestep').default('hop-onestep'),
  pretrained: S.pretrained,
  moaFilters: S.moaFilters,
  moaHidden: S.moaHidden,
  onlineMoa: S.onlineMoa,
  moaCapacity: S.moaCapacity,
  moaEpochs: S.moaEpochs,
  moaMinibatch: S.moaMinibatch,
  moaLr: S.moaLr,
  priorAlpha: S.priorAlpha,
});
export type HopOneStepConfig = z.infer<typeof HopOneStepConfigSchema>;

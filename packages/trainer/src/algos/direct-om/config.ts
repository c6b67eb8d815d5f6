import { z } from 'zod';
import { SelfPlayConfigShape } from '../hop/settings';

/** `hop train --algo direct-om`: the paper's ablation — co-player models with no goal input, no beliefs. */
export const DirectOmConfigSchema = z.strictObject({
  ...SelfPlayConfigShape,
  algo: z.literal('direct-om').default('direct-om'),
});

import { z } from 'zod';
import { SelfPlayConfigShape } from '../algos/hop/settings';
import { ALGORITHMS } from '../algos/registry';

const shared: Record<string, z.ZodType> = {
  ...SelfPlayConfigShape,
  goals: z.enum(['discrete', 'latent']).optional().describe('Co-player goals: discrete stag / hare, or the VAE latent (hop, hop-wm; default discrete)'),
  worldModel: z.string().min(1).optional().describe('World-model run whose best checkpoint the planner searches in (hop-wm)'),
};

/** The keys of every algorithm's record that the shared ones above do not cover, as optional flags. */
function algorithmKeys(): Record<string, z.ZodType> {
  const out: Record<string, z.ZodType> = {};
  for (const a of Object.values(ALGORITHMS))
    for (const [key, field] of Object.entries(a.schema.shape as Record<string, z.ZodType>)) {
      if (key === 'algo' || key in shared || key in out) continue;
      out[key] = (field as z.ZodType).optional().describe(`${field.description ?? key} (${a.name})`);
    }
  return out;
}

/**
 * The flags of `hop train`: the shared self-play settings, `--algo`, and every algorithm's own keys. The
 * chosen algorithm's record then validates the merged config (a key of another algorithm is an error there).
 */
export const TrainCliSchema = z.strictObject({
  algo: z.enum(Object.keys(ALGORITHMS) as [string, ...string[]]).default('hop').describe('Self-play algorithm'),
  ...shared,
  ...algorithmKeys(),
});

/** Flags of `hop train` under their old names (config/renames.ts): accepted, hidden from --help, reported as deprecated. */
export const DEPRECATED_TRAIN_FLAGS = ['treeNum', 'simulations', 'preset'] as const;

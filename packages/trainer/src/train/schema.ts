import { z } from 'zod';
import { ALGORITHMS } from '../algos/registry';

/**
 * The flags of every algorithm's record, from the registry: the default algorithm's (hop) as they are, with
 * their defaults in the help; the keys only other algorithms have as optional flags naming their algorithm.
 */
function algorithmKeys(): Record<string, z.ZodType> {
  const [first, ...rest] = Object.values(ALGORITHMS);
  const out: Record<string, z.ZodType> = { ...(first.schema.shape as Record<string, z.ZodType>) };
  delete out.algo;
  for (const a of rest)
    for (const [key, field] of Object.entries(a.schema.shape as Record<string, z.ZodType>)) {
      if (key === 'algo' || key in out) continue;
      out[key] = (field as z.ZodType).optional().describe(`${field.description ?? key} (${a.name})`);
    }
  return out;
}

/**
 * The flags of `hop train`: `--algo` and every algorithm's keys. The
 * chosen algorithm's record then validates the merged config (a key of another algorithm is an error there).
 */
export const TrainCliSchema = z.strictObject({
  algo: z.enum(Object.keys(ALGORITHMS) as [string, ...string[]]).default('hop').describe('Self-play algorithm'),
  ...algorithmKeys(),
});

/** Flags of `hop train` under their old names (config/renames.ts): accepted, hidden from --help, reported as deprecated. */
export const DEPRECATED_TRAIN_FLAGS = ['treeNum', 'simulations', 'preset'] as const;

import type { z } from 'zod';
import type { Algorithm } from '../types';
import { hopController } from './controller';
import { SELF_PLAY_CHECKPOINT_FILES } from './checkpoint';
import { resumeSelfPlay, trainSelfPlay, type HopRunConfig, type HopVariant } from './loop';
import { BUDGET_PRESETS } from './settings';

/**
 * A planning self-play algorithm (hop, and the variants that share its loop: hop-wm, direct-om) as the
 * `Algorithm` contract: its record, the shared budget presets, the loop and the HOP controller for `hop eval`.
 */
export function hopFamily(variant: HopVariant & { summary: string; schema: z.ZodObject }): Algorithm {
  return {
    name: variant.name,
    summary: variant.summary,
    schema: variant.schema,
    budgets: BUDGET_PRESETS,
    train: (config, options) => trainSelfPlay(variant, config as HopRunConfig, options),
    checkpointFiles: SELF_PLAY_CHECKPOINT_FILES,
    resumeConfig: (saved, overrides) =>
      variant.schema.parse({
        ...saved,
        ...(overrides.iterations ? { iterations: overrides.iterations } : {}),
        ...(overrides.progress ? { progress: overrides.progress } : {}),
      }) as Record<string, unknown>,
    resume: (resume, options) => resumeSelfPlay(variant, resume, options),
    controller: (runDir, _dir, env, seed, options) => hopController(runDir, env, seed, options),
  };
}

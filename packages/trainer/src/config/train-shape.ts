import { z } from 'zod';
import { presetNames, type PresetName } from '@hop/env-staghunt';

const int = (min: number) => z.number().int().min(min);

/** The run settings every `hop train` algorithm's record takes (each algorithm places them in its own record). */
export const TrainRunShape = {
  env: z.enum(presetNames as [PresetName, ...PresetName[]]).default('hop-msh').describe('Environment preset'),
  seed: z.number().int().min(0).max(0xffffffff).default(0).describe('Seed of every random stream of the run'),
  out: z.string().min(1).optional().describe('Run directory (default runs/train-<algo>-<time>)'),
  evalEpisodes: int(1).default(32).describe('Episodes of each evaluation'),
  finalEvalEpisodes: int(1).optional().describe('Episodes of the evaluation after the last iteration (default: evalEpisodes)'),
  evalEnvs: int(1).default(16).describe('Environments of each evaluation, in lock-step'),
  checkpointEvery: int(1).default(1).describe('Checkpoint every N iterations'),
  progress: z.enum(['auto', 'bar', 'plain', 'none']).default('auto').describe('Progress display'),
} as const;

import { z } from 'zod';
import { TrainRunShape as S } from '../../config/train-shape';

const int = (min: number) => z.number().int().min(min);

/**
 * The PPO settings, CleanRL `ppo.py`'s `Args` with its defaults (learning rate 2.5e-4 annealed, 128 steps per
 * rollout, GAE lambda 0.95, gamma 0.99, 4 minibatches, 4 epochs, clip 0.2 with value clipping, entropy 0.01,
 * value 0.5, gradient norm 0.5), plus the run settings `hop train` shares. hop-onestep extends this record.
 */
export const PPOConfigShape = {
  budget: z.enum(['none', 'quick', 'msh-2h']).default('none').describe('Budget preset: quick (minutes) or msh-2h (600k env steps, about an hour on a quiet 2-core machine); the config file and flags override it (was --preset)'),
  env: S.env,
  seed: S.seed,
  out: S.out,
  totalTimesteps: int(1).default(500_000).describe('Env steps of the whole run (all envs; an env step moves every player)'),
  numEnvs: int(1).default(16).describe('Environments played in lock-step (every player of every env is an agent-row of one forward pass)'),
  numSteps: int(1).default(128).describe('Steps of each env per rollout (PPO iteration)'),
  learningRate: z.number().positive().default(2.5e-4).describe('Adam learning rate (eps 1e-5)'),
  annealLr: z.boolean().default(true).describe('Anneal the learning rate linearly to 0 over the run'),
  gamma: z.number().min(0).max(1).default(0.99).describe('Discount'),
  gaeLambda: z.number().min(0).max(1).default(0.95).describe('GAE lambda'),
  numMinibatches: int(1).default(4).describe('Minibatches per epoch'),
  updateEpochs: int(1).default(4).describe('Epochs over each rollout'),
  normAdv: z.boolean().default(true).describe('Normalise advantages per minibatch'),
  clipCoef: z.number().positive().default(0.2).describe('Surrogate (and value) clipping coefficient'),
  clipVloss: z.boolean().default(true).describe('Clip the value loss as the policy ratio'),
  entCoef: z.number().min(0).default(0.01).describe('Entropy bonus coefficient'),
  vfCoef: z.number().min(0).default(0.5).describe('Value loss coefficient'),
  maxGradNorm: z.number().positive().default(0.5).describe('Global gradient-norm clip'),
  targetKl: z.number().positive().nullable().default(null).describe('Stop an update early past this approximate KL (default: never)'),
  shareParameters: z.boolean().default(false).describe('One network for all players (default: independent PPO, one network per player)'),
  policyFilters: z.array(z.number().int().positive()).min(1).default([16, 32]).describe('Conv filters of the actor-critic (comma list)'),
  policyHidden: int(1).default(128).describe('Fully connected width of the actor-critic'),
  evalEvery: int(0).default(10).describe('Greedy evaluation on held-out seeds every N iterations (0 = only at the end)'),
  evalEpisodes: S.evalEpisodes,
  finalEvalEpisodes: S.finalEvalEpisodes,
  evalEnvs: S.evalEnvs,
  checkpointEvery: S.checkpointEvery,
  progress: S.progress,
} as const;

/** `hop train --algo ppo`: independent PPO (or parameter-shared), CleanRL conventions. */
export const PPOConfigSchema = z.strictObject({
  ...PPOConfigShape,
  algo: z.literal('ppo').default('ppo'),
});
export type PPOConfig = z.infer<typeof PPOConfigSchema>;

/** Budget presets of PPO (the MCTS presets of `hop` mean nothing here). */
export const PPO_PRESETS: Record<string, Record<string, unknown>> = {
  none: {},
  quick: { totalTimesteps: 40_000, numEnvs: 16, numSteps: 64, evalEvery: 10, evalEpisodes: 32 },
  // Parameter-shared PPO, the setting that reached the reference level (README): independent PPO stayed
  // under 1 at the same budget. 292 iterations of 2,048 env steps, about an hour on a quiet 2-core machine.
  'msh-2h': {
    totalTimesteps: 600_000,
    numEnvs: 32,
    numSteps: 64,
    learningRate: 5e-4,
    shareParameters: true,
    evalEvery: 10,
    evalEpisodes: 100,
    finalEvalEpisodes: 200,
    evalEnvs: 25,
  },
};

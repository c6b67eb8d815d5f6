import { z } from 'zod';
import { POPULATIONS, STAG_WAITS, presetNames, type PresetName } from '@hop/env-staghunt';

/**
 * One validated record per command (CleanRL style): every hyperparameter with its default, in one place.
 * Keys are camelCase in config files and kebab-case as flags (`batchSize` <-> `--batch-size`).
 */

const seed = z.number().int().min(0).max(0xffffffff).default(0).describe('Seed of every random stream of the run');
const preset = z
  .enum(presetNames as [PresetName, ...PresetName[]])
  .default('hop-msh')
  .describe('Environment preset');
const population = z
  .enum(POPULATIONS)
  .default('mixed')
  .describe('Rule-based population (mixed = nearest-stag / nearest-hare drawn per agent and episode)');
const progress = z
  .enum(['auto', 'bar', 'plain', 'none'])
  .default('auto')
  .describe('Progress display: a bar on a terminal, plain lines otherwise (auto), or forced');
/** On by default: the field's habit is `tensorboard --logdir runs/`. */
export const tensorboard = z
  .boolean()
  .default(true)
  .describe('Also write the metrics as TensorBoard scalars (events.out.tfevents.*, step = global_step)');

export const CollectConfigSchema = z.strictObject({
  preset,
  population,
  episodes: z.number().int().positive().default(1000).describe('Episodes to play'),
  stagWait: z
    .enum(STAG_WAITS)
    .default('stay')
    .describe('A stag hunter alone on its stag: stay (wait for a partner, then both hunt) or hunt (repeat 5 while waiting, the data before issue 14)'),
  explore: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe('Share of exploratory actions: per player and step, a uniformly random action (invalid ones act as stay) instead of the population\'s; world-model data wants ~0.5'),
  seed,
  out: z.string().min(1).describe('Dataset directory to write (.npy columns + meta.json)'),
  force: z.boolean().default(false).describe('Replace a dataset already in --out (the new one is written beside it and swapped in when complete)'),
  progress,
});
export type CollectConfig = z.infer<typeof CollectConfigSchema>;

export const PretrainConfigSchema = z.strictObject({
  data: z.string().min(1).describe('Dataset directory written by `hop collect`'),
  out: z.string().min(1).optional().describe('Run directory (default runs/pretrain-<objective>-<latent>-<time>)'),
  seed,
  epochs: z.number().int().positive().default(10).describe('Passes over the training split'),
  batchSize: z.number().int().positive().default(128).describe('Minibatch size'),
  lr: z.number().positive().default(5e-4).describe('Adam learning rate'),
  gradClipNorm: z.number().positive().default(1).describe('Global gradient-norm clip'),
  objective: z
    .enum(['joint', 'recon'])
    .default('joint')
    .describe('joint: CE + alpha*KL trains VAE and MOA together; recon: VAE on recon + alpha*KL, MOA on CE with z detached'),
  latent: z
    .enum(['vanilla', 'gumbel', 'cvae', 'cvae-gumbel'])
    .default('vanilla')
    .describe(
      'Goal latent: a VAE of o_t, continuous (vanilla) or discrete (gumbel); or the subgoal CVAE (prior from a GRU over the ' +
        "co-player's earlier steps, posterior also sees the hindsight subgoal), continuous (cvae) or discrete (cvae-gumbel)",
    ),
  latentDim: z.number().int().positive().default(16).describe('Latent size (vanilla, cvae) or number of goal slots (gumbel, cvae-gumbel)'),
  gumbelClasses: z.number().int().min(2).default(4).describe('Classes per goal slot of the gumbel latents'),
  freeBits: z.number().min(0).default(0).describe('KL floor of the subgoal CVAE in nats per latent dim or slot (free bits; 0 = off)'),
  cvaeReconstruct: z.boolean().default(false).describe('The subgoal CVAE also decodes z back to the subgoal observation (adds its squared error to the loss)'),
  historyUnits: z.number().int().positive().default(64).describe('GRU state width of the subgoal CVAE (its step embedding has the same width)'),
  klWarn: z.number().min(0).default(0.01).describe('The run and its report warn when the validation KL of a latent falls under this (a collapsed latent)'),
  goalInput: z
    .enum(['z', 'true', 'target', 'none'])
    .default('z')
    .describe(
      'MOA goal input: the VAE latent z, the true hindsight goal one-hot (upper bound), the true goal named by its target ' +
        '(one-hot + the moves toward the nearest prey of that type and its distance), or nothing (lower bound)',
    ),
  alphaSchedule: z.enum(['constant', 'linear', 'sigmoid', 'cyclical']).default('linear').describe('KL weight schedule'),
  alphaMax: z.number().min(0).default(0.1).describe('KL weight after warm-up'),
  alphaWarmupSteps: z.number().int().min(0).default(2000).describe('Steps of the KL warm-up (period of cyclical)'),
  classWeights: z.enum(['none', 'balanced']).default('none').describe('Cross-entropy class weights'),
  moaFilters: z.array(z.number().int().positive()).min(1).default([16, 32, 32]).describe('MOA conv filters (comma list)'),
  moaHidden: z.number().int().positive().default(512).describe('MOA fully connected width'),
  vaeFilters: z.array(z.number().int().positive()).min(1).default([16, 32]).describe('VAE encoder conv filters (comma list)'),
  valFraction: z.number().gt(0).lt(1).default(0.1).describe('Fraction of episodes held out for validation'),
  evalBatchSize: z.number().int().positive().default(1024).describe('Batch size of validation passes'),
  logEvery: z.number().int().positive().default(50).describe('Training steps between train-metric records'),
  pairs: z.boolean().default(true).describe('Write the per-pair models player_i_to_j at the end'),
  progress,
  tensorboard,
});
export type PretrainConfig = z.infer<typeof PretrainConfigSchema>;

export const WorldModelCliSchema = z.strictObject({
  data: z.string().min(1).describe('Dataset directory written by `hop collect` (needs next_obs and joint_action)'),
  out: z.string().min(1).optional().describe('Run directory (default runs/wm-<arch>-<time>)'),
  seed,
  epochs: z.number().int().positive().default(30).describe('Passes over the training split'),
  batchSize: z.number().int().positive().default(128).describe('Minibatch size'),
  lr: z.number().positive().default(2e-3).describe('Adam learning rate (cosine decay to lr * minLrFactor)'),
  minLrFactor: z.number().min(0).max(1).default(0.02).describe('Final learning rate as a fraction of lr'),
  gradClipNorm: z.number().min(0).default(0).describe('Global gradient-norm clip (0 = off)'),
  arch: z.enum(['direct', 'latent']).default('direct').describe('Direct conv net, or encoder -> dynamics -> decoder'),
  filters: z.number().int().positive().default(64).describe('Direct model: filters of its three trunk convolutions (3x3, 1x1, 1x1)'),
  actionPlanes: z.boolean().default(true).describe('Give the network each player\'s one-hot action on its own cell (--no-action-planes: only as a global bias)'),
  channelWeights: z.array(z.number().min(0)).optional().describe('Per-channel reconstruction weights (comma list; default 2 for players, 1 else)'),
  valFraction: z.number().gt(0).lt(1).default(0.1).describe('Fraction of episodes held out for validation'),
  onPolicyData: z
    .boolean()
    .default(false)
    .describe('Accept a dataset without exploratory actions (hop collect --explore): the model then learns only the population\'s actions, not what a planner tries'),
  offPolicyEpisodes: z
    .number()
    .int()
    .min(0)
    .default(200)
    .describe('Fresh episodes of the true game, random legal actions and uniformly random ones, on which the trained model is checked after training (0 = skip)'),
  progress,
  tensorboard,
});
export type WorldModelCliConfig = z.infer<typeof WorldModelCliSchema>;

/** `hop compare`'s flags (its run directories are arguments). */
export const CompareCliSchema = z.strictObject({
  out: z.string().min(1).optional().describe('Output HTML file (default compare.html)'),
  evaluation: z.string().min(1).optional().describe('An evaluation.json written by hop eval, for the tables'),
  progress,
});

export const DemoConfigSchema = z.strictObject({
  out: z.string().min(1).default('runs/demo').describe('Directory for the demo dataset and run'),
  preset,
  population,
  episodes: z.number().int().positive().default(800).describe('Episodes to collect'),
  epochs: z.number().int().positive().default(4).describe('Pretraining epochs'),
  train: z.boolean().default(true).describe('Also pretrain a true-goal MOA and run `hop train --preset quick` (about 15 more minutes)'),
  seed,
  progress,
});
export type DemoConfig = z.infer<typeof DemoConfigSchema>;

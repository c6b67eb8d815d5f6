import { z } from 'zod';
import { HopError } from '@hop/core';

const posInt = z.number().int().positive();

/**
 * The MOA network, `pi(a | o, t, g)` and `V(o, t, g)`. Every default is here; nothing about any
 * particular game: the observation is any `[H, W, C]` grid (conv trunk) or flat `[D]` vector (MLP trunk).
 */
export const MOAConfigSchema = z
  .object({
    /** `[H, W, C]` (channels last, conv trunk) or `[D]` (flat vector, MLP trunk). */
    observationShape: z.array(posInt).min(1).max(3),
    /** Size of the policy head. */
    numActions: posInt,
    /** Goal input width: one-hot discrete goals or a latent vector. 0 = no goal input (unconditioned MOA). */
    goalDim: z.number().int().nonnegative(),
    /** Time steps are divided by this before entering the network (e.g. the episode length). */
    maxTime: z.number().positive(),
    /** Conv trunk: filters of the 'same'-padded convs, each followed by ReLU. */
    convFilters: z.array(posInt).min(1).default([16, 32, 32]),
    kernelSize: posInt.default(3),
    /** MLP trunk (flat observations): hidden layer widths. */
    mlpUnits: z.array(posInt).default([256]),
    /** The FC layer after concatenating trunk features, time and goal. */
    hiddenUnits: posInt.default(512),
    /** Also feed the action mask into the FC layer (the original work's flat `[mask, grid]` input did). */
    maskAsInput: z.boolean().default(false),
    /** Seed of the weight initialisers: same seed, same initial weights. */
    seed: z.number().int().default(0),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.observationShape.length === 2)
      ctx.addIssue({
        code: 'custom',
        path: ['observationShape'],
        message: 'observationShape must be [H, W, C] or [D]; give a 2-D grid a channel axis: [H, W, 1]',
      });
  });

export type MOAConfig = z.infer<typeof MOAConfigSchema>;
export type MOAConfigInput = z.input<typeof MOAConfigSchema>;

/** Supervised training of the MOA (offline pretraining and the online buffer both use it). */
export const TrainConfigSchema = z
  .object({
    learningRate: z.number().positive().default(5e-4),
    /** Clip the global gradient norm (over the MOA and any extra variables) to this. */
    maxGradNorm: z.number().positive().default(5),
    /** Per-action loss weights (length numActions); CE is the weighted mean, as in PyTorch. */
    classWeights: z.array(z.number().nonnegative()).optional(),
    /** Weight of the value head's MSE when a batch carries return targets. */
    valueCoef: z.number().nonnegative().default(0.5),
    adamBeta1: z.number().min(0).max(1).default(0.9),
    adamBeta2: z.number().min(0).max(1).default(0.999),
    adamEpsilon: z.number().positive().default(1e-8),
    /**
     * L2-SP: adds `anchorWeight * sum((w - w0)^2)` over the model's trainable weights, `w0` the anchor weights
     * given to the trainer (a per-pair registry's `anchorTo`): online training that keeps what pretraining
     * learnt (e.g. how a goal decides the moves). 0 = off.
     */
    anchorWeight: z.number().nonnegative().default(0),
  })
  .strict();

export type TrainConfig = z.infer<typeof TrainConfigSchema>;
export type TrainConfigInput = z.input<typeof TrainConfigSchema>;

/** The online MOA buffer (docs/models.md). */
export const OnlineBufferConfigSchema = z
  .object({
    /** Train when the buffer holds at least this many labelled steps, then clear it. */
    capacity: posInt.default(1000),
    epochs: posInt.default(15),
    minibatch: posInt.default(512),
    /** Drop the steps after a co-player's last achievement (they have no hindsight goal). */
    dropAfterLastAchievement: z.boolean().default(true),
    /** Drop every step of an episode in which the co-player achieved nothing. */
    dropEpisodesWithoutAchievement: z.boolean().default(true),
    /** Label of steps that are kept without a goal achieved later (only used when a drop option is off). */
    noneGoal: z.number().int().nonnegative().optional(),
    seed: z.number().int().default(0),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((!c.dropAfterLastAchievement || !c.dropEpisodesWithoutAchievement) && c.noneGoal === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['noneGoal'],
        message: 'steps without a later achievement are kept, so they need a label: set noneGoal (a goal index)',
      });
  });

export type OnlineBufferConfig = z.infer<typeof OnlineBufferConfigSchema>;
export type OnlineBufferConfigInput = z.input<typeof OnlineBufferConfigSchema>;

/** Parses a config with a schema; a bad key or value is a HopError naming it. */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(input);
  if (!r.success) {
    const issues = r.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    throw new HopError('E_CONFIG', `invalid ${what} config: ${issues}`);
  }
  return r.data as z.infer<S>;
}

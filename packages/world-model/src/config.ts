import { z } from 'zod';
import { HopError } from '@hop/core';
import { gridLayoutSchema } from './layout';

/** A convolution of the direct model's trunk: `kernel` 3 sees the 8-neighbourhood, 1 mixes features per cell. */
const convLayerSchema = z.object({
  filters: z.number().int().min(1),
  kernel: z.number().int().min(1).refine((k) => k % 2 === 1, 'kernel sizes must be odd (same padding)'),
});

/**
 * Everything that defines a world-model run, with its defaults in one place (CleanRL style).
 * `layout` may be left out when training from a dataset: it is taken from the data.
 */
/**
 * Checkpoint format of the model this package builds. Format 1 (before issue 18) regressed the reward and
 * had a done head; format 2 predicts the hunt outcome and leaves rewards and ends to the rules. A format-1
 * checkpoint is refused with `E_WORLD_MODEL_FORMAT` (its network has other outputs).
 */
export const WORLD_MODEL_FORMAT = 2;

export const worldModelConfigSchema = z.object({
  /** Checkpoint format (set by this version; see WORLD_MODEL_FORMAT). */
  format: z.literal(WORLD_MODEL_FORMAT).default(WORLD_MODEL_FORMAT),
  /** `direct`: conv net from `o_t` + action planes to `o_{t+1}`; `latent`: encoder -> dynamics(z, a) -> decoder. */
  arch: z.enum(['direct', 'latent']).default('direct'),
  layout: gridLayoutSchema.optional(),
  seed: z.number().int().default(0),

  direct: z
    .object({
      /**
       * Trunk convolutions. The first one sees the grid plus a constant plane (so the border is visible)
       * and receives the joint action and time as a per-filter bias, i.e. broadcast action planes.
       */
      layers: z.array(convLayerSchema).min(1).default([
        { filters: 64, kernel: 3 },
        { filters: 64, kernel: 1 },
        { filters: 64, kernel: 1 },
      ]),
    })
    .prefault({}),
  latent: z
    .object({
      encoderFilters: z.number().int().min(1).default(32),
      latentDim: z.number().int().min(1).default(128),
      dynamicsUnits: z.number().int().min(1).default(256),
      decoderFilters: z.number().int().min(1).default(32),
    })
    .prefault({}),
  /**
   * Also give the network each player's one-hot action drawn on that player's own cell (`players * actions`
   * planes): a move is then a local pattern a 3x3 convolution reads directly, instead of a product of a
   * global action bias with the player's cell that the trunk must learn (much faster to learn, exact on
   * actions the data rarely holds).
   */
  actionPlanes: z.boolean().default(true),
  /** Units of the hunt-outcome head's hidden layer. */
  headUnits: z.number().int().min(1).default(64),
  /** Predict `o_{t+1} - o_t` (a residual) rather than `o_{t+1}`: most cells do not change. */
  residual: z.boolean().default(true),

  /** Per-channel weights of the reconstruction loss; default 2 for player channels, 1 elsewhere. */
  channelWeights: z.array(z.number().nonnegative()).optional(),
  /** Weight of the hunt-outcome cross-entropy (none / caught prey k) in the loss. */
  outcomeWeight: z.number().nonnegative().default(1),
  /** Time enters the network as `t * timeScale`. */
  timeScale: z.number().positive().default(0.02),
  /**
   * Episode length for the planning adapter (a state at this time is terminal). Default: one more than
   * the largest time step in the training data.
   */
  finalTime: z.number().int().min(1).optional(),

  epochs: z.number().int().min(1).default(30),
  batchSize: z.number().int().min(1).default(128),
  learningRate: z.number().positive().default(2e-3),
  /** Cosine decay of the learning rate to `learningRate * minLrFactor` over the run (1 = constant). */
  minLrFactor: z.number().min(0).max(1).default(0.02),
  /** Clip the global gradient norm (0 = off). */
  gradClipNorm: z.number().min(0).default(0),
  evalBatchSize: z.number().int().min(1).default(1024),
  /** Validation samples drawn as predicted-vs-true pictures each epoch. */
  pictureSamples: z.number().int().min(0).default(3),
  /** Points of the reward scatter plot. */
  scatterPoints: z.number().int().min(0).default(2000),
});

export type WorldModelConfig = z.infer<typeof worldModelConfigSchema>;
export type WorldModelConfigInput = z.input<typeof worldModelConfigSchema>;

/** Validates a config (defaults filled in); errors name every bad field. */
export function parseWorldModelConfig(input: unknown): WorldModelConfig {
  const r = worldModelConfigSchema.safeParse(input ?? {});
  if (!r.success) {
    const what = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new HopError('E_CONFIG', `invalid world-model config: ${what}`);
  }
  const c = r.data;
  if (c.layout && c.channelWeights && c.channelWeights.length !== c.layout.channels)
    throw new HopError(
      'E_CONFIG',
      `channelWeights has ${c.channelWeights.length} entries but the grid has ${c.layout.channels} channels`,
    );
  return c;
}

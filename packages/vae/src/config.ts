import { z } from 'zod';
import { HopError } from '@hop/core';
import { klScheduleSchema, temperatureScheduleSchema } from './schedule/schemas';

const posInt = z.number().int().positive();

/**
 * Fields both VAEs share. Every default is visible here; `inputShape` is the only required field.
 * `inputShape` is `[H, W, C]` (channels-last grid) for the CNN encoder, or any shape for the MLP encoder
 * (flattened first; `[D]` for flat vectors).
 */
const baseShape = {
  inputShape: z.array(posInt).min(1).max(3),
  /** `cnn` needs `inputShape = [H, W, C]`; `mlp` takes any shape and flattens it. */
  encoder: z.enum(['cnn', 'mlp']).default('cnn'),
  /** Conv layers of the encoder (3x3, stride 1, `same` padding); the decoder mirrors them in reverse. */
  filters: z.array(posInt).min(1).default([16, 32]),
  kernelSize: posInt.default(3),
  /** Dense layers after the conv trunk (encoder) and before the reshape (decoder, reversed). */
  hidden: z.array(posInt).default([128]),
  activation: z.enum(['relu', 'elu', 'tanh']).default('relu'),
  /**
   * How many x2 up-sampling stages the conv decoder uses: H and W must be divisible by 2^n.
   * `auto` takes the largest n <= 2 that fits (8x8 -> 2, 4x4 -> 2, 6x6 -> 1, 5x7 -> 0).
   */
  decoderUpsamples: z.union([z.literal('auto'), z.number().int().min(0).max(4)]).default('auto'),
  /** `transpose`: strided conv2dTranspose; `nearest`: upSampling2d then a 3x3 conv. */
  upsampling: z.enum(['transpose', 'nearest']).default('transpose'),
  /** `sigmoid` bounds reconstructions to (0, 1) (binary grids); `linear` for arbitrary values. */
  outputActivation: z.enum(['linear', 'sigmoid']).default('linear'),
  /** Seeds weight initialisation and the model's own sampling stream. */
  seed: z.number().int().default(0),
};

export const vanillaVaeConfigSchema = z.object({
  kind: z.literal('vanilla').default('vanilla'),
  ...baseShape,
  /** Continuous latent size: `z` is `[batch, latentDim]`. */
  latentDim: posInt.default(16),
});

export const gumbelVaeConfigSchema = z.object({
  kind: z.literal('gumbel').default('gumbel'),
  ...baseShape,
  /** Goal slots; each is a categorical over `classes`. `z` is `[batch, slots * classes]` (one-hot blocks). */
  slots: posInt.default(1),
  classes: z.number().int().min(2).default(4),
  /**
   * `batch` batch-normalises the logits. Without it the first, input-independent gradients push every
   * sample's logits to the same saturated class within a few dozen steps (the softmax gradient then
   * vanishes and the code never carries information); normalising across the batch removes that common
   * push and scales the small input-dependent differences up. Batch statistics in training (`losses`),
   * moving averages in `encode` (train with batches of 16 or more). `none` for the plain linear head.
   */
  logitNorm: z.enum(['batch', 'none']).default('batch'),
  /** Forward pass uses the hard one-hot sample, backward the soft relaxation (Jang et al. 2017). */
  straightThrough: z.boolean().default(false),
  /** Gumbel-softmax temperature as a function of the training step. */
  temperature: temperatureScheduleSchema.prefault({ kind: 'exponential' }),
});

/** Either VAE's config, tagged by `kind` (what checkpoints store). */
export const vaeConfigSchema = z.discriminatedUnion('kind', [
  vanillaVaeConfigSchema.extend({ kind: z.literal('vanilla') }),
  gumbelVaeConfigSchema.extend({ kind: z.literal('gumbel') }),
]);

/** The classic objective `recon + alpha * KL` (the original work's VAE pre-training mode). */
export const vaeTrainConfigSchema = z.object({
  learningRate: z.number().positive().default(1e-3),
  /** Global gradient-norm clip; `null` turns clipping off. */
  clipNorm: z.number().positive().nullable().default(10),
  /** KL weight `alpha` over steps (the original work's `omg_vae_alpha`). */
  klWeight: klScheduleSchema.prefault({ kind: 'linear' }),
  /** Seeds the trainer's noise stream (eps / Gumbel noise). */
  seed: z.number().int().default(0),
});

export type VanillaVaeConfig = z.output<typeof vanillaVaeConfigSchema>;
export type VanillaVaeConfigInput = z.input<typeof vanillaVaeConfigSchema>;
export type GumbelVaeConfig = z.output<typeof gumbelVaeConfigSchema>;
export type GumbelVaeConfigInput = z.input<typeof gumbelVaeConfigSchema>;
export type VaeConfig = VanillaVaeConfig | GumbelVaeConfig;
export type VaeTrainConfig = z.output<typeof vaeTrainConfigSchema>;
export type VaeTrainConfigInput = z.input<typeof vaeTrainConfigSchema>;

/** Parses with a schema; a bad value becomes a HopError listing every offending field. */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new HopError('E_CONFIG', `invalid ${what} config: ${issues}`);
}

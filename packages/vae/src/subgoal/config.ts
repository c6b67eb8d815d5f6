import { z } from 'zod';
import { temperatureScheduleSchema } from '../schedule/schemas';

const posInt = z.number().int().positive();

/**
 * The subgoal CVAE (docs/models.md, after OMG): a GRU over a co-player's earlier steps gives `h_t`; the prior
 * `p(z | o_t, h_t)` and the posterior `q(z | o_t, h_t, s_g)` are small MLP heads. Every default is visible here;
 * `inputShape` and `numActions` are required.
 */
export const subgoalCvaeConfigSchema = z.object({
  /** `gaussian`: `z` in R^latentDim; `gumbel`: `slots` categorical goal slots of `classes` each (one-hot blocks). */
  latent: z.enum(['gaussian', 'gumbel']).default('gaussian'),
  /** Shape of one observation (flattened by the step embedding). */
  inputShape: z.array(posInt).min(1).max(3),
  /** Width of the one-hot action the history reads beside each observation. */
  numActions: posInt,
  /** Step embedding: flatten, then one dense layer of this width (shared by history, `o_t` and `s_g`). */
  embedUnits: posInt.default(64),
  /** GRU state width (`h_t`). */
  gruUnits: posInt.default(64),
  /** Hidden width of the prior, posterior and decoder MLPs. */
  hidden: posInt.default(128),
  activation: z.enum(['relu', 'elu', 'tanh']).default('relu'),
  latentDim: posInt.default(16),
  slots: posInt.default(1),
  classes: z.number().int().min(2).default(4),
  /** Gumbel: hard one-hot forward, soft gradient backward. */
  straightThrough: z.boolean().default(false),
  /** Gumbel-softmax temperature of posterior samples as a function of the training step. */
  temperature: temperatureScheduleSchema.prefault({ kind: 'exponential' }),
  /**
   * Free bits (Kingma et al. 2016): the KL term of the loss is `sum_d max(freeBits, mean_batch KL_d)` over latent
   * dims (gaussian) or slots (gumbel), in nats, so the optimiser gains nothing by pushing the KL under the floor
   * and the latent cannot collapse silently. 0 turns it off.
   */
  freeBits: z.number().min(0).default(0),
  /** Also decode `z` back to the subgoal observation (`recon = ||s_g - dec(z)||^2`, summed per row). */
  reconstruct: z.boolean().default(false),
  /** Seeds weight initialisation and the model's own noise stream. */
  seed: z.number().int().default(0),
});

export type SubgoalCvaeConfig = z.output<typeof subgoalCvaeConfigSchema>;
export type SubgoalCvaeConfigInput = z.input<typeof subgoalCvaeConfigSchema>;

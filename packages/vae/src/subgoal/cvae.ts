import * as tf from '@tensorflow/tfjs';
import { HopError, Rng, loadCheckpoint, readCheckpointMeta, saveCheckpoint } from '@hop/core';
import { parseConfig } from '../config';
import { sumSquaredError } from '../loss/kl';
import { gumbelNoise, gumbelSoftmax, hardOneHot, normalNoise, reparameterize, restoredRng } from '../model/sampling';
import { temperatureAt } from '../schedule/schedules';
import type { LoadOptions } from '../io/checkpoint';
import type { SaveOptions } from '../model/types';
import { sequenceIndex, type SubgoalBatch } from './batch';
import { subgoalCvaeConfigSchema, type SubgoalCvaeConfig, type SubgoalCvaeConfigInput } from './config';
import { categoricalKlPerSlot, freeBitsKl, gaussianKlPerDim } from './kl';
import { buildSubgoalNetworks, latentSizeOf, type SubgoalNetworks } from './networks';

/**
 * Row selection as a one-hot matrix `[indices.length, from]` (an index >= from selects nothing: a zero row).
 * A matMul rather than tf.gather, whose gradient (UnsortedSegmentSum) the wasm backend lacks.
 */
function selection(indices: Int32Array, from: number): tf.Tensor2D {
  const m = new Float32Array(indices.length * from);
  for (let i = 0; i < indices.length; i++) if (indices[i] < from) m[i * from + indices[i]] = 1;
  return tf.tensor2d(m, [indices.length, from]);
}

export const SUBGOAL_CHECKPOINT_KIND = 'hop-vae/subgoal-cvae';

/** tf.tidy for records with optional or null members (tidy keeps every tensor reachable from the result). */
const tidy = <T>(fn: () => T): T => tf.tidy(fn as () => tf.TensorContainer) as T;

export interface SubgoalSampleOptions {
  /** Draw `z` (default true); false gives the mean (gaussian) or the argmax one-hot (gumbel). */
  sample?: boolean;
  /** A fresh `new Rng(seed)` for this call; takes precedence over `rng`. Default: the model's own stream. */
  seed?: number;
  rng?: Rng;
  /** Gumbel-softmax temperature of posterior samples (default: the schedule at step 0). */
  temperature?: number;
}

/** A distribution over `z` for each row: gaussian `mu` / `logVar`, or gumbel `logits` `[rows, slots * classes]`. */
export interface SubgoalLatent {
  z: tf.Tensor2D;
  mu?: tf.Tensor2D;
  logVar?: tf.Tensor2D;
  logits?: tf.Tensor2D;
}

/** `SubgoalCVAE.inspect`: the prior sampled and at its mean, the posterior's mean, and the loss terms at it. */
export interface SubgoalInspection {
  prior: SubgoalLatent;
  priorMean: SubgoalLatent;
  posteriorMean: SubgoalLatent;
  losses: SubgoalLosses;
}

export interface SubgoalLosses {
  /** A posterior sample `z ~ q(z | o_t, h_t, s_g)`, differentiable w.r.t. every network. */
  z: tf.Tensor2D;
  /** `mean_rows sum_d KL(q || p)`: the KL as it is (what to report). */
  kl: tf.Scalar;
  /** The KL term of the loss: `sum_d max(freeBits, mean_rows KL_d)`. */
  klLoss: tf.Scalar;
  /** `mean_rows KL_d` per latent dim (gaussian) or slot (gumbel). */
  klPerDim: tf.Tensor1D;
  /** `||s_g - dec(z)||^2` per row, averaged (null without `reconstruct`). */
  recon: tf.Scalar | null;
}

/**
 * The notes' subgoal model (docs/models.md, after OMG): a conditional VAE whose prior `p(z | o_t, h_t)` reads a
 * GRU encoding `h_t` of the co-player's earlier steps in the episode, and whose posterior `q(z | o_t, h_t, s_g)`
 * also sees a hindsight subgoal observation `s_g`. Train with `CE(pi(a | o, t, z ~ q)) + alpha * klLoss`
 * (`losses`); at inference `z` comes from `prior` only. A latent of `o_t` alone cannot tell a policy of `o_t`
 * anything new; the history and the subgoal can.
 */
export class SubgoalCVAE {
  readonly config: SubgoalCvaeConfig;
  readonly latentSize: number;
  readonly networks: SubgoalNetworks;
  private rng: Rng;
  private disposed = false;

  constructor(config: SubgoalCvaeConfigInput) {
    this.config = parseConfig(subgoalCvaeConfigSchema, config, 'SubgoalCVAE');
    this.latentSize = latentSizeOf(this.config);
    this.networks = buildSubgoalNetworks(this.config);
    this.rng = new Rng(this.config.seed);
  }

  get models(): Record<string, tf.LayersModel> {
    const { embed, history, prior, posterior, decoder } = this.networks;
    return { embed, history, prior, posterior, ...(decoder ? { decoder } : {}) };
  }

  get trainableVariables(): tf.Variable[] {
    return Object.values(this.models).flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
  }

  /** The posterior's Gumbel temperature at a training step (gumbel latent; 1 for gaussian). */
  temperatureAt(step: number): number {
    return this.config.latent === 'gumbel' ? temperatureAt(this.config.temperature, step) : 1;
  }

  /** Inference: `z` from the prior `p(z | o_t, h_t)` (sampled by default). */
  prior(batch: SubgoalBatch, options: SubgoalSampleOptions = {}): SubgoalLatent {
    const rng = this.streamOf(options);
    return tidy(() => {
      const ctx = this.context(batch);
      return this.sampleHead(this.networks.prior, tf.concat([ctx.now, ctx.h], 1), rng, options.sample ?? true, null);
    });
  }

  /** `z` from the posterior (needs `batch.subgoal`); for analysis and training. */
  posterior(batch: SubgoalBatch, options: SubgoalSampleOptions = {}): SubgoalLatent {
    const rng = this.streamOf(options);
    return tidy(() => {
      const ctx = this.context(batch);
      return this.sampleHead(this.networks.posterior, this.posteriorInput(batch, ctx), rng, options.sample ?? true, options.temperature ?? this.temperatureAt(0));
    });
  }

  /** The training terms: a posterior sample for the policy, the KL to the prior (with free bits) and the optional reconstruction. */
  losses(batch: SubgoalBatch, options: SubgoalSampleOptions = {}): SubgoalLosses {
    const rng = this.streamOf(options);
    return tidy(() => this.lossesOf(batch, this.context(batch), rng, options));
  }

  /**
   * What a validation pass reads from one batch, with the embedding and the history GRU run once instead of
   * once per call: `prior(batch, options)` (sampled), the prior's and the posterior's means, and
   * `losses(batch, { sample: false })`. The same values as those four calls.
   */
  inspect(batch: SubgoalBatch, options: Pick<SubgoalSampleOptions, 'seed' | 'rng'> = {}): SubgoalInspection {
    const rng = this.streamOf(options);
    return tidy(() => {
      const ctx = this.context(batch);
      const priorInput = tf.concat([ctx.now, ctx.h], 1) as tf.Tensor2D;
      return {
        prior: this.sampleHead(this.networks.prior, priorInput, rng, true, null),
        priorMean: this.sampleHead(this.networks.prior, priorInput, rng, false, null),
        posteriorMean: this.sampleHead(this.networks.posterior, this.posteriorInput(batch, ctx), rng, false, this.temperatureAt(0)),
        losses: this.lossesOf(batch, ctx, rng, { sample: false }),
      };
    });
  }

  private lossesOf(batch: SubgoalBatch, ctx: { now: tf.Tensor2D; h: tf.Tensor2D }, rng: Rng, options: SubgoalSampleOptions): SubgoalLosses {
    const q = this.sampleHead(this.networks.posterior, this.posteriorInput(batch, ctx), rng, options.sample ?? true, options.temperature ?? this.temperatureAt(0));
    const p = this.params(this.networks.prior, tf.concat([ctx.now, ctx.h], 1));
    const c = this.config;
    const perDim =
      c.latent === 'gaussian'
        ? gaussianKlPerDim(q.mu as tf.Tensor, q.logVar as tf.Tensor, p.mu as tf.Tensor, p.logVar as tf.Tensor)
        : categoricalKlPerSlot(
            (q.logits as tf.Tensor).reshape([-1, c.slots, c.classes]) as tf.Tensor3D,
            (p.logits as tf.Tensor).reshape([-1, c.slots, c.classes]) as tf.Tensor3D,
          );
    const klPerDim = tf.mean(perDim, 0) as tf.Tensor1D;
    const kl = tf.sum(klPerDim) as tf.Scalar;
    const klLoss = freeBitsKl(perDim, c.freeBits);
    let recon: tf.Scalar | null = null;
    if (this.networks.decoder) {
      const target = tf.matMul(this.subgoalIndex(batch), batch.obs.reshape([batch.obs.shape[0], -1]));
      recon = sumSquaredError(target, this.networks.decoder.apply(q.z) as tf.Tensor);
    }
    return { z: q.z, kl, klLoss, klPerDim, recon };
  }

  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    this.checkAlive();
    await saveCheckpoint(dir, {
      kind: SUBGOAL_CHECKPOINT_KIND,
      config: this.config,
      models: this.models,
      optimizers: options.optimizer ? { cvae: options.optimizer } : undefined,
      extra: { rngState: this.rng.getState(), ...options.extra },
    });
  }

  /** Loads a checkpoint written by `save`: rebuilds from its config, loads the weights and the noise stream. */
  static async load(dir: string, options: LoadOptions = {}): Promise<SubgoalCVAE> {
    const meta = await readCheckpointMeta(dir);
    if (meta.kind !== SUBGOAL_CHECKPOINT_KIND)
      throw new HopError('E_CHECKPOINT', `${dir} holds a '${meta.kind}' checkpoint, expected '${SUBGOAL_CHECKPOINT_KIND}' (a SubgoalCVAE)`);
    const model = new SubgoalCVAE(parseConfig(subgoalCvaeConfigSchema, meta.config, 'SubgoalCVAE checkpoint'));
    try {
      await loadCheckpoint(dir, { kind: meta.kind, models: model.models, optimizers: options.optimizer ? { cvae: options.optimizer } : undefined });
    } catch (e) {
      model.dispose();
      throw e;
    }
    model.restoreExtraState(meta.extra);
    return model;
  }

  /** Restores the noise stream saved with the weights. */
  restoreExtraState(extra: Record<string, unknown> | undefined): void {
    this.rng = restoredRng(extra, this.config.seed, this.rng);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const m of Object.values(this.models)) m.dispose();
  }

  /** Embedding of `o_t` and the GRU state `h_t` before each row. */
  private context(batch: SubgoalBatch): { now: tf.Tensor2D; h: tf.Tensor2D } {
    this.checkAlive();
    const c = this.config;
    const shape = batch.obs.shape.slice(1);
    if (shape.length !== c.inputShape.length || shape.some((d, i) => d !== c.inputShape[i]))
      throw new HopError('E_SHAPE', `subgoal batch: obs has shape [${batch.obs.shape.join(', ')}], expected [rows, ${c.inputShape.join(', ')}]`);
    const idx = sequenceIndex(batch, c.numActions);
    const cells = batch.numSequences * batch.steps;
    const now = this.networks.embed.apply(batch.obs) as tf.Tensor2D;
    const steps = tf.concat([tf.matMul(selection(idx.rowAt, idx.rows), now), tf.tensor2d(idx.actionOneHot, [cells, c.numActions])], 1);
    const out = this.networks.history.apply(steps.reshape([batch.numSequences, batch.steps, c.embedUnits + c.numActions])) as tf.Tensor3D;
    return { now, h: tf.matMul(selection(idx.historyAt, cells), out.reshape([cells, c.gruUnits])) };
  }

  private subgoalIndex(batch: SubgoalBatch): tf.Tensor2D {
    if (!batch.subgoal)
      throw new HopError('E_INPUT', 'subgoal batch: the posterior needs `subgoal` (the row of each row\'s hindsight subgoal observation)');
    return selection(batch.subgoal, batch.subgoal.length);
  }

  private posteriorInput(batch: SubgoalBatch, ctx: { now: tf.Tensor2D; h: tf.Tensor2D }): tf.Tensor2D {
    return tf.concat([ctx.now, ctx.h, tf.matMul(this.subgoalIndex(batch), ctx.now)], 1) as tf.Tensor2D;
  }

  private params(net: tf.LayersModel, input: tf.Tensor2D): Omit<SubgoalLatent, 'z'> {
    const out = net.apply(input);
    if (this.config.latent === 'gaussian') {
      const [mu, logVar] = out as tf.Tensor2D[];
      return { mu, logVar };
    }
    return { logits: out as tf.Tensor2D };
  }

  /** Gaussian: `mu + sigma * eps` / `mu`. Gumbel: a Gumbel-softmax sample at `temperature` (posterior), a hard Gumbel-max draw (prior, `temperature` null), or the argmax. */
  private sampleHead(net: tf.LayersModel, input: tf.Tensor2D, rng: Rng, sample: boolean, temperature: number | null): SubgoalLatent {
    const p = this.params(net, input);
    const c = this.config;
    if (c.latent === 'gaussian') {
      const mu = p.mu as tf.Tensor2D;
      const z = sample ? (reparameterize(mu, p.logVar as tf.Tensor2D, normalNoise(rng, mu.shape)) as tf.Tensor2D) : mu.clone();
      return { ...p, z };
    }
    const logits = (p.logits as tf.Tensor2D).reshape([-1, c.slots, c.classes]);
    let z: tf.Tensor;
    if (!sample) z = hardOneHot(logits);
    else if (temperature === null) z = hardOneHot(tf.add(logits, gumbelNoise(rng, logits.shape)));
    else z = gumbelSoftmax(logits, gumbelNoise(rng, logits.shape), temperature, c.straightThrough);
    return { ...p, z: z.reshape([-1, this.latentSize]) as tf.Tensor2D };
  }

  private streamOf(options: SubgoalSampleOptions): Rng {
    this.checkAlive();
    if (options.seed !== undefined) return new Rng(options.seed);
    return options.rng ?? this.rng;
  }

  private checkAlive(): void {
    if (this.disposed) throw new HopError('E_DISPOSED', 'this SubgoalCVAE was disposed; build or load a new one');
  }
}

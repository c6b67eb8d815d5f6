import * as tf from '@tensorflow/tfjs';
import { HopError, Rng, assertShape, saveCheckpoint, warnIfBackendNotInitialised } from '@hop/core';
import { sumSquaredError } from '../loss/kl';
import { CHECKPOINT_KIND } from '../io/checkpoint';
import { buildDecoder, buildEncoder, type HeadSpec } from './networks';
import { restoredRng } from './sampling';
import type { VaeConfig } from '../config';
import type {
  EncodeOptions,
  EncodeOutput,
  GoalEncoder,
  LatentLosses,
  LossOptions,
  SaveOptions,
  VaeLosses,
} from './types';

const variablesOf = (m: tf.LayersModel) => m.trainableWeights.map((w) => w.read() as tf.Variable);

/** What VanillaVAE and GumbelVAE share: the two networks, input checks, decoding, losses, save. */
export abstract class VaeBase<C extends VaeConfig> implements GoalEncoder {
  readonly config: C;
  readonly encoder: tf.LayersModel;
  readonly decoder: tf.LayersModel;
  readonly latentSize: number;
  /** The model's own noise stream, used when a call names neither `seed` nor `rng`. */
  protected rng: Rng;
  private disposed = false;

  protected constructor(config: C, heads: HeadSpec[], latentSize: number) {
    this.config = config;
    this.latentSize = latentSize;
    warnIfBackendNotInitialised(new.target.name);
    this.rng = new Rng(config.seed);
    this.encoder = buildEncoder(config, heads);
    try {
      this.decoder = buildDecoder(config, latentSize);
    } catch (e) {
      this.encoder.dispose();
      throw e;
    }
  }

  get kind(): C['kind'] {
    return this.config.kind;
  }

  get inputShape(): readonly number[] {
    return this.config.inputShape;
  }

  get encoderVariables(): tf.Variable[] {
    return variablesOf(this.encoder);
  }

  get decoderVariables(): tf.Variable[] {
    return variablesOf(this.decoder);
  }

  get trainableVariables(): tf.Variable[] {
    return [...this.encoderVariables, ...this.decoderVariables];
  }

  abstract encode(x: tf.Tensor, options?: EncodeOptions): EncodeOutput;
  abstract latentLosses(x: tf.Tensor, options?: EncodeOptions): LatentLosses;

  decode(z: tf.Tensor): tf.Tensor {
    this.checkAlive();
    assertShape('z', z.shape, [null, this.latentSize]);
    return this.decoder.apply(z) as tf.Tensor;
  }

  losses(x: tf.Tensor, options: LossOptions = {}): VaeLosses {
    const alpha = options.alpha ?? 1;
    return tf.tidy(() => {
      const latent = this.latentLosses(x, options);
      const reconstruction = this.decode(latent.z);
      const recon = sumSquaredError(x, reconstruction);
      const loss = tf.add(recon, tf.mul(latent.kl, alpha)) as tf.Scalar;
      return { ...latent, recon, loss, reconstruction };
    });
  }

  /** Deterministic reconstruction: `decode(encode(x, { sample: false }).z)`. */
  reconstruct(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.decode(this.encode(x, { sample: false }).z));
  }

  /** Writes a core checkpoint: config, encoder, decoder (and optimizer), plus the sampling stream's state. */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    this.checkAlive();
    await saveCheckpoint(dir, {
      kind: CHECKPOINT_KIND[this.config.kind],
      config: this.config,
      models: { encoder: this.encoder, decoder: this.decoder },
      optimizers: options.optimizer ? { vae: options.optimizer } : undefined,
      extra: { ...this.extraState(), ...options.extra },
    });
  }

  /** Model state beyond the weights that a checkpoint keeps. */
  protected extraState(): Record<string, unknown> {
    return { rngState: this.rng.getState() };
  }

  /** Restores what `extraState` saved. */
  restoreExtraState(extra: Record<string, unknown> | undefined): void {
    this.rng = restoredRng(extra, this.config.seed, this.rng);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.encoder.dispose();
    this.decoder.dispose();
  }

  /** Checks `x` is a batch `[batch, ...inputShape]` and returns the noise stream for this call. */
  protected prepare(x: tf.Tensor, options: EncodeOptions): Rng {
    this.checkAlive();
    if (!(x instanceof tf.Tensor))
      throw new HopError('E_INPUT', 'VAE input must be a tf.Tensor of shape [batch, ...inputShape]');
    if (x.rank === this.config.inputShape.length)
      throw new HopError(
        'E_SHAPE',
        `VAE input has shape [${x.shape.join(', ')}], which lacks the batch dimension; ` +
          `pass [batch, ${this.config.inputShape.join(', ')}] (x.expandDims(0) for one sample)`,
      );
    assertShape('VAE input', x.shape, [null, ...this.config.inputShape]);
    if (options.seed !== undefined) return new Rng(options.seed);
    return options.rng ?? this.rng;
  }

  protected checkAlive(): void {
    if (this.disposed) throw new HopError('E_DISPOSED', 'this VAE was disposed; build or load a new one');
  }
}

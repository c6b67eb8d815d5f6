import * as tf from '@tensorflow/tfjs';
import { parseConfig, vanillaVaeConfigSchema, type VanillaVaeConfig, type VanillaVaeConfigInput } from '../config';
import { gaussianKl } from '../loss/kl';
import { readVaeCheckpoint, type LoadOptions } from '../io/checkpoint';
import { VaeBase } from './base';
import { normalNoise, reparameterize } from './sampling';
import type { EncodeOptions, EncodeOutput, LatentLosses } from './types';

/**
 * Continuous VAE (the original work's `VanillaVAE`): `(mu, logVar) = Enc(o)`, `z = mu + exp(logVar / 2) * eps` with
 * eps from the core's seeded Rng, a decoder back to the observation shape, KL to `N(0, I)`.
 */
export class VanillaVAE extends VaeBase<VanillaVaeConfig> {
  constructor(config: VanillaVaeConfigInput) {
    const c = parseConfig(vanillaVaeConfigSchema, config, 'VanillaVAE');
    super(
      c,
      [
        { name: 'enc_mu', units: c.latentDim },
        { name: 'enc_logvar', units: c.latentDim },
      ],
      c.latentDim,
    );
  }

  encode(x: tf.Tensor, options: EncodeOptions = {}): EncodeOutput {
    const rng = this.prepare(x, options);
    return tf.tidy(() => {
      const [mu, logVar] = this.encoder.apply(x, { training: options.training ?? false }) as tf.Tensor2D[];
      const z =
        options.sample === false ? mu.clone() : (reparameterize(mu, logVar, normalNoise(rng, mu.shape)) as tf.Tensor2D);
      return { mu, logVar, z };
    });
  }

  latentLosses(x: tf.Tensor, options: EncodeOptions = {}): LatentLosses {
    return tf.tidy(() => {
      const e = this.encode(x, { ...options, training: options.training ?? true });
      return { ...e, kl: gaussianKl(e.mu, e.logVar) };
    });
  }

  /** Loads a checkpoint written by `save`: rebuilds from its config, then loads the weights. */
  static async load(dir: string, options: LoadOptions = {}): Promise<VanillaVAE> {
    return readVaeCheckpoint(dir, 'vanilla', (c) => new VanillaVAE(c as VanillaVaeConfig), options);
  }
}

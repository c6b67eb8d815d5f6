import * as tf from '@tensorflow/tfjs';
import { HopError } from '@hop/core';
import { gumbelVaeConfigSchema, parseConfig, type GumbelVaeConfig, type GumbelVaeConfigInput } from '../config';
import { categoricalUniformKl } from '../loss/kl';
import { readVaeCheckpoint, type LoadOptions } from '../io/checkpoint';
import { temperatureAt } from '../schedule/schedules';
import { VaeBase } from './base';
import { gumbelNoise, gumbelSoftmax, hardOneHot } from './sampling';
import type { EncodeOptions, EncodeOutput, LatentLosses } from './types';

/**
 * Discrete-goal VAE: each of `slots` goal slots is a categorical over `classes`, sampled with
 * Gumbel-softmax at a scheduled temperature (optionally straight-through), KL to the uniform categorical.
 * `z` is `[batch, slots * classes]`; in deterministic mode it is the argmax one-hot per slot.
 */
export class GumbelVAE extends VaeBase<GumbelVaeConfig> {
  /** Temperature used when a call does not pass one; `setStep` moves it along the schedule. */
  temperature: number;

  constructor(config: GumbelVaeConfigInput) {
    const c = parseConfig(gumbelVaeConfigSchema, config, 'GumbelVAE');
    super(
      c,
      [{ name: 'enc_logits', units: c.slots * c.classes, batchNorm: c.logitNorm === 'batch' }],
      c.slots * c.classes,
    );
    this.temperature = temperatureAt(c.temperature, 0);
  }

  /** The schedule's temperature at `step`. */
  temperatureAt(step: number): number {
    return temperatureAt(this.config.temperature, step);
  }

  /** Sets `temperature` to the schedule's value at `step`. */
  setStep(step: number): void {
    this.temperature = this.temperatureAt(step);
  }

  encode(x: tf.Tensor, options: EncodeOptions = {}): EncodeOutput {
    const rng = this.prepare(x, options);
    const tau = options.temperature ?? this.temperature;
    if (!(tau > 0 && Number.isFinite(tau)))
      throw new HopError('E_TEMPERATURE', `Gumbel-softmax temperature must be a finite number > 0, got ${tau}`);
    const { slots, classes } = this.config;
    return tf.tidy(() => {
      const raw = this.encoder.apply(x, { training: options.training ?? false }) as tf.Tensor2D;
      const batch = raw.shape[0];
      const logp = tf.logSoftmax(raw.reshape([batch, slots, classes]));
      const probs = tf.exp(logp);
      const z3 =
        options.sample === false
          ? hardOneHot(logp)
          : gumbelSoftmax(logp, gumbelNoise(rng, logp.shape), tau, this.config.straightThrough);
      const flat = (t: tf.Tensor) => t.reshape([batch, slots * classes]) as tf.Tensor2D;
      // Var of a one-hot component is p (1 - p); the floor keeps log finite for saturated classes.
      const logVar = tf.log(tf.add(tf.mul(probs, tf.sub(1, probs)), 1e-12));
      return { mu: flat(probs), logVar: flat(logVar), z: flat(z3), logits: flat(logp) };
    });
  }

  latentLosses(x: tf.Tensor, options: EncodeOptions = {}): LatentLosses {
    const { slots, classes } = this.config;
    return tf.tidy(() => {
      const e = this.encode(x, { ...options, training: options.training ?? true });
      const logp = (e.logits as tf.Tensor2D).reshape([-1, slots, classes]) as tf.Tensor3D;
      return { ...e, kl: categoricalUniformKl(logp) };
    });
  }

  protected override extraState(): Record<string, unknown> {
    return { ...super.extraState(), temperature: this.temperature };
  }

  override restoreExtraState(extra: Record<string, unknown> | undefined): void {
    super.restoreExtraState(extra);
    if (typeof extra?.temperature === 'number') this.temperature = extra.temperature;
  }

  static async load(dir: string, options: LoadOptions = {}): Promise<GumbelVAE> {
    return readVaeCheckpoint(dir, 'gumbel', (c) => new GumbelVAE(c as GumbelVaeConfig), options);
  }
}

import * as tf from '@tensorflow/tfjs';
import { HopError, Rng, clipByGlobalNorm, globalNorm, readCheckpointMeta } from '@hop/core';
import { parseConfig, vaeTrainConfigSchema, type VaeTrainConfig, type VaeTrainConfigInput } from '../config';
import { GumbelVAE } from '../model/gumbel';
import { loadVae } from '../io/load';
import { klWeight } from '../schedule/schedules';
import type { EncodeOptions, GoalEncoder } from '../model/types';

export type ClassicStepOptions = Omit<EncodeOptions, 'sample' | 'training'> & {
  /** KL weight in `recon + alpha * kl`. */
  alpha: number;
  /** Global gradient-norm clip; null or undefined = no clipping. */
  clipNorm?: number | null;
};

/** Loss parts of one step, as numbers. `gradNorm` is the global norm before clipping. */
export type ClassicStepResult = { loss: number; recon: number; kl: number; gradNorm: number };

/**
 * One optimizer step on the classic objective `recon + alpha * KL` over all VAE weights, with global
 * gradient-norm clipping. Leaves no tensors behind.
 */
export function trainStepClassic(
  vae: GoalEncoder,
  optimizer: tf.Optimizer,
  x: tf.Tensor,
  options: ClassicStepOptions,
): ClassicStepResult {
  const vars = vae.trainableVariables;
  const { alpha, clipNorm, ...encode } = options;
  // variableGrads disposes everything f made except its result, so the parts are kept and freed below.
  let parts: tf.Tensor[] = [];
  const summary = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const l = vae.losses(x, { ...encode, alpha });
      parts = [tf.keep(l.recon), tf.keep(l.kl)];
      return l.loss;
    }, vars);
    const list = vars.map((v) => grads[v.name]);
    let norm: tf.Scalar;
    let applied: tf.Tensor[];
    if (clipNorm == null) {
      norm = globalNorm(list);
      applied = list;
    } else {
      ({ grads: applied, norm } = clipByGlobalNorm(list, clipNorm));
    }
    optimizer.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: applied[i] })));
    return tf.stack([value, parts[0], parts[1], norm]);
  });
  const [loss, recon, kl, gradNorm] = summary.dataSync();
  summary.dispose();
  tf.dispose(parts);
  return { loss, recon, kl, gradNorm };
}

export type ClassicTrainerStep = ClassicStepResult & {
  /** The step this result belongs to (0-based). */
  step: number;
  alpha: number;
  /** GumbelVAE only: the temperature used. */
  temperature?: number;
};

/**
 * Classic VAE pre-training: Adam, the KL weight schedule and (for GumbelVAE) the temperature schedule
 * advanced once per `trainStep`, noise from the trainer's own seeded stream.
 */
export class ClassicVaeTrainer {
  readonly config: VaeTrainConfig;
  readonly optimizer: tf.Optimizer;
  readonly vae: GoalEncoder;
  /** Steps taken so far (the schedules' clock). */
  step = 0;
  private rng: Rng;

  /** `optimizer` defaults to Adam at `config.learningRate`. */
  constructor(vae: GoalEncoder, config: VaeTrainConfigInput = {}, optimizer?: tf.Optimizer) {
    this.vae = vae;
    this.config = parseConfig(vaeTrainConfigSchema, config, 'VAE trainer');
    this.optimizer = optimizer ?? tf.train.adam(this.config.learningRate);
    this.rng = new Rng(this.config.seed);
  }

  /** Saves the VAE with the Adam state, the step and the noise stream, so `resume` continues exactly. */
  async save(dir: string): Promise<void> {
    await this.vae.save(dir, {
      optimizer: this.optimizer,
      extra: { trainer: { config: this.config, step: this.step, rngState: this.rng.getState() } },
    });
  }

  /** Loads a checkpoint written by `save` (VAE, optimizer, step, noise stream). */
  static async resume(dir: string): Promise<ClassicVaeTrainer> {
    const saved = (await readCheckpointMeta(dir)).extra?.trainer as
      | { config: unknown; step: number; rngState: number[] }
      | undefined;
    if (!saved) throw new HopError('E_CHECKPOINT', `${dir} holds a VAE without trainer state; use loadVae instead`);
    const config = parseConfig(vaeTrainConfigSchema, saved.config, 'VAE trainer checkpoint');
    const optimizer = tf.train.adam(config.learningRate);
    const vae = await loadVae(dir, { optimizer });
    const trainer = new ClassicVaeTrainer(vae, config, optimizer);
    trainer.step = saved.step;
    trainer.rng = Rng.fromState(saved.rngState, config.seed);
    return trainer;
  }

  /** The KL weight the next step will use. */
  get alpha(): number {
    return klWeight(this.config.klWeight, this.step);
  }

  trainStep(x: tf.Tensor): ClassicTrainerStep {
    const step = this.step;
    const alpha = this.alpha;
    let temperature: number | undefined;
    if (this.vae instanceof GumbelVAE) {
      this.vae.setStep(step);
      temperature = this.vae.temperature;
    }
    const r = trainStepClassic(this.vae, this.optimizer, x, {
      alpha,
      clipNorm: this.config.clipNorm,
      rng: this.rng,
      temperature,
    });
    this.step++;
    return { ...r, step, alpha, ...(temperature === undefined ? {} : { temperature }) };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

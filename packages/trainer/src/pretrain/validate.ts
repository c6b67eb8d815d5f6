import * as tf from '@tensorflow/tfjs';
import { ACTION_NAMES } from '@hop/env-staghunt';
import { MetricsAccumulator, type Evaluation } from '@hop/moa';
import type { PretrainConfig } from '../config/schemas';
import { sliceHostBatch, type HostBatch, type TrainingData } from '../data/dataset';
import { hindsightGoalRows, type PretrainModels } from './models';

export interface Validation {
  evaluation: Evaluation;
  /** Mean KL of the encoder on the validation set (null without a VAE). */
  kl: number | null;
  /** Mean reconstruction error (recon objective only). */
  recon: number | null;
}

/**
 * Evaluates the MOA on the validation set with the deterministic latent (`z = mu`, or the argmax one-hot
 * of the Gumbel VAE): top-1 / top-3, cross-entropy, per-class table, confusion matrix.
 */
export function validate(m: PretrainModels, config: PretrainConfig, data: TrainingData, val: HostBatch): Validation {
  const acc = new MetricsAccumulator(data.numActions, { labels: [...ACTION_NAMES] });
  let klSum = 0;
  let reconSum = 0;
  const bs = config.evalBatchSize;
  for (let from = 0; from < val.size; from += bs) {
    const b = sliceHostBatch(val, from, Math.min(bs, val.size - from), data);
    const out = tf.tidy(() => {
      const x = tf.tensor(b.grid, [b.size, ...data.gridShape], 'float32');
      let goal: tf.Tensor | Float32Array | undefined;
      const parts: tf.Tensor[] = [];
      if (m.vae) {
        const latent = m.vae.latentLosses(x, { sample: false, training: false });
        goal = latent.z;
        parts.push(latent.kl.mul(b.size));
        if (config.objective === 'recon') parts.push(m.vae.losses(x, { sample: false }).recon.mul(b.size));
      } else {
        goal = hindsightGoalRows(config, data, b);
      }
      const probs = m.moa.probs({ obs: x, mask: b.mask, time: b.time, goal });
      // Always a tensor (empty without a VAE), so tf.tidy can return the pair.
      return { probs, sums: parts.length ? tf.stack(parts) : tf.zeros([0]) };
    });
    acc.add(out.probs.dataSync(), b.action);
    const s = out.sums.dataSync();
    if (s.length > 0) klSum += s[0];
    if (s.length > 1) reconSum += s[1];
    out.probs.dispose();
    out.sums.dispose();
  }
  return {
    evaluation: acc.result(),
    kl: m.vae ? klSum / val.size : null,
    recon: m.vae && config.objective === 'recon' ? reconSum / val.size : null,
  };
}

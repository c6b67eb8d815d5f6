import * as tf from '@tensorflow/tfjs';
import { HopError, deriveSeed } from '@hop/core';
import { GumbelVAE, klWeight, trainStepClassic, type LatentLosses, type SubgoalLosses } from '@hop/vae';
import type { PretrainConfig } from '../config/schemas';
import type { HostBatch, TrainingData } from '../data/dataset';
import type { SequenceBatchLayout } from '../data/trajectories';
import { hindsightGoalRows, type PretrainModels } from './models';

/** Loss parts of one training step (numbers). */
export interface StepMetrics {
  /** Masked cross-entropy of the MOA. */
  policy: number;
  /** KL of the VAE latent (null without a VAE). */
  kl: number | null;
  /** Reconstruction error (recon objective, or the subgoal CVAE with reconstruction). */
  recon: number | null;
  /** The objective the VAE's update minimised: CE + alpha*KL (joint) or recon + alpha*KL (recon). */
  total: number;
  gradNorm: number;
  alpha: number;
  temperature: number | null;
}

/**
 * One optimizer step. The noise of the step (eps / Gumbel) is drawn from a seed derived from the run seed
 * and the global step, so the step is a pure function of the weights, the batch and the step number:
 * what makes a resumed run identical to an uninterrupted one.
 */
export function trainStep(
  m: PretrainModels,
  config: PretrainConfig,
  data: TrainingData,
  batch: HostBatch,
  step: number,
  layout?: SequenceBatchLayout,
): StepMetrics {
  const alpha = klWeight(m.alpha, step);
  const seed = deriveSeed(config.seed, 'noise', step);
  if (m.cvae) {
    if (!layout) throw new Error('trainStep: the subgoal CVAE trains on batches of whole trajectories (give their layout)');
    return cvaeStep(m, data, batch, layout, alpha, seed, step);
  }
  const temperature = m.vae instanceof GumbelVAE ? m.vae.temperatureAt(step) : null;
  const encodeOptions = { seed, ...(temperature === null ? {} : { temperature }) };
  const x = tf.tensor(batch.grid, [batch.size, ...data.gridShape], 'float32');
  try {
    const labels = { obs: x, mask: batch.mask, time: batch.time, action: batch.action };

    if (m.vae === null) {
      const goal = hindsightGoalRows(config, data, batch);
      const r = m.moaTrainer.step({ ...labels, goal });
      return { policy: r.ce, kl: null, recon: null, total: r.loss, gradNorm: r.gradNorm, alpha, temperature };
    }

    const vae = m.vae;
    if (config.objective === 'joint') {
      // z comes from the encoder inside the MOA's tape: CE + alpha*KL trains encoder and MOA together.
      let latent: LatentLosses | null = null;
      const r = m.moaTrainer.step(
        {
          ...labels,
          goal: () => {
            latent = vae.latentLosses(x, encodeOptions);
            return latent.z;
          },
        },
        {
          extraLoss: () => {
            const kl = (latent as LatentLosses | null)?.kl;
            if (!kl) throw new Error('joint step: the goal function did not run before the extra loss');
            return { loss: kl.mul(alpha) as tf.Scalar, parts: { kl } };
          },
          extraVariables: vae.encoderVariables,
        },
      );
      return { policy: r.ce, kl: r.parts.kl, recon: null, total: r.loss, gradNorm: r.gradNorm, alpha, temperature };
    }

    // recon: the MOA learns from the current encoder's sampled z (detached), the VAE from recon + alpha*KL.
    const z = tf.tidy(() => vae.encode(x, encodeOptions).z);
    const moa = (() => {
      try {
        return m.moaTrainer.step({ ...labels, goal: z });
      } finally {
        z.dispose();
      }
    })();
    const v = trainStepClassic(vae, m.vaeOptimizer as tf.Optimizer, x, {
      ...encodeOptions,
      alpha,
      clipNorm: config.gradClipNorm,
    });
    return { policy: moa.ce, kl: v.kl, recon: v.recon, total: v.loss, gradNorm: Math.max(moa.gradNorm, v.gradNorm), alpha, temperature };
  } finally {
    x.dispose();
  }
}

/**
 * One step of the subgoal CVAE with the MOA: `CE(pi(a | o, t, z ~ q)) + alpha * KL(q || p)` (+ the subgoal
 * reconstruction), all networks in one tape. The batch is whole trajectories, so every row's history is in it.
 */
function cvaeStep(
  m: PretrainModels,
  data: TrainingData,
  batch: HostBatch,
  layout: SequenceBatchLayout,
  alpha: number,
  seed: number,
  step: number,
): StepMetrics {
  const cvae = m.cvae!;
  const temperature = cvae.config.latent === 'gumbel' ? cvae.temperatureAt(step) : null;
  const x = tf.tensor(batch.grid, [batch.size, ...data.gridShape], 'float32');
  // Exploratory rows (hop collect --explore) stay in the trajectories, since they are real history for the GRU, but
  // the MOA's cross-entropy sees only the population's own actions: a random action is not behaviour to imitate.
  const own = populationIndex(batch);
  if (own && own.length === 0)
    throw new HopError(
      'E_DATASET',
      `dataset ${data.dir}: a training batch of ${batch.size} rows holds only exploratory actions, nothing for the MOA to learn from; ` +
        'raise --batch-size or collect the dataset with a smaller --explore',
    );
  const ownIdx = own ? tf.tensor1d(own, 'int32') : null;
  const moaObs = ownIdx ? tf.gather(x, ownIdx) : x;
  // z's rows are picked by a 0/1 matrix product: the gradient of gather needs a kernel the wasm backend lacks.
  const select = own ? selectionMatrix(own, batch.size) : null;
  try {
    let losses: SubgoalLosses | null = null;
    const r = m.moaTrainer.step(
      {
        obs: moaObs,
        mask: own ? gatherRows(batch.mask, own, data.numActions) : batch.mask,
        time: own ? Float32Array.from(own, (i) => batch.time[i]) : batch.time,
        action: own ? Int32Array.from(own, (i) => batch.action[i]) : batch.action,
        goal: () => {
          losses = cvae.losses(
            { obs: x, actions: batch.action, numSequences: layout.numSequences, steps: layout.steps, slot: layout.slot, subgoal: layout.subgoal },
            { seed, ...(temperature === null ? {} : { temperature }) },
          );
          return select ? tf.matMul(select, losses.z) : losses.z;
        },
      },
      {
        extraLoss: () => {
          const l = losses as SubgoalLosses | null;
          if (!l) throw new Error('cvae step: the goal function did not run before the extra loss');
          const terms = [tf.mul(l.klLoss, alpha), ...(l.recon ? [l.recon] : [])];
          return { loss: tf.addN(terms) as tf.Scalar, parts: { kl: l.kl, ...(l.recon ? { recon: l.recon } : {}) } };
        },
        extraVariables: cvae.trainableVariables,
      },
    );
    return {
      policy: r.ce,
      kl: r.parts.kl,
      recon: r.parts.recon ?? null,
      total: r.loss,
      gradNorm: r.gradNorm,
      alpha,
      temperature,
    };
  } finally {
    tf.dispose([x, moaObs, ...(ownIdx ? [ownIdx] : []), ...(select ? [select] : [])]);
  }
}

/** Positions of the population's own rows in a batch, or null when every row is (no gathering needed). */
export function populationIndex(batch: Pick<HostBatch, 'explored' | 'size'>): Int32Array | null {
  if (!batch.explored.some((v) => v !== 0)) return null;
  const out: number[] = [];
  for (let r = 0; r < batch.size; r++) if (batch.explored[r] === 0) out.push(r);
  return Int32Array.from(out);
}

/** `[rows, n]` with a 1 at (k, rows[k]): `S @ t` is rows `rows` of `t`. */
function selectionMatrix(rows: Int32Array, n: number): tf.Tensor2D {
  const m = new Float32Array(rows.length * n);
  rows.forEach((r, k) => (m[k * n + r] = 1));
  return tf.tensor2d(m, [rows.length, n]);
}

/** Rows `rows` of a `[n, width]` row-major array. */
export function gatherRows<T extends Uint8Array | Float32Array>(a: T, rows: Int32Array, width: number): T {
  const out = new (a.constructor as new (n: number) => T)(rows.length * width);
  rows.forEach((r, k) => out.set(a.subarray(r * width, (r + 1) * width), k * width));
  return out;
}

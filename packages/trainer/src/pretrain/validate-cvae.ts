import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '@hop/core';
import { ACTION_NAMES } from '@hop/env-staghunt';
import { MetricsAccumulator, type Evaluation } from '@hop/moa';
import type { SubgoalBatch, SubgoalCVAE } from '@hop/vae';
import type { PretrainConfig } from '../config/schemas';
import { GOAL_NAMES, readHostBatch, type TrainingData } from '../data/dataset';
import type { SequenceBatchLayout } from '../data/trajectories';
import type { PretrainModels } from './models';
import { moveAccuracy } from './accuracy';
import { gatherRows, populationIndex } from './step';

/** Accuracy of the MOA under another choice of `z` (same rows as the headline evaluation). */
export interface LatentVariant {
  top1: number;
  top1Moves: number;
}

export interface CvaeValidation {
  /** The headline: the MOA with `z` sampled from the prior `p(z | o_t, h_t)` (what inference uses). */
  evaluation: Evaluation;
  /** Mean `KL(q || p)` per row (without free bits). */
  kl: number;
  recon: number | null;
  /** `z` = the prior's mean (argmax one-hot for gumbel), and the posterior's mean (it sees the hindsight subgoal: the teacher, not usable at inference). */
  variants: { priorMean: LatentVariant; posterior: LatentVariant };
  /**
   * Gumbel latents: `[slot][class][goal]` counts of the prior's argmax class on validation rows by the hindsight
   * goal the co-player then achieved (stag, hare, none): which slot class fires before a stag or a hare hunt.
   */
  slotMeaning: number[][][] | null;
}

/**
 * Validation of the MOA with the subgoal CVAE on whole validation trajectories. The headline samples `z` from
 * the prior with a fixed seed (the same draws every epoch, so epochs compare); the prior mean and the
 * posterior are reported beside it.
 */
export function validateCvae(m: PretrainModels, config: PretrainConfig, data: TrainingData, layouts: SequenceBatchLayout[]): CvaeValidation {
  const cvae = m.cvae as SubgoalCVAE;
  const labels = { labels: [...ACTION_NAMES] };
  const acc = { sampled: new MetricsAccumulator(data.numActions, labels), priorMean: new MetricsAccumulator(data.numActions, labels), posterior: new MetricsAccumulator(data.numActions, labels) };
  const c = cvae.config;
  const slotMeaning = c.latent === 'gumbel' ? Array.from({ length: c.slots }, () => Array.from({ length: c.classes }, () => new Array<number>(GOAL_NAMES.length).fill(0))) : null;
  let klSum = 0;
  let reconSum = 0;
  let rows = 0;
  layouts.forEach((layout, k) => {
    const b = readHostBatch(data, layout.rows);
    const out = tf.tidy(() => {
      const x = tf.tensor(b.grid, [b.size, ...data.gridShape], 'float32');
      const sb: SubgoalBatch = { obs: x, actions: b.action, numSequences: layout.numSequences, steps: layout.steps, slot: layout.slot, subgoal: layout.subgoal };
      const probs = (z: tf.Tensor) => m.moa.probs({ obs: x, mask: b.mask, time: b.time, goal: z });
      // one pass of the embedding and the history GRU for the prior sample, both means and the losses
      const i = cvae.inspect(sb, { seed: deriveSeed(config.seed, 'val-prior', k) });
      const mean = i.priorMean.z;
      const l = i.losses;
      return {
        sampled: probs(i.prior.z),
        priorMean: probs(mean),
        posterior: probs(i.posteriorMean.z),
        argmax: slotMeaning ? tf.argMax(mean.reshape([b.size, c.slots, c.classes]), -1) : tf.zeros([0]),
        sums: tf.stack([l.kl.mul(b.size), l.recon ? l.recon.mul(b.size) : tf.scalar(0)]),
      };
    });
    // The MOA is scored on the population's own actions only; exploratory rows were history for the prior.
    const own = populationIndex(b);
    const A = data.numActions;
    const pick = (p: tf.Tensor) => (own ? gatherRows(p.dataSync() as Float32Array, own, A) : p.dataSync());
    const actions = own ? Int32Array.from(own, (i) => b.action[i]) : b.action;
    acc.sampled.add(pick(out.sampled), actions);
    acc.priorMean.add(pick(out.priorMean), actions);
    acc.posterior.add(pick(out.posterior), actions);
    if (slotMeaning) {
      const am = out.argmax.dataSync();
      for (let r = 0; r < b.size; r++) {
        if (b.explored[r]) continue;
        const g = b.goal[r] >= 0 && b.goal[r] < GOAL_NAMES.length - 1 ? b.goal[r] : GOAL_NAMES.length - 1;
        for (let s = 0; s < c.slots; s++) slotMeaning[s][am[r * c.slots + s]][g]++;
      }
    }
    const s = out.sums.dataSync();
    klSum += s[0];
    reconSum += s[1];
    rows += b.size;
    tf.dispose(Object.values(out));
  });
  const variant = (a: MetricsAccumulator): LatentVariant => {
    const ev = a.result();
    return { top1: ev.top1, top1Moves: moveAccuracy(ev) };
  };
  return {
    evaluation: acc.sampled.result(),
    kl: klSum / rows,
    recon: c.reconstruct ? reconSum / rows : null,
    variants: { priorMean: variant(acc.priorMean), posterior: variant(acc.posterior) },
    slotMeaning,
  };
}

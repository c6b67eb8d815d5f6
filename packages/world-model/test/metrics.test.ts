import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@hop/core';
import { allocBatch } from '../src/data/batch';
import { MetricsAccumulator, metricsRecord } from '../src/eval/metrics';
import { worldModelLoss } from '../src/train/loss';
import { rewardRulesSchema, type RewardRules } from '../src/layout';
import { tinyLayout } from './helpers/tiny-world';

beforeAll(async () => {
  await initBackend();
});

describe('MetricsAccumulator (hand-worked, 3x3 grid, channels [p0, p1, obstacle, prey])', () => {
  const layout = tinyLayout();
  const C = 4;
  const at = (cell: number, ch: number) => cell * C + ch;

  function batch() {
    const b = allocBatch(layout, 2);
    for (let k = 0; k < 2; k++) {
      const o = k * 36;
      b.obs[o + at(0, 0)] = 1; // p0 at cell 0
      b.obs[o + at(4, 1)] = 1; // p1 at cell 4
      b.obs[o + at(8, 2)] = 1; // obstacle at 8
      b.obs[o + at(2, 3)] = 1; // prey at 2
      b.nextObs[o + at(1, 0)] = 1; // p0 moved right
      b.nextObs[o + at(4, 1)] = 1;
      b.nextObs[o + at(8, 2)] = 1;
      b.nextObs[o + at(2, 3)] = 1;
      b.reward[k] = 0;
      b.done[k] = 0;
    }
    return b;
  }

  it('computes every figure of a bad and a perfect prediction', () => {
    const b = batch();
    const next = b.nextObs.slice();
    // sample 0: p0 mostly right but also 0.6 far away (jump + two cells), p1 faint, a prey appears
    next[at(1, 0)] = 0.9;
    next[at(8, 0)] = 0.6;
    next[at(4, 1)] = 0.4;
    next[at(6, 3)] = 0.7;
    const acc = new MetricsAccumulator(layout);
    // outcomes [nothing, caught]: sample 0 right (nothing), sample 1 predicts a catch that did not happen
    acc.add(b, { next, outcome: Float32Array.of(0.9, 0.1, 0.3, 0.7) });
    const m = acc.result();
    const sq = 0.1 ** 2 + 0.6 ** 2 + 0.6 ** 2 + 0.7 ** 2;
    expect(m.samples).toBe(2);
    expect(m.obsMse).toBeCloseTo(sq / 72, 6);
    expect(m.psnr).toBeCloseTo(10 * Math.log10(72 / sq), 4);
    expect(m.perChannelMse[0]).toBeCloseTo((0.01 + 0.36) / 18, 6);
    expect(m.perChannelMse[1]).toBeCloseTo(0.36 / 18, 6);
    expect(m.perChannelMse[2]).toBe(0);
    expect(m.perChannelMse[3]).toBeCloseTo(0.49 / 18, 6);
    // the rules (prey worth 1, p0 alone in its group) give the false catch a reward of 1 against 0
    expect(m.rewardMse).toBeCloseTo(0.5, 6);
    expect(m.rewardMae).toBeCloseTo(0.5, 6);
    expect(m.rewardExact).toBe(0.5);
    expect(m.outcomeAccuracy).toBe(0.5);
    expect(m.catchRecall).toBe(1); // no true catches
    expect(m.catchPrecision).toBe(0);
    expect(m.positionAccuracy).toBe(1); // argmax cells are right even where values are faint
    expect(m.presenceAccuracy).toBe(0.75); // p1 at 0.4 reads as "left the grid"
    expect(m.impossible).toEqual({ playerJump: 1, playerMulti: 1, playerReturn: 0, preyAppear: 1 });
    expect(m.impossibleRate).toBe(0.5);
    const rec = metricsRecord(m);
    expect(rec['val/psnr']).toBe(m.psnr);
    expect(rec['val/mse_ch3']).toBe(m.perChannelMse[3]);
  });

  it('counts reward figures only on rows one view can give a reward for: n/a (null) when none', () => {
    const b = batch();
    const next = b.nextObs.slice();
    const outcome = Float32Array.of(0.9, 0.1, 0.3, 0.7); // sample 0: nothing, sample 1: a (false) catch
    const run = (rules: Partial<RewardRules>) => {
      const acc = new MetricsAccumulator({ ...layout, rules: rewardRulesSchema.parse({ preyRewards: [1], ...rules }) });
      acc.add(b, { next, outcome });
      return acc.result();
    };
    // strength split: the catch needs the group's identities; "nothing caught" still has its reward (exact)
    const strength = run({ strength: [1, 2] });
    expect([strength.rewardRows, strength.rewardMse, strength.rewardMae, strength.rewardExact]).toEqual([1, 0, 0, 1]);
    // a prey the strength does not split (strengthPrey false) is counted as in the plain rules
    expect(run({ strength: [1, 2], strengthPrey: [false] })).toMatchObject({ rewardRows: 2, rewardExact: 0.5 });
    // prosocial: no row's reward follows from one view, so there are no figures at all (not 0% exact)
    const prosocial = run({ prosocial: true });
    expect([prosocial.rewardRows, prosocial.rewardMse, prosocial.rewardMae, prosocial.rewardExact]).toEqual([0, null, null, null]);
    const rec = metricsRecord(prosocial);
    expect(rec['val/reward_rows']).toBe(0);
    expect(Object.keys(rec).filter((k) => /reward_(mse|mae|exact)/.test(k))).toEqual([]);
    expect(Object.values(rec).every((v) => !Number.isNaN(v))).toBe(true);
  });

  it('flags a done player predicted back on the grid, and wrong argmax positions', () => {
    const b = allocBatch(layout, 1);
    b.obs[at(0, 0)] = 1; // p1 already done
    b.nextObs[at(3, 0)] = 1;
    const next = b.nextObs.slice();
    next[at(3, 0)] = 0.3;
    next[at(4, 0)] = 0.45; // argmax on the wrong cell, still below 0.5
    next[at(5, 1)] = 0.8; // p1 returns
    const acc = new MetricsAccumulator(layout);
    acc.add(b, { next, outcome: Float32Array.of(1, 0) });
    const m = acc.result();
    expect(m.positionAccuracy).toBe(0);
    expect(m.impossible.playerReturn).toBe(1);
    expect(m.impossible.playerJump).toBe(0); // nothing >= 0.5 far from p0
  });
});

describe('worldModelLoss', () => {
  it('is the per-channel weighted MSE + hunt-outcome cross-entropy, worked by hand', () => {
    const pred = tf.tensor4d([0.5, 0, 1, 0.25], [1, 1, 2, 2]); // two cells, channels [a, b]
    const target = tf.tensor4d([1, 0, 0, 0], [1, 1, 2, 2]);
    const parts = worldModelLoss(
      { next: pred, outcomeLogits: tf.tensor2d([[0, Math.log(3), 0]]) },
      { next: target, outcome: tf.tensor2d([[0, 1, 0]]) },
      { channel: tf.tensor1d([2, 1]), outcome: 0.5 },
    );
    const recon = (2 * 0.25 + 0 + 2 * 1 + 0.0625) / 4;
    const outcome = -Math.log(3 / 5); // softmax of [0, ln 3, 0] gives the true class 3 / (1 + 3 + 1)
    expect(parts.recon.dataSync()[0]).toBeCloseTo(recon, 6);
    expect(parts.outcome.dataSync()[0]).toBeCloseTo(outcome, 6);
    expect(parts.total.dataSync()[0]).toBeCloseTo(recon + 0.5 * outcome, 5);
  });

  it('has gradients that match finite differences', () => {
    const w = { channel: tf.tensor1d([2, 1, 0.5]), outcome: 0.7 };
    const target = { next: tf.randomUniform([2, 2, 2, 3], 0, 1, 'float32', 1) as tf.Tensor4D, outcome: tf.tensor2d([[0, 0, 1], [1, 0, 0]]) };
    const x0 = tf.randomUniform([2 * 2 * 2 * 3 + 6], -1, 1, 'float32', 2).dataSync();
    const f = (x: tf.Tensor) => {
      const next = x.slice(0, 24).reshape([2, 2, 2, 3]) as tf.Tensor4D;
      return worldModelLoss({ next, outcomeLogits: x.slice(24, 6).reshape([2, 3]) as tf.Tensor2D }, target, w).total;
    };
    const g = tf.grad(f)(tf.tensor1d(x0)).dataSync();
    const h = 1e-2;
    for (let i = 0; i < x0.length; i++) {
      const up = Float32Array.from(x0);
      const dn = Float32Array.from(x0);
      up[i] += h;
      dn[i] -= h;
      const num = (f(tf.tensor1d(up)).dataSync()[0] - f(tf.tensor1d(dn)).dataSync()[0]) / (2 * h);
      expect(g[i]).toBeCloseTo(num, 3);
    }
  });
});

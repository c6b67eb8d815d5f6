import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, initBackend } from '@hop/core';
import { checkAgainstFiniteDifferences } from './finite-diff';
import {
  SubgoalCVAE,
  categoricalKlPerSlot,
  freeBitsKl,
  gaussianKlPerDim,
  sequenceIndex,
  type SubgoalBatch,
  type SubgoalCvaeConfigInput,
} from '../src/index';

let active = 'cpu';
let root = '';
beforeAll(async () => {
  active = (await initBackend()).name;
  root = await mkdtemp(join(tmpdir(), 'hop-cvae-'));
});
afterAll(async () => {
  await tf.setBackend(active);
  await rm(root, { recursive: true, force: true });
});

/**
 * Two trajectories in one batch, rows deliberately out of order: sequence 0 has 3 steps, sequence 1 has 2.
 * Row -> (sequence, step): 0 -> (1,0), 1 -> (0,0), 2 -> (0,1), 3 -> (1,1), 4 -> (0,2). Subgoal = the last row of
 * each sequence (4 for sequence 0, 3 for sequence 1).
 */
function handBatch(obs: tf.Tensor, actions = Int32Array.from([2, 0, 1, 1, 2])): SubgoalBatch {
  return { obs, actions, numSequences: 2, steps: 3, slot: Int32Array.from([3, 0, 1, 4, 2]), subgoal: Int32Array.from([3, 4, 4, 3, 4]) };
}

describe('sequence layout', () => {
  it('gathers rows into slots, points each row at the GRU state before it, one-hot actions (hand-worked)', () => {
    const obs = tf.zeros([5, 2]);
    const idx = sequenceIndex(handBatch(obs), 3);
    expect(Array.from(idx.rowAt)).toEqual([1, 2, 4, 0, 3, 5]); // slot 5 (sequence 1, step 2) is padding = row 5
    // h of a row is the GRU output of the slot before it; step 0 reads the zero row at index 6
    expect(Array.from(idx.historyAt)).toEqual([6, 6, 0, 3, 1]);
    expect(Array.from(idx.actionOneHot)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0]);
    obs.dispose();
  });

  it('refuses gaps, shared slots, bad actions and subgoal rows, naming the row', () => {
    const obs = tf.zeros([5, 2]);
    const b = handBatch(obs);
    expect(() => sequenceIndex({ ...b, slot: Int32Array.from([3, 0, 2, 4, 1]).map((s) => (s === 1 ? 5 : s)) }, 3)).toThrow(/step 2 of sequence 0 but step 1 is missing/);
    expect(() => sequenceIndex({ ...b, slot: Int32Array.from([3, 0, 0, 4, 2]) }, 3)).toThrow(/rows 1 and 2 share slot 0/);
    expect(() => sequenceIndex({ ...b, actions: Int32Array.from([2, 0, 3, 1, 2]) }, 3)).toThrow(/row 2 has action 3, outside 0..2/);
    expect(() => sequenceIndex({ ...b, subgoal: Int32Array.from([3, 4, 9, 3, 4]) }, 3)).toThrow(/row 2 names subgoal row 9/);
    expect(() => sequenceIndex({ ...b, slot: Int32Array.from([3, 0, 1, 6, 2]) }, 3)).toThrow(/row 3 has slot 6, outside 0..5/);
    obs.dispose();
  });
});

describe('KL terms (hand-worked values)', () => {
  it('gaussian KL(q || p) per dim', () => {
    const v = tf.tidy(() =>
      gaussianKlPerDim(tf.tensor2d([[1, 0, 0.5]]), tf.tensor2d([[0, Math.log(2), 0]]), tf.tensor2d([[0, 0, 0.5]]), tf.tensor2d([[0, 0, Math.log(4)]])).arraySync(),
    );
    // (1) mean shift 1, unit variances: 1/2; (2) var 2 vs 1: (2 - 1 - ln 2) / 2; (3) var 1 vs 4: (ln 4 + 1/4 - 1) / 2
    const want = [0.5, (1 - Math.log(2)) / 2, (Math.log(4) + 0.25 - 1) / 2];
    v[0].forEach((x, i) => expect(x).toBeCloseTo(want[i], 5));
  });

  it('categorical KL(q || p) per slot from logits, and free bits', () => {
    const v = tf.tidy(() =>
      categoricalKlPerSlot(tf.tensor3d([[[0, 0], [Math.log(3), 0]]]), tf.tensor3d([[[0, Math.log(3)], [Math.log(3), 0]]])).arraySync(),
    );
    // slot 0: q = (1/2, 1/2), p = (1/4, 3/4): 1/2 ln 2 + 1/2 ln(2/3); slot 1: q = p: 0
    expect(v[0][0]).toBeCloseTo(0.5 * Math.log(2) + 0.5 * Math.log(2 / 3), 5);
    expect(v[0][1]).toBeCloseTo(0, 6);
    const per = tf.tensor2d([[0.1, 2], [0.3, 0]]);
    expect(tf.tidy(() => freeBitsKl(per, 0).dataSync()[0])).toBeCloseTo(1.2, 6); // means (0.2, 1)
    expect(tf.tidy(() => freeBitsKl(per, 0.5).dataSync()[0])).toBeCloseTo(1.5, 6); // max(0.5, 0.2) + max(0.5, 1)
    per.dispose();
  });
});

const tiny: SubgoalCvaeConfigInput = { inputShape: [2, 2, 1], numActions: 3, embedUnits: 3, gruUnits: 2, hidden: 4, latentDim: 2, activation: 'tanh', seed: 4 };

describe('history is causal', () => {
  // Mutation caught: h_t read from the row's own slot (historyAt = slot), which leaks the action being predicted.
  it('the prior of a row reads its own sequence up to itself: later rows, other sequences and the subgoal do not change it', () => {
    const cvae = new SubgoalCVAE(tiny);
    const base = tf.randomUniform([5, 2, 2, 1], 0, 1, 'float32', 3);
    const prior = (b: SubgoalBatch) => tf.tidy(() => cvae.prior(b, { sample: false }).mu!.arraySync());
    const p0 = prior(handBatch(base));
    // change row 4 (sequence 0, step 2) and row 3 (sequence 1, step 1): rows 1 and 2 (sequence 0, steps 0, 1) keep their prior
    const later = tf.tidy(() => base.mul(tf.tensor([1, 1, 1, 0, 0]).reshape([5, 1, 1, 1])).add(tf.tensor([0, 0, 0, 3, 3]).reshape([5, 1, 1, 1])));
    const p1 = prior({ ...handBatch(later), actions: Int32Array.from([2, 0, 1, 0, 0]) });
    for (const r of [0, 1, 2]) expect(p1[r]).toEqual(p0[r]);
    expect(p1[4]).not.toEqual(p0[4]); // control: the changed row's own prior moves
    // the action of row 1 (step 0 of sequence 0) reaches rows 2 and 4, not row 1 itself or sequence 1
    const p2 = prior(handBatch(base, Int32Array.from([2, 1, 1, 1, 2])));
    expect(p2[1]).toEqual(p0[1]);
    expect(p2[0]).toEqual(p0[0]);
    expect(p2[3]).toEqual(p0[3]);
    expect(p2[2]).not.toEqual(p0[2]);
    expect(p2[4]).not.toEqual(p0[4]);
    // the prior never reads the subgoal; the posterior does
    const other = { ...handBatch(base), subgoal: Int32Array.from([0, 0, 0, 0, 0]) };
    expect(prior(other)).toEqual(p0);
    const q = (b: SubgoalBatch) => tf.tidy(() => cvae.posterior(b, { sample: false }).mu!.arraySync());
    expect(q(other)[1]).not.toEqual(q(handBatch(base))[1]);
    tf.dispose([base, later]);
    cvae.dispose();
  });
});

describe('gradients vs finite differences (tiny nets, cpu backend)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([
    ['gaussian, free bits and reconstruction', { ...tiny, freeBits: 0.05, reconstruct: true }],
    ['gumbel (soft sample)', { ...tiny, latent: 'gumbel', slots: 2, classes: 3 }],
  ] as const)('%s: every network (embed, GRU, prior, posterior, decoder) gets the gradient of g(z ~ q) + alpha KL', (_, config) => {
    const cvae = new SubgoalCVAE(config);
    const obs = tf.randomUniform([5, 2, 2, 1], 0, 1, 'float32', 8);
    const c = tf.randomNormal([cvae.latentSize], 0, 1, 'float32', 2);
    const f = () => {
      const l = cvae.losses(handBatch(obs), { seed: 5, temperature: 0.8 });
      const fit = tf.sum(tf.square(tf.sub(l.z, c)));
      return tf.addN([fit, tf.mul(l.klLoss, 0.7), ...(l.recon ? [l.recon] : [])]) as tf.Scalar;
    };
    const vars = cvae.trainableVariables;
    // embed 2 + GRU 3 (kernel, recurrent, bias) + prior / posterior 2 x (hidden 2 + heads: 4 gaussian, 2 gumbel) + decoder 4
    expect(vars.length).toBe(config.latent === 'gumbel' ? 13 : 21);
    expect(checkAgainstFiniteDifferences(vars, f, { perVariable: 3, seed: 11, atol: 1e-3, rtol: 1e-2 })).toBeGreaterThan(25);
    tf.dispose([obs, c]);
    cvae.dispose();
  });
});

describe('save -> load', () => {
  it.each(['gaussian', 'gumbel'] as const)('%s: identical prior, posterior and losses; the noise stream resumes; another seed differs', async (latent) => {
    const cvae = new SubgoalCVAE({ ...tiny, latent, slots: 2, classes: 3, reconstruct: true });
    const obs = tf.randomUniform([5, 2, 2, 1], 0, 1, 'float32', 9);
    // move the weights off their seeded start, so loading really restores them
    const opt = tf.train.adam(0.05);
    for (let i = 0; i < 3; i++)
      opt.minimize(() => {
        const l = cvae.losses(handBatch(obs), { seed: i });
        return tf.add(tf.sum(l.z), l.klLoss) as tf.Scalar;
      }, false, cvae.trainableVariables);
    cvae.prior(handBatch(obs)).z.dispose(); // advance the model's own stream
    const outputs = (m: SubgoalCVAE) =>
      tf.tidy(() => {
        const b = handBatch(obs);
        const l = m.losses(b, { seed: 3 });
        return [m.prior(b, { sample: false }).z, m.prior(b, { seed: 7 }).z, m.posterior(b, { seed: 7 }).z, l.z, l.kl, l.recon!, m.prior(b).z].map((t) => Array.from(t.dataSync()));
      });
    const dir = join(root, latent);
    await cvae.save(dir);
    const back = await SubgoalCVAE.load(dir);
    expect(outputs(back)).toEqual(outputs(cvae));
    const other = new SubgoalCVAE({ ...tiny, latent, slots: 2, classes: 3, reconstruct: true, seed: 5 });
    expect(outputs(other)[0]).not.toEqual(outputs(cvae)[0]);
    await expect(SubgoalCVAE.load(join(root, 'missing'))).rejects.toThrow();
    tf.dispose(obs);
    opt.dispose();
    [cvae, back, other].forEach((m) => m.dispose());
  });

  it('same seed same z, another seed another z; no tensor left behind', () => {
    const cvae = new SubgoalCVAE(tiny);
    const obs = tf.randomUniform([5, 2, 2, 1], 0, 1, 'float32', 9);
    const z = (seed: number) => tf.tidy(() => Array.from(cvae.prior(handBatch(obs), { seed }).z.dataSync()));
    expect(z(1)).toEqual(z(1));
    expect(z(2)).not.toEqual(z(1));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      const l = cvae.losses(handBatch(obs), { seed: i });
      tf.dispose([l.z, l.kl, l.klLoss, l.klPerDim]);
      tf.dispose(Object.values(cvae.prior(handBatch(obs))));
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(obs);
    cvae.dispose();
  });
});

describe('inspect', () => {
  it.each(['gaussian', 'gumbel'] as const)('%s: one pass gives what prior (seeded), the two means and losses(sample: false) give', (latent) => {
    const cvae = new SubgoalCVAE({ ...tiny, latent, slots: 2, classes: 3, reconstruct: true });
    const obs = tf.randomUniform([5, 2, 2, 1], 0, 1, 'float32', 9);
    const b = handBatch(obs);
    const flat = (ts: (tf.Tensor | null)[]) => ts.map((t) => Array.from(t!.dataSync()));
    const separate = tf.tidy(() => {
      const l = cvae.losses(b, { sample: false });
      return flat([cvae.prior(b, { seed: 7 }).z, cvae.prior(b, { sample: false }).z, cvae.posterior(b, { sample: false }).z, l.kl, l.recon]);
    });
    const before = tf.memory().numTensors;
    const i = cvae.inspect(b, { seed: 7 });
    expect(flat([i.prior.z, i.priorMean.z, i.posteriorMean.z, i.losses.kl, i.losses.recon])).toEqual(separate);
    tf.dispose([...Object.values(i.prior), ...Object.values(i.priorMean), ...Object.values(i.posteriorMean), i.losses.z, i.losses.kl, i.losses.klLoss, i.losses.klPerDim, i.losses.recon!]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(obs);
    cvae.dispose();
  });
});

describe('README example', () => {
  it('examples/subgoal-cvae.ts is the README block, and it runs as written', async () => {
    const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
    const example = readFileSync(join(pkg, 'examples/subgoal-cvae.ts'), 'utf8');
    expect(readFileSync(join(pkg, 'README.md'), 'utf8')).toContain(example.trim());
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(pkg, 'examples/subgoal-cvae.ts')], { cwd: pkg, encoding: 'utf8' });
    expect(out).toContain('prior z: 5 rows x 8');
  });
});

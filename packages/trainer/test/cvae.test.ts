import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { deriveSeed, initBackend } from '@hop/core';
import { PretrainConfigSchema, type PretrainConfig } from '../src/config/schemas';
import { openTrainingData, readHostBatch, type TrainingData } from '../src/data/dataset';
import { layoutOf, packTrajectories, trajectoriesOf, trajectoryOrder, type Trajectories } from '../src/data/trajectories';
import { buildModels, disposeModels, type PretrainModels } from '../src/pretrain/models';
import { trainStep } from '../src/pretrain/step';
import { validateCvae } from '../src/pretrain/validate-cvae';
import { RunDir } from '../src/run/layout';
import { latentGoalVectors } from '../src/team/latent-goals';
import { pretrain } from '../src/pretrain/train';
import { errorOf, tempDir, tinyDataset } from './helpers';

const config = (over: Partial<PretrainConfig> = {}): PretrainConfig =>
  PretrainConfigSchema.parse({
    data: 'unused',
    seed: 7,
    moaFilters: [8],
    moaHidden: 32,
    latent: 'cvae',
    latentDim: 4,
    historyUnits: 8,
    batchSize: 32,
    alphaMax: 0.5,
    alphaWarmupSteps: 10,
    evalBatchSize: 50,
    ...over,
  });

const snapshot = (vars: tf.Variable[]) => vars.map((v) => Float32Array.from(v.dataSync()));
const changed = (before: Float32Array[], vars: tf.Variable[]) => vars.some((v, i) => v.dataSync().some((x, k) => x !== before[i][k]));

describe('trajectory batches (hand-worked)', () => {
  const t: Trajectories = { rows: Int32Array.from([10, 11, 12, 20, 21, 30]), starts: Int32Array.from([0, 3, 5, 6]), count: 3 };

  it('lays out whole trajectories: slots sequence * steps + t, subgoal = the last row of each trajectory', () => {
    const l = layoutOf(t, [1, 0]);
    expect(Array.from(l.rows)).toEqual([20, 21, 10, 11, 12]);
    expect([l.numSequences, l.steps]).toEqual([2, 3]);
    expect(Array.from(l.slot)).toEqual([0, 1, 3, 4, 5]);
    expect(Array.from(l.subgoal)).toEqual([1, 1, 4, 4, 4]);
  });

  it('packs trajectories in order until a batch holds at least the batch size in rows', () => {
    expect(packTrajectories(t, [2, 0, 1], 3).map((b) => Array.from(b))).toEqual([[2, 0], [1]]);
    expect(packTrajectories(t, [0, 1, 2], 2).map((b) => Array.from(b))).toEqual([[0], [1], [2]]);
  });
});

describe('subgoal CVAE pretraining (small-2p data)', () => {
  let data: TrainingData;
  beforeAll(async () => {
    await initBackend();
    const dir = await tinyDataset(join(tempDir('cvae'), 'data'), 40, 2);
    data = openTrainingData(dir, { valFraction: 0.2, seed: 7 });
  });

  function withModels<T>(c: PretrainConfig, f: (m: PretrainModels) => T): T {
    const m = buildModels(c, data);
    try {
      return f(m);
    } finally {
      disposeModels(m);
    }
  }

  it('groups the split into (episode, agent) trajectories in time order, every row once', () => {
    const t = trajectoriesOf(data, data.train);
    expect(Array.from(t.rows).sort((a, b) => a - b)).toEqual(Array.from(data.train).sort((a, b) => a - b));
    const b = data.dataset.batch(t.rows, ['episode', 'agent', 'time']);
    const seen = new Set<string>();
    for (let k = 0; k < t.count; k++) {
      const key = `${b.episode[t.starts[k]]}/${b.agent[t.starts[k]]}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      expect(b.time[t.starts[k]]).toBe(0); // every player is in play from the first step
      for (let r = t.starts[k] + 1; r < t.starts[k + 1]; r++) {
        expect(`${b.episode[r]}/${b.agent[r]}`).toBe(key);
        expect(b.time[r]).toBe(b.time[r - 1] + 1);
      }
    }
    const o = trajectoryOrder(t, 3, 1);
    expect(trajectoryOrder(t, 3, 1)).toEqual(o);
    expect(trajectoryOrder(t, 3, 2)).not.toEqual(o);
  });

  const stepOn = (m: PretrainModels, c: PretrainConfig, ids: number[], step: number) => {
    const t = trajectoriesOf(data, data.train);
    const layout = layoutOf(t, ids);
    return trainStep(m, c, data, readHostBatch(data, layout.rows), step, layout);
  };

  it('one step trains every CVAE network and the MOA on CE + alpha * KL(q || p) (+ the subgoal reconstruction)', () => {
    const c = config();
    withModels(c, (m) => {
      expect(m.vae).toBeNull();
      expect(m.moa.goalDim).toBe(4);
      const [cv, moa] = [snapshot(m.cvae!.trainableVariables), snapshot(m.moa.trainableVariables())];
      const r = stepOn(m, c, [0, 1, 2], 4);
      expect(r.total).toBeCloseTo(r.policy + r.alpha * (r.kl as number), 5);
      expect(r.recon).toBeNull();
      expect(changed(cv, m.cvae!.trainableVariables)).toBe(true);
      expect(changed(moa, m.moa.trainableVariables())).toBe(true);
      // every network moved, not only the posterior (the prior through the KL, the GRU through both)
      for (const [name, net] of Object.entries(m.cvae!.models)) {
        const vars = net.trainableWeights.map((w) => w.read() as tf.Variable);
        const before = snapshot(vars);
        stepOn(m, c, [3, 4], 5);
        expect(changed(before, vars), name).toBe(true);
      }
    });
    const rc = config({ cvaeReconstruct: true, latent: 'cvae-gumbel', latentDim: 1, gumbelClasses: 3 });
    withModels(rc, (m) => {
      expect(m.moa.goalDim).toBe(3);
      const r = stepOn(m, rc, [0, 1], 20);
      expect(r.temperature).toBeGreaterThan(0);
      expect(r.total).toBeCloseTo(r.policy + r.alpha * (r.kl as number) + (r.recon as number), 4);
    });
  });

  it('free bits: the loss holds sum_d max(floor, KL_d) while the reported KL stays the plain KL', () => {
    const c = config({ freeBits: 5 });
    withModels(c, (m) => {
      const r = stepOn(m, c, [0, 1, 2], 20);
      // a fresh CVAE's KL is far below 5 nats per dim: every dim sits at the floor, 4 dims x 5 nats
      expect(r.kl as number).toBeLessThan(1);
      expect(r.total).toBeCloseTo(r.policy + 0.5 * 4 * 5, 4);
    });
  });

  it('validation: the headline is the MOA under prior-sampled z (fixed seed), beside prior mean and posterior; gumbel slots by goal', () => {
    const c = config({ latent: 'cvae-gumbel', latentDim: 2, gumbelClasses: 3 });
    withModels(c, (m) => {
      stepOn(m, c, [0, 1, 2], 1);
      const valT = trajectoriesOf(data, data.val);
      const layouts = packTrajectories(valT, Int32Array.from({ length: valT.count }, (_, k) => k), c.evalBatchSize).map((ids) => layoutOf(valT, ids));
      expect(layouts.length).toBeGreaterThan(1);
      const v = validateCvae(m, c, data, layouts);
      // recompute the headline independently: prior z with the same per-batch seeds, argmax of the MOA
      let hit = 0;
      let n = 0;
      layouts.forEach((l, k) => {
        const b = readHostBatch(data, l.rows);
        const p = tf.tidy(() => {
          const x = tf.tensor(b.grid, [b.size, ...data.gridShape]);
          const z = m.cvae!.prior({ obs: x, actions: b.action, numSequences: l.numSequences, steps: l.steps, slot: l.slot }, { seed: deriveSeed(c.seed, 'val-prior', k) }).z;
          return m.moa.probs({ obs: x, mask: b.mask, time: b.time, goal: z }).argMax(-1);
        });
        p.dataSync().forEach((a, i) => (hit += a === b.action[i] ? 1 : 0));
        n += b.size;
        p.dispose();
      });
      expect(v.evaluation.samples).toBe(data.val.length);
      expect(v.evaluation.top1).toBeCloseTo(hit / n, 10);
      expect(v.kl).toBeGreaterThanOrEqual(0);
      expect(v.slotMeaning!.length).toBe(2);
      for (const slot of v.slotMeaning!) expect(slot.flat().reduce((a, b) => a + b, 0)).toBe(data.val.length);
      for (const variant of Object.values(v.variants)) expect(variant.top1).toBeGreaterThan(0);
      // no tensor growth over steps and validations
      const before = tf.memory().numTensors;
      for (let s = 2; s < 6; s++) stepOn(m, c, [s], s);
      validateCvae(m, c, data, layouts);
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  it('same seed and step, same losses; another seed, other losses', () => {
    const a = withModels(config(), (m) => stepOn(m, config(), [0, 1], 3));
    expect(withModels(config(), (m) => stepOn(m, config(), [0, 1], 3))).toEqual(a);
    // weights built from seed 7, noise from seed 8: only the posterior sample differs
    expect(withModels(config(), (m) => stepOn(m, config({ seed: 8 }), [0, 1], 3)).total).not.toBe(a.total);
  });

  it('hop train --goals latent refuses a subgoal CVAE run by name (its z needs the trajectory, not fixed goal vectors)', async () => {
    const run = new RunDir(join(tempDir('cvae-goals'), 'run'));
    mkdirSync(join(run.epochCheckpoint(1), 'cvae'), { recursive: true });
    writeFileSync(join(run.epochCheckpoint(1), 'cvae', 'meta.json'), '{}');
    await expect(latentGoalVectors(run, { data: data.dir }, 2)).rejects.toThrow(/pretrained with the subgoal CVAE \(--latent cvae\).*Pretrain with --latent vanilla/);
  });

  it('the recon objective is refused with the subgoal CVAE, saying what to use', () => {
    const e = errorOf(() => buildModels(config({ objective: 'recon' }), data));
    expect(e.code).toBe('E_CONFIG');
    expect(e.message).toMatch(/--objective recon does not apply to --latent cvae.*use --objective joint/);
  });
});

describe('subgoal CVAE on a dataset collected with --explore', () => {
  let data: TrainingData;
  let dir: string;
  beforeAll(async () => {
    await initBackend();
    dir = await tinyDataset(join(tempDir('cvae-explore'), 'data'), 30, 2, 0.3);
    data = openTrainingData(dir, { valFraction: 0.2, seed: 7 });
  });

  it('keeps exploratory rows as history (whole trajectories from time 0) but scores the MOA on the population rows only', () => {
    const explored = (rows: Int32Array) => data.dataset.batch(rows, ['explored']).explored;
    const t = trajectoriesOf(data, data.trainAll);
    expect(t.rows.length).toBe(data.trainAll.length);
    expect(explored(t.rows).some((v) => v === 1)).toBe(true);
    const time = data.dataset.batch(t.rows, ['time']).time;
    for (let k = 0; k < t.count; k++) expect(time[t.starts[k]]).toBe(0);
    // the population rows of the split are the ones the MOA learns from and is scored on
    expect(Array.from(data.train)).toEqual(Array.from(data.trainAll).filter((_, k) => explored(data.trainAll)[k] === 0));
    const c = config();
    const m = buildModels(c, data);
    try {
      const ids = Array.from({ length: Math.min(6, t.count) }, (_, k) => k);
      const layout = layoutOf(t, ids);
      const r = trainStep(m, c, data, readHostBatch(data, layout.rows), 1, layout);
      expect(Number.isFinite(r.total)).toBe(true);
      const valT = trajectoriesOf(data, data.valAll);
      const layouts = packTrajectories(valT, Int32Array.from({ length: valT.count }, (_, k) => k), c.evalBatchSize).map((g) => layoutOf(valT, g));
      const v = validateCvae(m, c, data, layouts);
      expect(v.evaluation.samples).toBe(data.val.length);
      expect(data.val.length).toBeLessThan(data.valAll.length);
    } finally {
      disposeModels(m);
    }
  });

  it('a trajectory that does not start at time 0 is a named error', () => {
    const time = data.dataset.batch(data.trainAll, ['time']).time;
    const e = errorOf(() => trajectoriesOf(data, data.trainAll.filter((_, k) => time[k] !== 0)));
    expect(e.code).toBe('E_DATASET');
    expect(e.message).toMatch(/starts at time 1, not 0/);
  });

  it('hop pretrain --latent cvae runs on it', async () => {
    const out = join(tempDir('cvae-explore-run'), 'run');
    const lines: string[] = [];
    const c = config({ data: dir, out, epochs: 1, progress: 'none' });
    const r = await pretrain(c, { log: (l) => lines.push(l) });
    expect(r.status).toBe('completed');
    expect(lines.join('\n')).toMatch(/exploratory rows kept as history/);
  });
});

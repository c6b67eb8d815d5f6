import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HopError, Rng, initBackend, probeOnnxRuntime } from '@hop/core';
import {
  MOATrainer,
  MOAModel,
  createMOAInference,
  exportMOAToOnnx,
  oneHotGoals,
  toCoPlayerModel,
  toEvaluator,
  type MOAConfigInput,
} from '../src/index';
import { maxAbsDiff, randomBatch, tinyGrid } from './helpers';

/**
 * ONNX Runtime against tfjs: same weights, same inputs, outputs within 1e-4. Where onnxruntime-node is
 * not installed the suite says so loudly and is skipped, except under HOP_REQUIRE_ONNX=1 (set by
 * .ci/run), where its absence fails.
 */
const required = process.env.HOP_REQUIRE_ONNX === '1';
const ort = await probeOnnxRuntime();
const available = ort.available;
if (!available && !required)
  console.warn(
    `\n*** SKIPPING the MOA ONNX Runtime equivalence tests: ${ort.available ? '' : ort.reason}. ` +
      'Run `npm install` (onnxruntime-node is a root devDependency) to run them (CI sets HOP_REQUIRE_ONNX=1 and fails instead). ***\n',
  );

const TOL = 1e-4;

/** Goal modes: none, one-hot discrete goals, latent (continuous) goals; grid and flat observations. */
const MODELS: { name: string; config: MOAConfigInput; latent: boolean }[] = [
  { name: 'goalDim 0 (policy / value net), hop-msh size', config: { observationShape: [8, 8, 7], numActions: 7, goalDim: 0, maxTime: 50, seed: 3 }, latent: false },
  { name: 'one-hot goals, hop-msh size', config: { observationShape: [8, 8, 7], numActions: 7, goalDim: 2, maxTime: 50, seed: 4 }, latent: false },
  { name: 'latent goals, mask as input', config: { ...tinyGrid, goalDim: 4, maskAsInput: true, seed: 5 }, latent: true },
  { name: 'latent goals, flat observations (MLP trunk)', config: { observationShape: [11], numActions: 4, goalDim: 3, maxTime: 9, mlpUnits: [16, 8], hiddenUnits: 12, seed: 6 }, latent: true },
  { name: 'even kernel (asymmetric same padding)', config: { ...tinyGrid, kernelSize: 2, goalDim: 0, seed: 7 }, latent: false },
];

function goalsFor(rng: Rng, batch: number, d: number, latent: boolean): Float32Array {
  if (d === 0) return new Float32Array(0);
  if (latent) return new Float32Array(batch * d).map(() => rng.normal());
  const g = new Float32Array(batch * d);
  for (let b = 0; b < batch; b++) g[b * d + rng.int(d)] = 1;
  return g;
}

beforeAll(async () => {
  await initBackend();
  if (!available && required) throw new Error(`HOP_REQUIRE_ONNX=1 but ${ort.available ? '' : ort.reason}`);
});

describe.runIf(available || required)('MOA through ONNX Runtime equals tfjs', () => {
  const models = MODELS.map((m) => ({ ...m, model: new MOAModel(m.config) }));
  afterAll(() => models.forEach((m) => m.model.dispose()));

  for (const [i, m] of MODELS.entries())
    for (const batch of [1, 300])
      it(`${m.name}, batch ${batch}: logits, values, probabilities${m.config.goalDim ? ', probsForGoals' : ''}`, async () => {
        const { model } = models[i];
        const inf = await createMOAInference(model, { engine: 'onnx' });
        expect(inf.engine).toBe('onnx');
        try {
          const d = model.goalDim;
          const rng = new Rng(100 + batch + i);
          const x = randomBatch(rng, batch, model.observationSize, model.numActions, 0);
          const obsBatch = { batch, observations: x.obs, masks: x.mask, times: x.time };
          const goals = goalsFor(rng, batch, d, m.latent);

          // probabilities (CoPlayerModel)
          const goalBatch = { ...obsBatch, goals, goalDim: d };
          const pt = await toCoPlayerModel(model)(goalBatch);
          const po = await inf.coPlayerModel(goalBatch);
          expect(maxAbsDiff(po.probs, pt.probs)).toBeLessThan(TOL);
          // masked actions exactly 0, as in tfjs
          for (let k = 0; k < x.mask.length; k++) if (!x.mask[k]) expect(po.probs[k]).toBe(0);

          // logits and values (Evaluator)
          const goalRow = d > 0 ? goals.subarray(0, d) : undefined;
          const et = await toEvaluator(model, { goal: goalRow })(obsBatch);
          const eo = await (goalRow ? inf.evaluatorWithGoal(goalRow) : inf.evaluator)(obsBatch);
          expect(eo.logits.length).toBe(batch * model.numActions);
          expect(eo.values.length).toBe(batch);
          expect(maxAbsDiff(eo.logits, et.logits)).toBeLessThan(TOL);
          expect(maxAbsDiff(eo.values, et.values)).toBeLessThan(TOL);

          if (d > 0) {
            // shared goals [G, D] and per-row goals [B, G, D]
            const G = 3;
            const shared = m.latent ? goalsFor(rng, G, d, true) : oneHotGoals(d);
            const numShared = shared.length / d;
            const tShared = model.probsForGoals({ obs: x.obs, mask: x.mask, time: x.time }, shared);
            expect(maxAbsDiff(await inf.probsForGoals(obsBatch, shared), tShared.dataSync())).toBeLessThan(TOL);
            tShared.dispose();
            expect(numShared).toBeGreaterThan(0);
            const perRow = goalsFor(rng, batch * G, d, m.latent);
            const tPer = model.probsForGoals({ obs: x.obs, mask: x.mask, time: x.time }, tf.tensor3d(perRow, [batch, G, d]));
            expect(maxAbsDiff(await inf.probsForGoals(obsBatch, perRow, { perRow: true }), tPer.dataSync())).toBeLessThan(TOL);
            tPer.dispose();
          }
        } finally {
          await inf.dispose();
        }
      });

  it('refresh loads the weights of a training step: outputs follow tfjs again', async () => {
    const model = new MOAModel({ ...tinyGrid, seed: 11 });
    const inf = await createMOAInference(model, { engine: 'onnx' });
    try {
      const rng = new Rng(5);
      const batch = 64;
      const x = randomBatch(rng, batch, model.observationSize, model.numActions, model.goalDim);
      const goalBatch = { batch, observations: x.obs, masks: x.mask, times: x.time, goals: x.goal, goalDim: model.goalDim };
      const before = (await inf.coPlayerModel(goalBatch)).probs;
      const action = new Int32Array(batch);
      for (let b = 0; b < batch; b++) action[b] = x.mask.subarray(b * 5, b * 5 + 5).indexOf(1);
      const trainer = new MOATrainer(model, { learningRate: 0.05 });
      trainer.step({ obs: x.obs, mask: x.mask, time: x.time, goal: x.goal, action });
      const tfjsAfter = (await toCoPlayerModel(model)(goalBatch)).probs;
      // the stale session still gives the old outputs; after refresh, the new ones
      expect(maxAbsDiff(tfjsAfter, before)).toBeGreaterThan(1e-3);
      expect(maxAbsDiff((await inf.coPlayerModel(goalBatch)).probs, before)).toBeLessThan(TOL);
      const ms = await inf.refresh();
      expect(ms).toBeGreaterThan(0);
      expect(maxAbsDiff((await inf.coPlayerModel(goalBatch)).probs, tfjsAfter)).toBeLessThan(TOL);
      trainer.dispose?.();
    } finally {
      await inf.dispose();
      model.dispose();
    }
  });

  it('allocates no tensors and no growing state over repeated calls', async () => {
    const model = new MOAModel({ ...tinyGrid, seed: 12 });
    const inf = await createMOAInference(model, { engine: 'onnx' });
    try {
      const rng = new Rng(6);
      const x = randomBatch(rng, 16, model.observationSize, model.numActions, model.goalDim);
      const goalBatch = { batch: 16, observations: x.obs, masks: x.mask, times: x.time, goals: x.goal, goalDim: model.goalDim };
      await inf.coPlayerModel(goalBatch);
      await inf.probsForGoals(goalBatch, oneHotGoals(2));
      const tensors = tf.memory().numTensors;
      for (let k = 0; k < 50; k++) {
        await inf.coPlayerModel(goalBatch);
        await inf.probsForGoals(goalBatch, oneHotGoals(2));
        await inf.evaluatorWithGoal(Float32Array.of(1, 0))(goalBatch);
      }
      await inf.refresh();
      expect(tf.memory().numTensors).toBe(tensors);
    } finally {
      await inf.dispose();
      model.dispose();
    }
  });

  it('exports graphs holding every weight of the network', () => {
    const model = new MOAModel(MODELS[1].config);
    const bytes = exportMOAToOnnx(model);
    // plus two scalars: maxTime and the -1e9 mask floor
    expect(bytes.weightCount).toBe(model.net.countParams() + 2);
    expect(bytes.trunk && bytes.head).toBeTruthy();
    model.dispose();
  });

  it('rejects bad input with HopErrors', async () => {
    const model = new MOAModel({ ...tinyGrid, seed: 13 });
    const inf = await createMOAInference(model, { engine: 'onnx' });
    try {
      const x = randomBatch(new Rng(1), 2, model.observationSize, 5, 2);
      const ok = { batch: 2, observations: x.obs, masks: x.mask, times: x.time, goals: x.goal, goalDim: 2 };
      await expect(inf.coPlayerModel({ ...ok, goalDim: 3 })).rejects.toThrow(HopError);
      await expect(inf.coPlayerModel({ ...ok, observations: x.obs.subarray(1) })).rejects.toThrow(/observations/);
      await expect(inf.coPlayerModel({ ...ok, masks: new Uint8Array(10) })).rejects.toThrow(/no valid action/);
      expect(() => inf.evaluator(ok)).toThrow(/evaluatorWithGoal/);
      await expect(inf.probsForGoals(ok, new Float32Array(3))).rejects.toThrow(/goals has 3 values/);
    } finally {
      await inf.dispose();
      model.dispose();
    }
  });
});

describe('MOA inference engine choice', () => {
  it('HOP_INFERENCE=tfjs (or engine tfjs) gives the tfjs engine, with a reason, and tfjs outputs', async () => {
    const model = new MOAModel({ ...tinyGrid, seed: 14 });
    const saved = process.env.HOP_INFERENCE;
    process.env.HOP_INFERENCE = 'tfjs';
    try {
      const inf = await createMOAInference(model);
      expect(inf.engine).toBe('tfjs');
      expect(inf.reason).toMatch(/HOP_INFERENCE=tfjs/);
      const x = randomBatch(new Rng(2), 3, model.observationSize, 5, 2);
      const b = { batch: 3, observations: x.obs, masks: x.mask, times: x.time, goals: x.goal, goalDim: 2 };
      expect(maxAbsDiff((await inf.coPlayerModel(b)).probs, (await toCoPlayerModel(model)(b)).probs)).toBe(0);
      const t = model.probsForGoals({ obs: x.obs, mask: x.mask, time: x.time }, oneHotGoals(2));
      expect(maxAbsDiff(await inf.probsForGoals(b, oneHotGoals(2)), t.dataSync())).toBe(0);
      t.dispose();
      expect(await inf.refresh()).toBe(0);
      await inf.dispose();
      const explicit = await createMOAInference(model, { engine: 'tfjs' });
      expect(explicit.reason).toMatch(/engine 'tfjs' requested/);
    } finally {
      if (saved === undefined) delete process.env.HOP_INFERENCE;
      else process.env.HOP_INFERENCE = saved;
      model.dispose();
    }
  });

  it('auto picks ONNX Runtime exactly when onnxruntime-node loads', async () => {
    const model = new MOAModel({ ...tinyGrid, goalDim: 0, seed: 15 });
    const saved = process.env.HOP_INFERENCE;
    delete process.env.HOP_INFERENCE;
    try {
      const inf = await createMOAInference(model);
      expect(inf.engine).toBe(available ? 'onnx' : 'tfjs');
      expect(inf.reason).toMatch(available ? /onnxruntime-node .*available/ : /not installed, falling back to tfjs/);
      await inf.dispose();
    } finally {
      if (saved !== undefined) process.env.HOP_INFERENCE = saved;
      model.dispose();
    }
  });

  it('rejects an unknown HOP_INFERENCE value with a HopError', async () => {
    const model = new MOAModel({ ...tinyGrid, seed: 16 });
    const saved = process.env.HOP_INFERENCE;
    process.env.HOP_INFERENCE = 'fast';
    try {
      await expect(createMOAInference(model)).rejects.toThrow(/HOP_INFERENCE=fast is not an inference engine/);
    } finally {
      if (saved === undefined) delete process.env.HOP_INFERENCE;
      else process.env.HOP_INFERENCE = saved;
      model.dispose();
    }
  });
});

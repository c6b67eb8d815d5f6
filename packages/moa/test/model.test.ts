import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { HopError, Rng, initBackend } from '@hop/core';
import { MOAModel, oneHotGoals, toCoPlayerModel, toEvaluator } from '../src/index';
import { maxAbsDiff, randomBatch, tinyGrid } from './helpers';

beforeAll(async () => {
  await initBackend();
});

describe('MOAModel masking', () => {
  it('gives masked actions probability exactly 0 and rows summing to 1 (property)', () => {
    const model = new MOAModel(tinyGrid);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer(), (batch, seed) => {
        const x = randomBatch(new Rng(seed), batch, 75, 5, 2);
        const p = model.probs(x);
        const probs = p.dataSync();
        p.dispose();
        for (let b = 0; b < batch; b++) {
          let s = 0;
          for (let a = 0; a < 5; a++) {
            const v = probs[b * 5 + a];
            if (x.mask[b * 5 + a] === 0) expect(v).toBe(0);
            else expect(v).toBeGreaterThan(0);
            s += v;
          }
          expect(Math.abs(s - 1)).toBeLessThan(1e-5);
        }
      }),
      { numRuns: 25 },
    );
    model.dispose();
  });

  it('rejects a fully masked row with a HopError naming the row (typed array and tensor masks)', () => {
    const model = new MOAModel(tinyGrid);
    const x = randomBatch(new Rng(3), 4, 75, 5, 2);
    x.mask.fill(0, 2 * 5, 3 * 5);
    expect(() => model.probs(x)).toThrowError(/mask row 2 has no valid action/);
    const maskT = tf.tensor2d(x.mask, [4, 5], 'int32');
    try {
      model.probs({ ...x, mask: maskT });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(HopError);
      expect((e as HopError).code).toBe('E_MASK');
      expect((e as Error).message).toContain('row 2');
    }
    maskT.dispose();
    model.dispose();
  });

  it('masked logits are the raw logits plus -1e9 on invalid actions, finite everywhere', () => {
    const model = new MOAModel(tinyGrid);
    const x = randomBatch(new Rng(5), 3, 75, 5, 2);
    const maskedT = model.logits(x);
    const masked = maskedT.dataSync();
    maskedT.dispose();
    const raw = toEvaluator(model, { goal: new Float32Array([0, 0]) });
    // Same goal for every row to compare with the evaluator adapter.
    const goal = new Float32Array(6);
    const masked0 = model.logits({ ...x, goal });
    const r = raw({ batch: 3, observations: x.obs, masks: x.mask, times: x.time }) as { logits: Float32Array };
    const m0 = masked0.dataSync();
    masked0.dispose();
    for (let k = 0; k < 15; k++) {
      expect(Number.isFinite(masked[k])).toBe(true);
      if (x.mask[k]) expect(m0[k]).toBeCloseTo(r.logits[k], 5);
      else expect(m0[k]).toBeLessThan(-1e8);
    }
    model.dispose();
  });
});

describe('MOAModel batched API', () => {
  it('probsForGoals equals G separate calls, in one network call', () => {
    const model = new MOAModel(tinyGrid);
    const rng = new Rng(11);
    const x = randomBatch(rng, 7, 75, 5, 2);
    const goals = new Float32Array([1, 0, 0, 1, 0.5, -2]); // G = 3
    // One batched pass: the trunk's first conv and the head's FC layer each run exactly once.
    const calls: string[] = [];
    const spies = ['moa_conv0', 'moa_fc'].map((name) => {
      const layer = model.net.getLayer(name);
      const call = layer.call.bind(layer);
      layer.call = ((...args: Parameters<typeof call>) => {
        calls.push(name);
        return call(...args);
      }) as typeof call;
      return () => (layer.call = call);
    });
    const all = model.probsForGoals(x, goals);
    spies.forEach((restore) => restore());
    expect(calls.sort()).toEqual(['moa_conv0', 'moa_fc']);
    expect(all.shape).toEqual([7, 3, 5]);
    const got = all.arraySync();
    all.dispose();
    for (let g = 0; g < 3; g++) {
      const goal = new Float32Array(14);
      for (let b = 0; b < 7; b++) goal.set(goals.subarray(g * 2, g * 2 + 2), b * 2);
      const p = model.probs({ ...x, goal });
      const sep = p.arraySync();
      p.dispose();
      for (let b = 0; b < 7; b++) expect(maxAbsDiff(got[b][g], sep[b])).toBeLessThan(1e-6);
    }
    model.dispose();
  });

  it('probsForGoals takes per-row goals [B, G, D]', () => {
    const model = new MOAModel(tinyGrid);
    const x = randomBatch(new Rng(12), 4, 75, 5, 2);
    const perRow = tf.tensor3d(new Float32Array(4 * 2 * 2).map((_, i) => Math.sin(i)), [4, 2, 2]);
    const all = model.probsForGoals(x, perRow);
    const got = all.arraySync();
    const rows = perRow.arraySync();
    for (let g = 0; g < 2; g++) {
      const goal = new Float32Array(rows.flatMap((r) => r[g]));
      const p = model.probs({ ...x, goal });
      const sep = p.arraySync();
      p.dispose();
      for (let b = 0; b < 4; b++) expect(maxAbsDiff(got[b][g], sep[b])).toBeLessThan(1e-6);
    }
    tf.dispose([all, perRow]);
    model.dispose();
  });

  it('sample is seeded, never picks a masked action and follows the probabilities', () => {
    const model = new MOAModel(tinyGrid);
    const one = randomBatch(new Rng(2), 1, 75, 5, 2);
    const n = 2000;
    const rep = (a: Uint8Array | Float32Array, per: number) => {
      const out = new (a.constructor as { new (n: number): typeof a })(n * per);
      for (let b = 0; b < n; b++) out.set(a.subarray(0, per), b * per);
      return out;
    };
    const x = { obs: rep(one.obs, 75) as Float32Array, mask: rep(one.mask, 5) as Uint8Array, time: rep(one.time, 1) as Float32Array, goal: rep(one.goal, 2) as Float32Array };
    const a1 = model.sample(x, new Rng(42));
    const a2 = model.sample(x, new Rng(42));
    expect(a1).toEqual(a2);
    expect(model.sample(x, new Rng(43))).not.toEqual(a1); // different-seed control
    const p = model.probs(one);
    const probs = p.dataSync();
    p.dispose();
    const counts = new Array(5).fill(0);
    for (const a of a1) counts[a]++;
    for (let a = 0; a < 5; a++) {
      if (!one.mask[a]) expect(counts[a]).toBe(0);
      // 4.5 standard deviations of a binomial proportion
      expect(Math.abs(counts[a] / n - probs[a])).toBeLessThan(4.5 * Math.sqrt((probs[a] * (1 - probs[a])) / n) + 1e-9);
    }
    model.dispose();
  });

  it('value is one number per row and matches the evaluator adapter', () => {
    const model = new MOAModel({ ...tinyGrid, goalDim: 0 });
    const x = randomBatch(new Rng(8), 6, 75, 5, 0);
    const v = model.value({ obs: x.obs, mask: x.mask, time: x.time });
    expect(v.shape).toEqual([6]);
    const ev = toEvaluator(model)({ batch: 6, observations: x.obs, masks: x.mask, times: x.time }) as {
      values: Float32Array;
    };
    expect(maxAbsDiff(v.dataSync(), ev.values)).toBeLessThan(1e-6);
    v.dispose();
    model.dispose();
  });

  it('CoPlayerModel adapter returns the masked probabilities of the model', () => {
    const model = new MOAModel(tinyGrid);
    const x = randomBatch(new Rng(9), 5, 75, 5, 2);
    const out = toCoPlayerModel(model)({
      batch: 5,
      observations: x.obs,
      masks: x.mask,
      times: x.time,
      goals: x.goal,
      goalDim: 2,
    }) as { probs: Float32Array };
    const p = model.probs(x);
    expect(maxAbsDiff(out.probs, p.dataSync())).toBe(0);
    p.dispose();
    expect(() => toCoPlayerModel(model)({ batch: 5, observations: x.obs, masks: x.mask, times: x.time, goals: x.goal, goalDim: 3 })).toThrow(
      HopError,
    );
    model.dispose();
  });

  it('works on flat vector observations (MLP trunk) and any number of actions', () => {
    const model = new MOAModel({ observationShape: [13], numActions: 9, goalDim: 4, maxTime: 100, mlpUnits: [16, 16], hiddenUnits: 16 });
    expect(model.net.layers.some((l) => l.getClassName() === 'Conv2D')).toBe(false);
    const x = randomBatch(new Rng(4), 3, 13, 9, 4);
    const p = model.probsForGoals(x, oneHotGoals(4));
    expect(p.shape).toEqual([3, 4, 9]);
    const s = p.sum(2).dataSync();
    for (const v of s) expect(Math.abs(v - 1)).toBeLessThan(1e-5);
    tf.dispose([p]);
    model.dispose();
  });

  it('the same seed builds the same weights, another seed other weights', () => {
    const a = new MOAModel(tinyGrid);
    const b = new MOAModel(tinyGrid);
    const c = new MOAModel({ ...tinyGrid, seed: 2 });
    const w = (m: MOAModel) => m.net.getWeights().map((t) => Array.from(t.dataSync()));
    expect(w(a)).toEqual(w(b));
    expect(w(a)[0]).not.toEqual(w(c)[0]);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('rejects wrong sizes, goals on an unconditioned model and bad configs with HopErrors', () => {
    const model = new MOAModel(tinyGrid);
    const x = randomBatch(new Rng(1), 2, 75, 5, 2);
    expect(() => model.probs({ ...x, obs: x.obs.subarray(1) })).toThrowError(/obs has 149 values, expected 150/);
    expect(() => model.probs({ ...x, goal: undefined })).toThrowError(/goal-conditioned/);
    expect(() => new MOAModel({ ...tinyGrid, observationShape: [5, 5] })).toThrowError(/\[H, W, 1\]/);
    expect(() => new MOAModel({ ...tinyGrid, numActions: 0 })).toThrowError(/numActions/);
    expect(() => new MOAModel({ ...tinyGrid, bogus: 1 } as never)).toThrowError(/bogus/);
    const free = new MOAModel({ ...tinyGrid, goalDim: 0 });
    expect(() => free.probs(x)).toThrowError(/goalDim 0/);
    expect(() => free.probsForGoals(x, oneHotGoals(2))).toThrow(HopError);
    free.dispose();
    model.dispose();
  });

  it('leaks no tensors over many calls', () => {
    const model = new MOAModel({ ...tinyGrid, maskAsInput: true });
    const x = randomBatch(new Rng(6), 8, 75, 5, 2);
    const co = toCoPlayerModel(model);
    const ev = toEvaluator(model, { goal: new Float32Array([1, 0]) });
    const rng = new Rng(0);
    const run = () => {
      tf.dispose([model.probs(x), model.logits(x), model.logProbs(x), model.value(x), model.probsForGoals(x, oneHotGoals(2))]);
      model.sample(x, rng);
      co({ batch: 8, observations: x.obs, masks: x.mask, times: x.time, goals: x.goal, goalDim: 2 });
      ev({ batch: 8, observations: x.obs, masks: x.mask, times: x.time });
    };
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) run();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    // Building and disposing a model frees every weight (the trunk and head share the network's layers).
    const base = tf.memory().numTensors;
    new MOAModel(tinyGrid).dispose();
    expect(tf.memory().numTensors).toBe(base);
  });
});

describe('MOAModel inputs (review)', () => {
  it('divides time by maxTime: (t, maxTime) and (2t, 2 maxTime) give the same outputs, and time matters', () => {
    const a = new MOAModel({ ...tinyGrid, maxTime: 20 });
    const b = new MOAModel({ ...tinyGrid, maxTime: 40 });
    const x = randomBatch(new Rng(21), 4, 75, 5, 2);
    const pa = a.probs(x);
    const pb = b.probs({ ...x, time: x.time.map((t) => 2 * t) });
    const pc = a.probs({ ...x, time: x.time.map((t) => t + 10) });
    expect(maxAbsDiff(pa.dataSync(), pb.dataSync())).toBeLessThan(1e-6);
    expect(maxAbsDiff(pa.dataSync(), pc.dataSync())).toBeGreaterThan(1e-6);
    tf.dispose([pa, pb, pc]);
    a.dispose();
    b.dispose();
  });

  it('toEvaluator refuses a goal for a model without goal input', () => {
    const free = new MOAModel({ ...tinyGrid, goalDim: 0 });
    expect(() => toEvaluator(free, { goal: new Float32Array([1, 0]) })).toThrowError(/goalDim 0/);
    free.dispose();
  });
});


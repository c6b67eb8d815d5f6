import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HopError, Rng, initBackend } from '@hop/core';
import { MOAModel, MOATrainer, PairRegistry, loadMOA, loadPairRegistry, saveMOA, savePairRegistry } from '../src/index';
import { maxAbsDiff, sqDist, tinyGrid } from './helpers';
import { syntheticDataset } from './synthetic';

let dir: string;
beforeAll(async () => {
  await initBackend();
  dir = await mkdtemp(join(tmpdir(), 'hop-moa-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const data = syntheticDataset(24, 3);
const probsOf = (m: MOAModel) => {
  const p = m.probs(data);
  const v = Float32Array.from(p.dataSync());
  p.dispose();
  return v;
};
const weightsOf = (m: MOAModel) => m.net.getWeights().map((t) => Float32Array.from(t.dataSync()));

describe('PairRegistry', () => {
  it('names n(n-1) pairs and shares the generic weights until a pair is updated', () => {
    const generic = new MOAModel(tinyGrid);
    const before = tf.memory().numTensors;
    const reg = new PairRegistry(generic, 3);
    expect(reg.keys()).toEqual(['player_0_to_1', 'player_0_to_2', 'player_1_to_0', 'player_1_to_2', 'player_2_to_0', 'player_2_to_1']);
    for (const [i, j] of reg.pairs()) {
      expect(reg.model(i, j)).toBe(generic);
      expect(reg.isShared(i, j)).toBe(true);
    }
    // Sharing allocates nothing.
    expect(tf.memory().numTensors).toBe(before);
    const p0 = probsOf(generic);
    const w0 = weightsOf(generic);

    // One update of pair 0 -> 1 gives it its own weights; nobody else changes.
    reg.trainer(0, 1).step(data);
    expect(reg.isShared(0, 1)).toBe(false);
    expect(reg.model(0, 1)).not.toBe(generic);
    expect(maxAbsDiff(probsOf(reg.model(0, 1)), p0)).toBeGreaterThan(1e-4);
    weightsOf(generic).forEach((w, i) => expect(maxAbsDiff(w, w0[i])).toBe(0));
    expect(maxAbsDiff(probsOf(reg.model(1, 0)), p0)).toBe(0);
    expect(reg.model(1, 0)).toBe(generic);
    expect(reg.ownedKeys()).toEqual(['player_0_to_1']);

    // A detached pair starts equal to the generic model.
    expect(maxAbsDiff(probsOf(reg.detach(2, 1)), p0)).toBe(0);
    expect(() => reg.model(1, 1)).toThrowError(/no pair 1 -> 1/);
    expect(() => new PairRegistry(generic, 1)).toThrow(HopError);
    reg.dispose();
    generic.dispose();
  });

  it('saves the generic model once and only the pairs with their own weights; loads them all back', async () => {
    const generic = new MOAModel(tinyGrid);
    const reg = new PairRegistry(generic, 3, { learningRate: 1e-3 });
    reg.trainer(0, 1).step(data);
    reg.trainer(2, 0).step(data);
    reg.trainer(2, 0).step(data);
    const path = join(dir, 'pairs');
    await savePairRegistry(path, reg);
    expect((await readdir(path)).filter((f) => f.startsWith('player_') || f === 'generic').sort()).toEqual([
      'generic',
      'player_0_to_1',
      'player_2_to_0',
    ]);
    const back = await loadPairRegistry(path);
    expect(back.ownedKeys().sort()).toEqual(['player_0_to_1', 'player_2_to_0']);
    expect(back.trainConfig).toMatchObject({ learningRate: 1e-3 });
    for (const [i, j] of reg.pairs()) {
      expect(back.isShared(i, j)).toBe(reg.isShared(i, j));
      expect(maxAbsDiff(probsOf(back.model(i, j)), probsOf(reg.model(i, j)))).toBe(0);
    }
    // Adam state came back too: one more step gives identical weights.
    reg.trainer(2, 0).step(data);
    back.trainer(2, 0).step(data);
    const a = weightsOf(reg.model(2, 0));
    weightsOf(back.model(2, 0)).forEach((w, i) => expect(maxAbsDiff(w, a[i])).toBeLessThan(1e-6));
    back.dispose();
    back.generic.dispose();
    reg.dispose();
    generic.dispose();
  });
});

describe('PairRegistry.anchorTo', () => {

  it("anchors each pair's trainer to the source's model of the same pair; saves and loads the anchors", async () => {
    // The source: a "pretrained" registry whose pair 0 -> 1 has its own weights, the rest share its generic.
    const srcGeneric = new MOAModel({ ...tinyGrid, seed: 5 });
    // Trained a little: a model rebuilt from the saved config (same seed) would not have these weights.
    const pre = new MOATrainer(srcGeneric, { learningRate: 1e-2 });
    pre.step(data);
    pre.dispose();
    const src = new PairRegistry(srcGeneric, 3);
    src.adopt(0, 1, new MOAModel({ ...tinyGrid, seed: 6 }));
    const generic = new MOAModel(tinyGrid);
    const reg = new PairRegistry(generic, 3, { learningRate: 1e-3, anchorWeight: 0.5 });
    reg.anchorTo(src);
    expect(reg.anchors).toBe(src);
    const r01 = reg.trainer(0, 1).step(data);
    const r20 = reg.trainer(2, 0).step(data);
    // Each penalty is measured against that pair's own anchor (before the step the pair had the generic weights).
    expect(r01.anchor).toBeCloseTo(0.5 * sqDist(generic, src.model(0, 1)), 2);
    expect(r20.anchor).toBeCloseTo(0.5 * sqDist(generic, srcGeneric), 2);
    expect(r01.anchor).not.toBeCloseTo(r20.anchor ?? 0, 1);
    expect(() => reg.anchorTo(new PairRegistry(new MOAModel(tinyGrid), 3))).toThrowError(/trainers already exist/);
    reg.anchorTo(src); // the same source again: nothing changes (it is not disposed and re-used)
    expect(reg.anchors).toBe(src);
    const sharing = new PairRegistry(new MOAModel(tinyGrid), 3);
    expect(() => sharing.anchorTo(new PairRegistry(sharing.generic, 3))).toThrowError(/shares models with this one/);
    sharing.dispose();
    sharing.generic.dispose();

    const path = join(dir, 'anchored');
    await savePairRegistry(path, reg);
    const back = await loadPairRegistry(path);
    expect(back.trainConfig).toMatchObject({ anchorWeight: 0.5 });
    expect(back.anchors?.ownedKeys()).toEqual(['player_0_to_1']);
    expect(maxAbsDiff(probsOf(back.anchors!.model(0, 1)), probsOf(src.model(0, 1)))).toBe(0);
    expect(maxAbsDiff(probsOf(back.anchors!.model(1, 2)), probsOf(srcGeneric))).toBe(0);
    // The loaded registry trains on exactly as the saved one (anchor and Adam state back).
    const a = reg.trainer(0, 1).step(data);
    const b = back.trainer(0, 1).step(data);
    expect(b.anchor).toBeCloseTo(a.anchor ?? NaN, 5);
    const wa = weightsOf(reg.model(0, 1));
    weightsOf(back.model(0, 1)).forEach((w, i) => expect(maxAbsDiff(w, wa[i])).toBeLessThan(1e-6));
    back.dispose();
    back.generic.dispose();
    const before = tf.memory().numTensors;
    reg.dispose(); // disposes the anchor registry and its generic too
    expect(tf.memory().numTensors).toBeLessThan(before);
    expect(() => srcGeneric.net.weights[0].read()).toThrowError(/disposed/);
    generic.dispose();
  });

  it('refuses a checkpoint whose training is anchored but holds no anchors, and a self-anchor', async () => {
    const generic = new MOAModel(tinyGrid);
    const reg = new PairRegistry(generic, 2, { anchorWeight: 0.5 });
    expect(() => reg.anchorTo(reg)).toThrowError(/cannot anchor to itself/);
    expect(() => reg.trainer(0, 1)).toThrowError(/anchorWeight > 0 needs anchor weights/);
    const path = join(dir, 'anchorless');
    await savePairRegistry(path, reg);
    await expect(loadPairRegistry(path)).rejects.toThrowError(/holds no anchor models/);
    reg.dispose();
    generic.dispose();
  });
});

describe('saveMOA / loadMOA', () => {
  it('round-trips the model exactly, and the trainer continues identically', async () => {
    const model = new MOAModel({ ...tinyGrid, maskAsInput: true, seed: 9 });
    const t = new MOATrainer(model, { classWeights: [1, 2, 1, 1, 3] });
    t.fit(data, { epochs: 1, minibatch: 8, rng: new Rng(1) });
    const path = join(dir, 'moa');
    await saveMOA(path, model, { trainer: t, extra: { epoch: 1 } });
    const { model: back, trainer, meta } = await loadMOA(path);
    expect(meta.extra).toEqual({ epoch: 1 });
    expect(back.config).toEqual(model.config);
    expect(maxAbsDiff(probsOf(back), probsOf(model))).toBe(0);
    const v1 = model.value(data);
    const v2 = back.value(data);
    expect(maxAbsDiff(v1.dataSync(), v2.dataSync())).toBe(0);
    tf.dispose([v1, v2]);
    expect(trainer?.config.classWeights).toEqual([1, 2, 1, 1, 3]);
    const r1 = t.step(data);
    const r2 = trainer!.step(data);
    expect(r2.loss).toBeCloseTo(r1.loss, 6);
    const w = weightsOf(model);
    weightsOf(back).forEach((x, i) => expect(maxAbsDiff(x, w[i])).toBeLessThan(1e-6));
    // Without a trainer only the model is saved.
    await saveMOA(join(dir, 'bare'), model);
    const bare = await loadMOA(join(dir, 'bare'));
    expect(bare.trainer).toBeNull();
    await expect(loadMOA(join(dir, 'pairs-none'))).rejects.toThrow(HopError);
    [trainer!, t].forEach((x) => x.dispose());
    [back, model, bare.model].forEach((m) => m.dispose());
  });

  it('refuses a checkpoint of another kind', async () => {
    const generic = new MOAModel(tinyGrid);
    const reg = new PairRegistry(generic, 2);
    await savePairRegistry(join(dir, 'pairs2'), reg);
    await expect(loadMOA(join(dir, 'pairs2'))).rejects.toThrow(HopError);
    generic.dispose();
  });
});

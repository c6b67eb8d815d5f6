import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, initBackend, saveCheckpoint } from '@hop/core';
import { stagHuntLayout } from '../src/layout';
import { loadWorldModel, saveWorldModel } from '../src/model/checkpoint';
import { WorldModel, type ModelInputs } from '../src/model/world-model';
import { networkParams } from '../src/model/network';

const dirs: string[] = [];
beforeAll(async () => {
  await initBackend();
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'hop-wm-model-'));
  dirs.push(d);
  return d;
};

const layout = stagHuntLayout({ height: 4, width: 5, players: 2 });
const G = 4 * 5 * 5;
const small = {
  layout,
  finalTime: 20,
  direct: { layers: [{ filters: 6, kernel: 3 }, { filters: 6, kernel: 1 }] },
  latent: { encoderFilters: 4, latentDim: 8, dynamicsUnits: 12, decoderFilters: 4 },
  headUnits: 5,
};

/** Random binary grids, joint actions (some players done) and times. */
function inputs(n: number, seed: number): ModelInputs {
  const rng = new Rng(seed);
  return {
    size: n,
    obs: Float32Array.from({ length: n * G }, () => (rng.next() < 0.15 ? 1 : 0)),
    jointAction: Int32Array.from({ length: n * 2 }, () => rng.int(8) - 1),
    time: Float32Array.from({ length: n }, () => rng.int(20)),
  };
}

function randomiseWeights(m: WorldModel, seed: number): void {
  const rng = new Rng(seed);
  m.network.setWeights(m.network.getWeights().map((w) => tf.tidy(() => tf.randomNormal(w.shape, 0, 0.5, 'float32', rng.uint32()))));
}

describe('WorldModel', () => {
  it('networkParams counts the built network\'s weights from the shapes (both archs, with and without action planes)', () => {
    // Direct, small, no action planes, by hand: grid 5 + 1 channels, cond 2 x 7 + 1 = 15; conv3x3 6x6 + 6 = 330,
    // cond bias 15 x 6 = 90, conv1x1 6 x 6 + 6 = 42, delta 6 x 5 + 5 = 35, head (18 + 15) x 5 + 5 = 170 and 5 x 3 + 3 = 18.
    const direct = new WorldModel({ ...small, actionPlanes: false });
    expect(networkParams(direct.config, layout)).toBe(330 + 90 + 42 + 35 + 170 + 18);
    expect(networkParams(direct.config, layout)).toBe(direct.network.countParams());
    direct.dispose();
    for (const arch of ['direct', 'latent'] as const)
      for (const actionPlanes of [false, true]) {
        const m = new WorldModel({ ...small, arch, actionPlanes, direct: { layers: [{ filters: 6, kernel: 3 }, { filters: 7, kernel: 3 }, { filters: 5, kernel: 1 }] } });
        expect(networkParams(m.config, layout), `${arch} ${actionPlanes}`).toBe(m.network.countParams());
        m.dispose();
      }
  });

  it('encodes actions one-hot per player (zeros for done players) and scaled time', () => {
    const m = new WorldModel(small);
    const cond = m.condArray({ size: 1, obs: new Float32Array(G), jointAction: Int32Array.of(6, -1), time: [5] });
    const want = new Float32Array(2 * 7 + 1);
    want[6] = 1;
    want[14] = 5 * 0.02;
    expect(cond).toEqual(want);
    m.dispose();
  });

  for (const arch of ['direct', 'latent'] as const) {
    describe(arch, () => {
      it('predicts grids in [0, 1] and hunt-outcome distributions; the direct model starts at "nothing changes"', async () => {
        const m = new WorldModel({ ...small, arch });
        const b = inputs(6, 1);
        const p = await m.predict(b);
        // direct: zero-initialised residual output; latent: a random decoder moves things from the start
        if (arch === 'direct') expect(p.next).toEqual(b.obs);
        else expect(p.next.some((v, i) => v !== b.obs[i])).toBe(true);
        expect(p.next.every((v) => v >= 0 && v <= 1)).toBe(true);
        // one distribution over [nothing, caught a stag, caught a hare] per row
        expect(p.outcome.length).toBe(6 * 3);
        for (let k = 0; k < 6; k++) {
          expect(p.outcome[3 * k] + p.outcome[3 * k + 1] + p.outcome[3 * k + 2]).toBeCloseTo(1, 6);
          expect(Math.min(...p.outcome.subarray(3 * k, 3 * k + 3))).toBeGreaterThan(0);
        }
        m.dispose();
      });

      it('copies static channels whatever the weights, with or without residual', async () => {
        for (const residual of [true, false]) {
          const m = new WorldModel({ ...small, arch, residual });
          randomiseWeights(m, 3);
          const b = inputs(5, 2);
          const p = await m.predict(b);
          for (let i = 2; i < 5 * G; i += 5) expect(p.next[i]).toBe(b.obs[i]); // channel 2: obstacle
          expect(p.next.every((v) => v >= 0 && v <= 1)).toBe(true);
          expect(p.next.some((v, i) => v !== b.obs[i])).toBe(true); // the dynamic channels do move
          m.dispose();
        }
      });

      it('builds the same network from the same seed, another from another seed', () => {
        const a = new WorldModel({ ...small, arch, seed: 4 });
        const b = new WorldModel({ ...small, arch, seed: 4 });
        const c = new WorldModel({ ...small, arch, seed: 5 });
        const wa = a.network.getWeights().map((w) => Array.from(w.dataSync()));
        expect(b.network.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(wa);
        expect(c.network.getWeights().map((w) => Array.from(w.dataSync()))).not.toEqual(wa);
        [a, b, c].forEach((m) => m.dispose());
      });

      it('saves and loads to identical predictions', async () => {
        const m = new WorldModel({ ...small, arch });
        randomiseWeights(m, 8);
        const dir = join(tmp(), 'ckpt');
        await saveWorldModel(dir, m);
        const { model, meta } = await loadWorldModel(dir);
        expect(meta.kind).toBe('world-model');
        expect(model.config).toEqual(m.config);
        const b = inputs(7, 9);
        const [p, q] = [await m.predict(b), await model.predict(b)];
        expect(q.next).toEqual(p.next);
        expect(q.outcome).toEqual(p.outcome);
        m.dispose();
        model.dispose();
      });
    });
  }

  it('does not leak tensors over many predictions', async () => {
    const m = new WorldModel(small);
    const b = inputs(4, 3);
    await m.predict(b);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) await m.predict(b);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('refuses configs without a layout, bad channel weights, and other checkpoints, with clear errors', async () => {
    expect(() => new WorldModel({})).toThrow(/no layout/);
    expect(() => new WorldModel({ ...small, channelWeights: [1, 2] })).toThrow(/channelWeights has 2 entries but the grid has 5 channels/);
    expect(() => new WorldModel({ ...small, arch: 'transformer' })).toThrow(/arch/);
    expect(() => new WorldModel({ ...small, direct: { layers: [{ filters: 4, kernel: 2 }] } })).toThrow(/odd/);
    const dir = join(tmp(), 'other');
    const other = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
    await saveCheckpoint(dir, { kind: 'moa', config: {}, models: { net: other } });
    await expect(loadWorldModel(dir)).rejects.toThrow(/'moa' checkpoint, expected 'world-model'/);
    other.dispose();
  });

  it('refuses a checkpoint of the old format (reward regression and done heads) with E_WORLD_MODEL_FORMAT', async () => {
    const m = new WorldModel(small);
    const dir = join(tmp(), 'format-1');
    // what format 1 wrote: the same record without `format` (and with its reward / done fields)
    const { format: _, ...old } = m.config;
    await saveCheckpoint(dir, { kind: 'world-model', config: { ...old, rewardScale: 0.2, doneWeight: 0.1 }, models: { network: m.network } });
    const e = await loadWorldModel(dir).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E_WORLD_MODEL_FORMAT' });
    expect(String(e)).toMatch(/format 1; this version reads format 2.*Retrain it: hop collect --explore/s);
    m.dispose();
  });
});

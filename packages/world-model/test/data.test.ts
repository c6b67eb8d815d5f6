import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng, writeNpy } from '@hop/core';
import { collect } from '@hop/env-staghunt';
import { loadTransitionDataset, openTransitionData, splitTransitions, TransitionDataset } from '../src/data/dataset';
import { gridSizeOf, stagHuntLayout } from '../src/layout';
import { StateCodec } from '../src/sim/state';
import { collectTinyDataset, TinyWorld, tinyLayout } from './helpers/tiny-world';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'hop-wm-data-'));
  dirs.push(d);
  return d;
};

/** Writes a hand-made 3-row dataset of a 2x2 grid with 1 player (C = 4, flat rows 7 + 16). */
async function writeTiny(dir: string, opts: { meta?: boolean; skip?: string[] } = {}) {
  const n = 3;
  const D = 7 + 16;
  const obs = Float32Array.from({ length: n * D }, (_, i) => (i % 5) / 4);
  const next = Float32Array.from({ length: n * D }, (_, i) => (i % 3) / 2);
  const cols: Record<string, Parameters<typeof writeNpy>[1]> = {
    obs: { dtype: 'float32', shape: [n, D], data: obs },
    next_obs: { dtype: 'float32', shape: [n, D], data: next },
    joint_action: { dtype: 'int32', shape: [n, 1], data: Int32Array.of(3, 4, -1) },
    reward: { dtype: 'float32', shape: [n], data: Float32Array.of(0, 1, 0.5) },
    done: { dtype: 'uint8', shape: [n], data: Uint8Array.of(0, 1, 0) },
    time: { dtype: 'int32', shape: [n], data: Int32Array.of(0, 1, 0) },
    episode: { dtype: 'int32', shape: [n], data: Int32Array.of(0, 0, 1) },
    env_id: { dtype: 'int32', shape: [n], data: Int32Array.of(0, 0, 0) },
  };
  for (const [name, a] of Object.entries(cols)) if (!opts.skip?.includes(name)) await writeNpy(join(dir, `${name}.npy`), a);
  if (opts.meta !== false)
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ observation: { gridShape: [2, 2, 4] }, config: { finalTime: 9 } }));
  return { obs, next };
}

describe('loadTransitionDataset', () => {
  it('reads the collector columns, strips the mask and gathers rows in any order', async () => {
    const dir = tmp();
    const { obs, next } = await writeTiny(dir);
    const ds = await loadTransitionDataset(dir);
    expect(ds.size).toBe(3);
    expect(ds.layout).toEqual(stagHuntLayout({ height: 2, width: 2, players: 1 }));
    expect(ds.finalTime).toBe(9);
    expect(ds.maxTime).toBe(1);
    const b = ds.gather([2, 0]);
    expect(b.obs).toEqual(Float32Array.from([...obs.subarray(2 * 23 + 7, 3 * 23), ...obs.subarray(7, 23)]));
    expect(b.nextObs).toEqual(Float32Array.from([...next.subarray(2 * 23 + 7, 3 * 23), ...next.subarray(7, 23)]));
    expect(Array.from(b.jointAction)).toEqual([-1, 3]);
    expect(Array.from(b.reward)).toEqual([0.5, 0]);
    expect(Array.from(b.time)).toEqual([0, 0]);
    expect(() => ds.gather([3])).toThrow(/outside the dataset/);
  });

  it('infers a square grid without meta.json', async () => {
    const dir = tmp();
    await writeTiny(dir, { meta: false });
    expect((await loadTransitionDataset(dir)).layout.height).toBe(2);
  });

  it('fails clearly on datasets of an older collector and on broken ones', async () => {
    const old = tmp();
    await writeTiny(old, { skip: ['next_obs', 'joint_action'] });
    await expect(loadTransitionDataset(old)).rejects.toThrow(/older collector \(no next_obs.npy \/ joint_action.npy\).*re-collect/);
    const none = tmp();
    await expect(loadTransitionDataset(none)).rejects.toThrow(/not a transition dataset \(missing obs.npy, reward.npy, done.npy, time.npy\)/);
    await expect(loadTransitionDataset(join(none, 'nope'))).rejects.toThrow(/no such dataset directory/);
    const short = tmp();
    await writeTiny(short);
    unlinkSync(join(short, 'reward.npy'));
    await writeNpy(join(short, 'reward.npy'), { dtype: 'float32', shape: [2], data: new Float32Array(2) });
    await expect(loadTransitionDataset(short)).rejects.toThrow(/reward.npy has 2 rows, obs.npy has 3/);
    const wrong = tmp();
    await writeTiny(wrong);
    writeFileSync(join(wrong, 'meta.json'), JSON.stringify({ observation: { gridShape: [3, 3, 4] } }));
    await expect(loadTransitionDataset(wrong)).rejects.toThrow(/obs rows have 23 values, the layout 3x3x4 with 7 mask entries needs 43/);
  });
});

describe('splitTransitions', () => {
  const world = new TinyWorld(tinyLayout(), { minHunters: [1], reward: [1], finalTime: 6 });
  const ds = collectTinyDataset(world, new Rng(2), 30, { obstacles: 1, prey: [1] });

  it('keeps whole episodes on one side, covers every row once, and repeats with the seed', () => {
    const { train, val } = splitTransitions(ds, { valFraction: 0.2, seed: 3 });
    const all = [...train.rows, ...val.rows].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: ds.size }, (_, i) => i));
    const episodeOf = new Map<number, number>();
    ds.episodes().forEach((rows, e) => rows.forEach((r) => episodeOf.set(r, e)));
    const valEpisodes = new Set([...val.rows].map((r) => episodeOf.get(r)));
    for (const r of train.rows) expect(valEpisodes.has(episodeOf.get(r))).toBe(false);
    expect(valEpisodes.size).toBe(6);
    const again = splitTransitions(ds, { valFraction: 0.2, seed: 3 });
    expect(again.val.rows).toEqual(val.rows);
    expect(splitTransitions(ds, { valFraction: 0.2, seed: 4 }).val.rows).not.toEqual(val.rows);
    // subsets gather through to their parent's rows
    expect(val.gather([1]).obs).toEqual(ds.gather([val.rows[1]]).obs);
  });

  it('rejects a split that cannot be made', () => {
    expect(() => splitTransitions(ds, { valFraction: 1 })).toThrow(/valFraction must be in \(0, 1\)/);
    const one = TransitionDataset.fromColumns(tinyLayout(), {
      obs: new Float32Array(36),
      nextObs: new Float32Array(36),
      jointAction: new Int32Array(2),
      reward: new Float32Array(1),
      done: new Uint8Array(1),
      time: new Float32Array(1),
      episodeKey: Float64Array.of(0),
    });
    expect(() => splitTransitions(one)).toThrow(/1 episode\(s\)/);
  });
});

describe('data of the stag-hunt collector', () => {
  it('loads with the right layout, and every observation is a valid state the adapter re-renders exactly', async () => {
    const dir = join(tmp(), 'msh');
    await collect({ preset: 'small-2p', population: 'mixed', episodes: 12, seed: 1, out: dir });
    const { dataset, train, val } = await openTransitionData(dir, { valFraction: 0.25, seed: 0 });
    expect(dataset.layout).toEqual(stagHuntLayout({ height: 4, width: 4, players: 2 }));
    expect(dataset.finalTime).toBe(20);
    expect(train.size + val.size).toBe(dataset.size);
    const codec = new StateCodec(dataset.layout, 20);
    const G = gridSizeOf(dataset.layout);
    const b = dataset.gather(Int32Array.from({ length: dataset.size }, (_, i) => i));
    const st = new Int32Array(codec.stateWords);
    const back = new Float32Array(G);
    for (let k = 0; k < b.size; k++) {
      for (const grid of [b.obs, b.nextObs]) {
        codec.encode(grid, k * G, 0, 0, st, 0);
        codec.render(st, 0, 0, back, 0);
        expect(back).toEqual(grid.subarray(k * G, (k + 1) * G));
      }
      // the observer acts (it is in play), done players are -1
      expect(b.jointAction[k * 2]).toBeGreaterThanOrEqual(0);
    }
  });
});

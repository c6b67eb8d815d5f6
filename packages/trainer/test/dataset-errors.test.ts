import { cpSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openTrainingData } from '../src/data/dataset';
import { errorOf, tempDir, tinyDataset } from './helpers';

describe('missing and corrupt datasets give named errors', () => {
  let good: string;
  const root = tempDir('bad-data');
  const copy = (name: string) => {
    const d = join(root, name);
    cpSync(good, d, { recursive: true });
    return d;
  };
  const split = { valFraction: 0.2, seed: 0 };

  beforeAll(async () => {
    good = await tinyDataset(join(root, 'good'), 20, 1);
  });

  it('a good dataset opens and splits by episode', () => {
    const d = openTrainingData(good, split);
    expect(d.train.length + d.val.length).toBe(d.dataset.size);
    const ep = d.dataset.episodes();
    const trainEpisodes = new Set(Array.from(d.train, (i) => ep[i]));
    for (const i of d.val) expect(trainEpisodes.has(ep[i])).toBe(false);
    expect(d.gridShape).toEqual([4, 4, 5]);
    d.dataset.close();
  });

  it('a directory that does not exist: E_DATASET_MISSING, with the command that makes one', () => {
    const e = errorOf(() => openTrainingData(join(root, 'nowhere'), split));
    expect(e.code).toBe('E_DATASET_MISSING');
    expect(e.message).toMatch(/nowhere does not exist; collect one with `hop collect --out .*nowhere`/);
  });

  it('a directory without meta.json: E_DATASET_MISSING', () => {
    const d = copy('no-meta');
    rmSync(join(d, 'meta.json'));
    expect(errorOf(() => openTrainingData(d, split)).code).toBe('E_DATASET_MISSING');
  });

  it('a missing column file is named', () => {
    const d = copy('no-action');
    rmSync(join(d, 'action.npy'));
    const e = errorOf(() => openTrainingData(d, split));
    expect(e.code).toBe('E_DATASET');
    expect(e.message).toContain('column "action"');
    expect(e.message).toContain('action.npy is missing');
  });

  it('a truncated column (rows disagree with meta.json) is named', () => {
    const d = copy('truncated');
    const f = join(d, 'reward.npy');
    truncateSync(f, statSync(f).size - 40);
    const e = errorOf(() => openTrainingData(d, split));
    expect(['E_DATASET', 'E_NPY']).toContain(e.code);
    expect(e.message).toContain('reward.npy');
  });

  it('a corrupt meta.json and a garbage .npy header are named', () => {
    const d = copy('corrupt');
    writeFileSync(join(d, 'meta.json'), '{"format": "hop-staghunt-dataset", ');
    let e = errorOf(() => openTrainingData(d, split));
    expect(e.code).toBe('E_DATASET');
    expect(e.message).toContain('meta.json');

    const d2 = copy('garbage');
    writeFileSync(join(d2, 'obs.npy'), 'this is not a numpy file at all');
    e = errorOf(() => openTrainingData(d2, split));
    expect(e.code).toBe('E_NPY');
    expect(e.message).toContain('obs.npy');
  });

  it('too few episodes to split is an error that says what to change', () => {
    const d = copy('one-episode');
    const meta = JSON.parse(readFileSync(join(d, 'meta.json'), 'utf8'));
    expect(meta.counts.episodes).toBe(20);
    const e = errorOf(() => openTrainingData(d, { valFraction: 0.01, seed: 0 }));
    expect(e.code).toBe('E_DATASET');
    expect(e.message).toMatch(/too few to split with valFraction 0\.01/);
  });
});

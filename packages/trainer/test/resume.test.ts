import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TINY_NET, runHop, tempDir, tinyDataset } from './helpers';

/** Records of one kind without wall-clock fields: what must match between a resumed and an uninterrupted run. */
function records(run: string, kind: 'epoch' | 'train'): Record<string, unknown>[] {
  return readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.kind === kind)
    .map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'time' && !k.startsWith('perf/'))));
}
const epochRecords = (run: string) => records(run, 'epoch');
const trainRecords = (run: string) => records(run, 'train');

const weights = (run: string, epoch: number, model: string) => readFileSync(join(run, `checkpoints/epoch-${epoch}/${model}/weights.bin`));

describe('resume: a killed or interrupted run ends exactly where an uninterrupted one does', () => {
  let data: string;
  let reference: string;
  const args = (out: string) => ['pretrain', '--data', data, '--out', out, '--epochs', '3', '--seed', '11', ...TINY_NET, '--alpha-warmup-steps', '40'];

  beforeAll(async () => {
    data = await tinyDataset(join(tempDir('resume'), 'data'), 80, 4);
    reference = join(tempDir('ref'), 'run');
    const r = await runHop(args(reference));
    expect(r.code, r.stderr).toBe(0);
  });

  it('SIGKILL after epoch 1, then --resume: same metrics and weights', async () => {
    const run = join(tempDir('kill'), 'run');
    const killed = await runHop(args(run), (line, kill) => {
      if (line.startsWith('epoch 1/3: train')) kill('SIGKILL');
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(run, 'checkpoints/epoch-1/state.json'))).toBe(true);
    expect(existsSync(join(run, 'checkpoints/epoch-3'))).toBe(false);

    const resumed = await runHop(['pretrain', '--resume', run]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/resuming .* from checkpoints\/epoch-1: epoch 2, batch 0/);
    expect(epochRecords(run)).toEqual(epochRecords(reference));
    expect(trainRecords(run)).toEqual(trainRecords(reference));
    expect(weights(run, 3, 'moa/moa').equals(weights(reference, 3, 'moa/moa'))).toBe(true);
    expect(weights(run, 3, 'vae/encoder').equals(weights(reference, 3, 'vae/encoder'))).toBe(true);
    // The lifecycle keeps the two newest epoch checkpoints, and every epoch record carries the run clock's CPU seconds.
    expect(readdirSync(join(reference, 'checkpoints')).sort()).toEqual(['epoch-2', 'epoch-3']);
    const cpu = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.kind === 'epoch').map((r) => r['perf/cpu_seconds']);
    expect(cpu).toHaveLength(3);
    for (let i = 1; i < 3; i++) expect(cpu[i]).toBeGreaterThan(cpu[i - 1]);
  });

  it('Ctrl-C inside epoch 2 saves a checkpoint and exits 130; --resume continues mid-epoch to the same end', async () => {
    const run = join(tempDir('sigint'), 'run');
    let batchLines = 0;
    const stopped = await runHop([...args(run), '--progress', 'plain'], (line, kill) => {
      if (line.startsWith('epoch 2/3:') && line.includes('batches')) batchLines++;
      if (batchLines === 1) kill('SIGINT');
    });
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stdout).toMatch(/interrupted in epoch 2 after batch \d+\/\d+/);
    expect(existsSync(join(run, 'checkpoints/interrupt/state.json'))).toBe(true);

    const resumed = await runHop(['pretrain', '--resume', run]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/from checkpoints\/interrupt: epoch 2, batch [1-9]\d*/);
    expect(existsSync(join(run, 'checkpoints/interrupt'))).toBe(false);
    expect(epochRecords(run)).toEqual(epochRecords(reference));
    expect(trainRecords(run)).toEqual(trainRecords(reference));
    expect(weights(run, 3, 'moa/moa').equals(weights(reference, 3, 'moa/moa'))).toBe(true);
  });
});

describe('resume: subgoal CVAE runs', () => {
  it('1 epoch, then --resume --epochs 2, ends with the weights (MOA, GRU, prior) and records of a straight 2-epoch run', async () => {
    const data = await tinyDataset(join(tempDir('resume-cvae'), 'data'), 40, 4);
    const args = (out: string, epochs: number, seed = 11) =>
      ['pretrain', '--data', data, '--out', out, '--epochs', String(epochs), '--seed', String(seed), ...TINY_NET, '--latent', 'cvae', '--history-units', '8', '--no-pairs'];
    const straight = join(tempDir('cvae-straight'), 'run');
    const part = join(tempDir('cvae-part'), 'run');
    const other = join(tempDir('cvae-other'), 'run');
    for (const [out, epochs, seed] of [[straight, 2, 11], [part, 1, 11], [other, 2, 12]] as const) {
      const r = await runHop(args(out, epochs, seed));
      expect(r.code, r.stderr).toBe(0);
    }
    const resumed = await runHop(['pretrain', '--resume', part, '--epochs', '2']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(epochRecords(part)).toEqual(epochRecords(straight));
    for (const m of ['moa/moa', 'cvae/history', 'cvae/prior', 'cvae/posterior']) {
      expect(weights(part, 2, m).equals(weights(straight, 2, m)), m).toBe(true);
      expect(weights(other, 2, m).equals(weights(straight, 2, m)), `${m} (seed 12)`).toBe(false);
    }
  });
});

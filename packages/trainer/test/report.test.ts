import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { captureEnvironment } from '@hop/core';
import { writeReport } from '../src/report/build';
import { esc, table } from '../src/report/html';
import { RunDir } from '../src/run/layout';
import { createProgress } from '../src/run/progress';
import { RunningMeans } from '../src/pretrain/means';
import { moveAccuracy } from '../src/pretrain/train';
import { confusionMetrics } from '@hop/moa';
import { tempDir } from './helpers';

/** A pretraining run directory with hand-written records (no training needed to test the report). */
function fakeRun(dir: string, name: string, top1: number[]): string {
  const run = new RunDir(join(dir, name));
  run.create('pretrain', { data: 'd', seed: 5, objective: name }, captureEnvironment());
  run.appendMetrics({ kind: 'event', event: 'start', epoch: 0, step: 0, time: 0 });
  top1.forEach((t, e) => {
    for (let s = 1; s <= 3; s++)
      run.appendMetrics({ kind: 'train', epoch: e + 1, step: e * 3 + s, time: e + s / 3, 'losses/policy': 2 / (e * 3 + s), 'losses/kl': 0, 'losses/total': 2 / (e * 3 + s), 'charts/alpha': 0.01 * s });
    run.appendMetrics({ kind: 'epoch', epoch: e + 1, step: (e + 1) * 3, time: e + 1, 'val/top1': t, 'val/top3': Math.min(1, t + 0.2), 'val/nll': 1 - t, 'train/policy': 1.1 - t, 'perf/samples_per_s': 100 });
  });
  run.appendMetrics({ kind: 'event', event: 'end', epoch: top1.length, step: top1.length * 3, time: top1.length });
  run.close();
  return run.root;
}

describe('report', () => {
  it('draws compared runs on the same curves and lists their final figures', async () => {
    const dir = tempDir('report');
    const a = fakeRun(dir, 'joint', [0.5, 0.6, 0.7]);
    const b = fakeRun(dir, 'recon', [0.4, 0.45]);
    const out = await writeReport(a, { compare: [b] });
    expect(out).toBe(join(a, 'report.html'));
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('joint: top-1');
    expect(html).toContain('recon: top-1');
    expect(html).toContain('Compared runs (final epoch)');
    expect(html).toMatch(/<td>recon<\/td><td>2<\/td><td>0\.4500<\/td>/);
    // A KL of exactly 0 cannot be drawn on a log axis: the log version leaves it out, the page still has both.
    expect(html).toContain('(log scale)');
    expect(html).toMatch(/status<\/td><td>completed/);
    expect(html).toContain('best top-1 (epoch 3)');
    for (const f of ['losses.svg', 'accuracy.svg', 'epoch-losses.svg', 'schedules.svg']) expect(existsSync(join(a, 'plots', f)), f).toBe(true);
  });

  it('refuses to compare runs of different commands, and a directory that is not a run', async () => {
    const dir = tempDir('report2');
    const a = fakeRun(dir, 'a', [0.5]);
    const wm = new RunDir(join(dir, 'wm'));
    wm.create('world-model', { data: 'd' }, captureEnvironment());
    wm.close();
    await expect(writeReport(a, { compare: [wm.root] })).rejects.toThrow(/is a 'world-model' run/);
    await expect(writeReport(join(dir, 'nothing'))).rejects.toThrow(/not a run directory/);
  });

  it('a second run in the same directory is refused (resume it instead)', () => {
    const dir = tempDir('report3');
    fakeRun(dir, 'a', [0.5]);
    expect(() => new RunDir(join(dir, 'a')).create('pretrain', {}, captureEnvironment())).toThrow(/already holds a run; continue it with --resume/);
  });

  it('top-1 on move labels counts only the rows of up / down / left / right', () => {
    const labels = ['up', 'down', 'left', 'right', 'stay', 'hunt-stag', 'hunt-hare'];
    const confusion = labels.map(() => labels.map(() => 0));
    confusion[0][0] = 3; // up: 3 right, 1 wrong
    confusion[0][1] = 1;
    confusion[2][3] = 2; // left: 0 of 2
    confusion[5][5] = 50; // hunts do not count
    const ev = { ...confusionMetrics(confusion, labels), confusion, labels, samples: 56, top1: 0, top3: 0, topK: [], nll: 0 };
    expect(moveAccuracy(ev)).toBe(3 / 6);
  });

  it('escapes what it prints', () => {
    expect(esc('<a href="x">&</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;');
    expect(table(['k', 'v'], [['<b>', 0.123456789]])).toBe(
      '<table><thead><tr><th>k</th><th>v</th></tr></thead><tbody><tr><td>&lt;b&gt;</td><td>0.1235</td></tr></tbody></table>',
    );
  });
});

describe('progress and running means', () => {
  it('plain progress prints lines (for CI logs) at each quarter and at the end', () => {
    const s = new PassThrough();
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    const p = createProgress({ label: 'epoch 1/2', total: 8, unit: 'batches', mode: 'plain', stream: s as unknown as NodeJS.WriteStream, intervalMs: 1e9 });
    for (let i = 1; i <= 8; i++) p.update(i, `loss ${i}`);
    p.stop('done');
    const lines = text.trim().split('\n');
    expect(lines.map((l) => l.replace(/, [\d.]+s\)/, ')'))).toEqual([
      'epoch 1/2: 2/8 batches (25%) loss 2',
      'epoch 1/2: 4/8 batches (50%) loss 4',
      'epoch 1/2: 6/8 batches (75%) loss 6',
      'epoch 1/2: 8/8 batches (100%) done',
    ]);
    const silent = createProgress({ label: 'x', total: 3, mode: 'none', stream: s as unknown as NodeJS.WriteStream });
    silent.update(3);
    silent.stop();
    expect(text.trim().split('\n')).toHaveLength(4);
  });

  it('running means skip null / non-finite values and survive a JSON round trip', () => {
    const m = new RunningMeans();
    m.add({ a: 1, b: null });
    m.add({ a: 3, b: 4 });
    m.add({ a: Number.NaN });
    expect(m.means('x/')).toEqual({ 'x/a': 2, 'x/b': 4 });
    const back = RunningMeans.from(JSON.parse(JSON.stringify(m.toJSON())));
    back.add({ a: 5 });
    expect(back.means()).toEqual({ a: 3, b: 4 });
  });
});

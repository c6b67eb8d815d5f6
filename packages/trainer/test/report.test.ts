import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
function fakeRun(dir: string, name: string, top1: number[], config: Record<string, unknown> = {}, epochExtra: Record<string, number> = {}): string {
  const run = new RunDir(join(dir, name));
  run.create('pretrain', { data: 'd', seed: 5, objective: name, ...config }, captureEnvironment());
  run.appendMetrics({ kind: 'event', event: 'start', epoch: 0, step: 0, time: 0 });
  top1.forEach((t, e) => {
    for (let s = 1; s <= 3; s++)
      run.appendMetrics({ kind: 'train', epoch: e + 1, step: e * 3 + s, time: e + s / 3, 'losses/policy': 2 / (e * 3 + s), 'losses/kl': 0, 'losses/total': 2 / (e * 3 + s), 'charts/alpha': 0.01 * s });
    run.appendMetrics({ kind: 'epoch', epoch: e + 1, step: (e + 1) * 3, time: e + 1, 'val/top1': t, 'val/top3': Math.min(1, t + 0.2), 'val/nll': 1 - t, 'train/policy': 1.1 - t, 'perf/samples_per_s': 100, ...epochExtra });
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
    expect(html).toMatch(/<td>recon<\/td><td>z of a VAE of o_t \(vanilla\)<\/td><td>2<\/td><td>0\.4500<\/td>/);
    // A KL of exactly 0 cannot be drawn on a log axis: the log version leaves it out, the page still has both.
    expect(html).toContain('(log scale)');
    expect(html).toMatch(/status<\/td><td>completed/);
    expect(html).toContain('<b>0.7000</b>top-1, all labels');
    // records without a move accuracy or a baseline (and no evaluation file) show a dash, not 0
    expect(html).toContain('<b>—</b>top-1, move labels only');
    expect(html).toContain('<b>—</b>majority-class baseline, all labels');
    for (const f of ['losses.svg', 'accuracy.svg', 'epoch-losses.svg', 'schedules.svg']) expect(existsSync(join(a, 'plots', f)), f).toBe(true);
  });

  it("the demo's last line: the CVAE headline as text (no evaluation file: the difference without an interval); null for other runs", async () => {
    const { cvaeHeadlineText } = await import('../src/report/pretrain-section');
    const dir = tempDir('report-headline');
    const z = fakeRun(dir, 'cvae', [0.6, 0.8], { goalInput: 'z', latent: 'cvae' }, { 'val/top1_moves_posterior': 0.709, 'val/top1_moves_prior_mean': 0.711 });
    expect(cvaeHeadlineText(z)).toBe(
      'CVAE headline (epoch 2, move labels): top-1 0.709 with z from the posterior vs 0.711 with z = the prior mean: a difference of -0.2 points (no validation count, so no interval).',
    );
    expect(cvaeHeadlineText(fakeRun(dir, 'true', [0.9], { goalInput: 'true' }, { 'val/top1_moves_posterior': 0.7, 'val/top1_moves_prior_mean': 0.6 }))).toBeNull();
    expect(cvaeHeadlineText(fakeRun(dir, 'vae', [0.9], { goalInput: 'z', latent: 'vanilla' }))).toBeNull();
  });

  it('names the bounds it is compared against, with the share of the gap closed on moves, and warns on a collapsed KL', async () => {
    const dir = tempDir('report-bounds');
    const z = fakeRun(dir, 'cvae', [0.8], { goalInput: 'z', latent: 'cvae', klWarn: 0.01 }, { 'val/top1_moves': 0.7, 'val/majority_baseline': 0.58, 'val/majority_baseline_moves': 0.27, 'val/kl': 0.5 });
    const none = fakeRun(dir, 'none', [0.75], { goalInput: 'none' }, { 'val/top1_moves': 0.6, 'val/majority_baseline_moves': 0.27 });
    const truth = fakeRun(dir, 'true', [0.9], { goalInput: 'true' }, { 'val/top1_moves': 0.8, 'val/majority_baseline_moves': 0.27 });
    const html = readFileSync(await writeReport(z, { compare: [none, truth] }), 'utf8');
    expect(html).toContain('Goal input of this run: <b>z sampled from the subgoal CVAE prior (cvae)</b>');
    expect(html).toContain('<b>0.7000</b>top-1, move labels only');
    expect(html).toContain('<b>0.5800</b>majority-class baseline, all labels');
    expect(html).toContain('<b>0.2700</b>majority-class baseline, move labels only');
    expect(html).toContain('<td>none</td><td>no goal (lower bound)</td>');
    expect(html).toContain('<td>true</td><td>true hindsight goal (upper bound)</td>');
    // (0.7 - 0.6) / (0.8 - 0.6) = 50%
    expect(html).toContain('closes <b>50.0%</b> of the gap');
    expect(html).not.toContain('class="warn"');
    expect(html).not.toContain('Not all bounds are comparable');
    // a bound read at this run's epoch (2 epochs: its epoch-1 record), and one made on other data: no gap figure
    const none2 = fakeRun(dir, 'none2', [0.7, 0.75], { goalInput: 'none' }, { 'val/top1_moves': 0.65 });
    const other = fakeRun(dir, 'true-other', [0.9], { goalInput: 'true', data: 'elsewhere' }, { 'val/top1_moves': 0.8 });
    const mixed = readFileSync(await writeReport(z, { compare: [none2, other] }), 'utf8');
    expect(mixed).toContain('<td>none2</td><td>no goal (lower bound)</td><td>1</td><td>0.7000</td>');
    expect(mixed).toContain('Not all bounds are comparable');
    expect(mixed).not.toContain('of the gap');
    // the validation split follows the seed and valFraction: a bound with another of either is no bound
    for (const over of [{ seed: 6 }, { valFraction: 0.3 }]) {
      const split = fakeRun(dir, `none-${Object.keys(over)[0]}`, [0.75], { goalInput: 'none', ...over }, { 'val/top1_moves': 0.6 });
      const html2 = readFileSync(await writeReport(z, { compare: [split, truth] }), 'utf8');
      expect(html2, JSON.stringify(over)).toContain('Not all bounds are comparable');
      expect(html2, JSON.stringify(over)).not.toContain('of the gap');
    }
    const collapsed = fakeRun(dir, 'vae', [0.8], { goalInput: 'z', latent: 'vanilla', klWarn: 0.01 }, { 'val/kl': 5e-5 });
    expect(readFileSync(await writeReport(collapsed), 'utf8')).toMatch(/class="warn"><b>Warning:<\/b> the validation KL is 5\.00e-5, under 0\.01/);
  });

  it('per-class rows of a class without samples show a dash; baselines come from the evaluation file for older runs', async () => {
    const dir = tempDir('report-classes');
    const root = fakeRun(dir, 'old', [0.5]);
    const labels = ['up', 'down', 'left', 'right', 'stay', 'hunt-stag', 'hunt-hare'];
    const confusion = labels.map(() => labels.map(() => 0));
    confusion[0][0] = 2;
    confusion[1][0] = 1;
    confusion[4][4] = 5; // no left, right, hunt rows at all
    const evaluation = { ...confusionMetrics(confusion, labels), confusion, labels, samples: 8, top1: 7 / 8, top3: 1, topK: [], nll: 0.3 };
    const run = new RunDir(root);
    mkdirSync(run.evalDir, { recursive: true });
    writeFileSync(run.evalPath(1, 'json'), JSON.stringify({ epoch: 1, step: 3, evaluation, trainActionCounts: [2, 1, 0, 0, 5, 0, 0] }));
    const html = readFileSync(await writeReport(root), 'utf8');
    // majority: stay 5 of 8; moves: up 2 of 3
    // n is known from the evaluation file: each figure carries its 95% interval.
    expect(html).toMatch(/<b>0\.6250 <span class="se">[^<]+<\/span><\/b>majority-class baseline, all labels/);
    expect(html).toMatch(/<b>0\.6667 <span class="se">[^<]+<\/span><\/b>majority-class baseline, move labels only/);
    expect(html).toMatch(/<b>0\.6667 <span class="se">[^<]+<\/span><\/b>top-1, move labels only/);
    expect(html).toContain('<td>left</td><td>0</td><td>0</td><td>0</td><td>—</td><td>—</td><td>—</td>');
    // down: 1 sample, never predicted: recall 0 (a real zero), precision undefined
    expect(html).toContain('<td>down</td><td>1</td><td>0.1250</td><td>0</td><td>—</td><td>0</td><td>—</td>');
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

import { existsSync, readFileSync } from 'node:fs';
import { barChartSvg, heatmapSvg } from '@hop/core';
import type { EpochEvaluation } from '../pretrain/train';
import type { RunDir, RunMetric } from '../run/layout';
import { dualChart, seriesOf, singleChart, type ChartOut, type NamedRun } from './charts';
import { esc, figure, table, type ReportSection } from './html';

/** What a report section writer hands back: the section and the pictures to save under plots/. */
export interface SectionOutput {
  sections: ReportSection[];
  plots: { file: string; svg: string }[];
}

const LOSSES = ['losses/policy', 'losses/kl', 'losses/total', 'losses/recon'];

/** The last epoch's evaluation file, if any. */
export function lastEvaluation(run: RunDir, records: RunMetric[]): EpochEvaluation | null {
  const epochs = records.filter((r) => r.kind === 'epoch').map((r) => r.epoch);
  for (let i = epochs.length - 1; i >= 0; i--) {
    const p = run.evalPath(epochs[i], 'json');
    if (existsSync(p)) return JSON.parse(readFileSync(p, 'utf8')) as EpochEvaluation;
  }
  return null;
}

/**
 * Curves (losses per step with a log-scale switch, validation per epoch, top-1 / top-3, alpha), the last
 * confusion matrix, class distribution and per-class recall, the per-class table. `runs[0]` is the run
 * reported on; the others (`--compare`) are drawn on the same curves.
 */
export function pretrainSections(run: RunDir, runs: NamedRun[]): SectionOutput {
  const plots: ChartOut[] = [];
  const add = (c: ChartOut | null) => (c ? (plots.push(c), c.html) : '');
  const charts: string[] = [];

  const lossSeries = LOSSES.flatMap((m) => seriesOf(runs, 'train', m, 'step', m.replace('losses/', '')));
  charts.push(add(dualChart('losses', 'Training losses (mean over each logging window)', lossSeries, 'step', 'loss')));
  const valSeries = [
    ...seriesOf(runs, 'epoch', 'train/policy', 'epoch', 'train CE'),
    ...seriesOf(runs, 'epoch', 'val/nll', 'epoch', 'validation CE'),
    ...seriesOf(runs, 'epoch', 'val/kl', 'epoch', 'validation KL'),
    ...seriesOf(runs, 'epoch', 'val/recon', 'epoch', 'validation recon'),
  ];
  charts.push(add(dualChart('epoch-losses', 'Per-epoch losses', valSeries, 'epoch', 'loss')));
  const accSeries = [
    ...seriesOf(runs, 'epoch', 'val/top1', 'epoch', 'top-1'),
    ...seriesOf(runs, 'epoch', 'val/top3', 'epoch', 'top-3'),
    ...seriesOf(runs, 'epoch', 'val/top1_moves', 'epoch', 'top-1 on move labels'),
  ];
  charts.push(add(singleChart('accuracy', 'Validation accuracy of the MOA', accSeries, 'epoch', 'accuracy')));
  const schedule = [
    ...seriesOf(runs, 'train', 'charts/alpha', 'step', 'alpha (KL weight)'),
    ...seriesOf(runs, 'train', 'charts/temperature', 'step', 'Gumbel temperature'),
  ];
  charts.push(add(singleChart('schedules', 'Schedules', schedule, 'step')));
  const gradSeries = seriesOf(runs, 'train', 'charts/grad_norm', 'step', 'gradient norm (before clipping)');
  charts.push(add(dualChart('grad-norm', 'Gradient norm', gradSeries, 'step')));

  const sections: ReportSection[] = [
    {
      id: 'curves',
      title: 'Training curves',
      html:
        `<p class="note">Tick <b>log-scale losses</b> at the top to switch the loss charts to a log axis. ` +
        `Under the joint objective the total is CE + alpha*KL; under recon it is recon + alpha*KL (the MOA then ` +
        `trains on CE with z detached), so both objectives' CE and KL can be read on one plot with --compare.</p>` +
        `<div class="grid">${charts.join('')}</div>`,
    },
  ];

  const ev = lastEvaluation(run, runs[0].records);
  if (ev) {
    const e = ev.evaluation;
    const labels = e.labels;
    const confusion = heatmapSvg({
      title: `Confusion matrix, epoch ${ev.epoch} (colour: row-normalised; text: counts)`,
      matrix: e.confusion.map((row) => {
        const s = row.reduce((a, b) => a + b, 0);
        return row.map((v) => (s > 0 ? v / s : 0));
      }),
      cellText: e.confusion.map((row) => row.map(String)),
      rowLabels: labels,
      colLabels: labels,
      xLabel: 'predicted',
      yLabel: 'true',
    });
    const total = ev.trainActionCounts.reduce((a, b) => a + b, 0);
    const dist = barChartSvg({
      title: 'Class distribution (training labels)',
      labels,
      values: ev.trainActionCounts.map((c) => c / Math.max(total, 1)),
      yLabel: 'ratio',
    });
    const recall = barChartSvg({
      title: `Per-class recall, epoch ${ev.epoch}`,
      labels,
      values: e.perClass.map((m) => m.recall),
      yLabel: 'recall',
    });
    plots.push({ file: 'confusion', svg: confusion, html: '' }, { file: 'class-distribution', svg: dist, html: '' }, { file: 'recall', svg: recall, html: '' });
    sections.push({
      id: 'classes',
      title: `Actions: confusion, distribution, recall (epoch ${ev.epoch})`,
      html:
        `<p>top-1 <b>${e.top1.toFixed(4)}</b>, top-3 <b>${e.top3.toFixed(4)}</b>, cross-entropy ${e.nll.toFixed(4)}, ` +
        `macro F1 ${e.macro.f1.toFixed(4)} on ${e.samples} validation samples.</p>` +
        `<div class="grid">${figure(confusion)}${figure(dist)}${figure(recall)}</div>` +
        table(
          ['action', 'count', 'ratio', 'predicted', 'precision', 'recall', 'F1'],
          e.perClass.map((m) => [m.label, m.count, m.ratio, m.predicted, m.precision, m.recall, m.f1]),
        ),
    });
  }

  if (runs.length > 1) {
    sections.push({
      id: 'compare',
      title: 'Compared runs (final epoch)',
      html: table(
        ['run', 'epochs', 'val top-1', 'val top-3', 'val CE', 'train CE', 'samples/s'],
        runs.map((r) => {
          const last = [...r.records].reverse().find((x) => x.kind === 'epoch');
          return [r.name, last?.epoch ?? 0, last?.['val/top1'] ?? '', last?.['val/top3'] ?? '', last?.['val/nll'] ?? '', last?.['train/policy'] ?? '', last?.['perf/samples_per_s'] ?? ''];
        }),
      ),
    });
  }

  return { sections, plots: plots.map(({ file, svg }) => ({ file, svg })) };
}

/** Headline numbers of a pretraining run. */
export function pretrainSummary(records: RunMetric[]): string {
  const epochs = records.filter((r) => r.kind === 'epoch');
  if (epochs.length === 0) return '<p>No epoch has finished yet.</p>';
  const last = epochs[epochs.length - 1];
  const best = epochs.reduce((a, b) => ((b['val/top1'] as number) > (a['val/top1'] as number) ? b : a));
  const sps = epochs.map((r) => r['perf/samples_per_s'] as number).filter(Number.isFinite);
  const kpi = (label: string, value: string) => `<div><b>${esc(value)}</b>${esc(label)}</div>`;
  return (
    '<div class="kpi">' +
    kpi('validation top-1', (last['val/top1'] as number).toFixed(4)) +
    kpi('validation top-3', (last['val/top3'] as number).toFixed(4)) +
    kpi(`best top-1 (epoch ${best.epoch})`, (best['val/top1'] as number).toFixed(4)) +
    kpi('epochs', String(last.epoch)) +
    kpi('wall time in the loop', `${last.time.toFixed(0)} s`) +
    kpi('training samples/s', sps.length ? String(Math.round(sps.reduce((a, b) => a + b, 0) / sps.length)) : '-') +
    '</div>'
  );
}

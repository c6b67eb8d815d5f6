import { lineChartSvg, type LineSeries, type ReferenceLine } from '@hop/core';
import type { RunMetric } from '../run/layout';
import { dualScaleFigure, figure } from './html';

/** One run's records with the name it has in legends (several runs can share a chart). */
export interface NamedRun {
  name: string;
  records: RunMetric[];
  /** The run's config (what the summary names a compared run by, e.g. its goal input). */
  config?: Record<string, unknown>;
  /** The run directory (where its evaluation files are). */
  dir?: string;
}

/** Series `metric` over `x` from the records of `kind`, one per run (skips runs without the metric). */
export function seriesOf(runs: NamedRun[], kind: RunMetric['kind'], metric: string, x: 'step' | 'epoch', label?: string): LineSeries[] {
  const out: LineSeries[] = [];
  for (const run of runs) {
    const recs = run.records.filter((r) => r.kind === kind && typeof r[metric] === 'number');
    if (recs.length === 0) continue;
    const name = label ?? metric;
    out.push({
      name: runs.length > 1 ? `${run.name}: ${name}` : name,
      x: recs.map((r) => r[x]),
      y: recs.map((r) => r[metric] as number),
    });
  }
  return out;
}

export interface ChartOut {
  /** File name under plots/ (without extension). */
  file: string;
  svg: string;
  html: string;
}

/** A line chart in linear and log scale (the page's switch picks one); the linear one is the plot file. */
export function dualChart(file: string, title: string, series: LineSeries[], xLabel: string, yLabel?: string, referenceLines?: ReferenceLine[]): ChartOut | null {
  if (series.length === 0 || series.every((s) => s.x.length === 0)) return null;
  const lin = lineChartSvg({ title, series, xLabel, yLabel, referenceLines });
  const log = lineChartSvg({ title: `${title} (log scale)`, series, xLabel, yLabel: yLabel && `${yLabel}, log scale`, logY: true, referenceLines });
  return { file, svg: lin, html: dualScaleFigure(lin, log) };
}

export function singleChart(file: string, title: string, series: LineSeries[], xLabel: string, yLabel?: string, referenceLines?: ReferenceLine[]): ChartOut | null {
  if (series.length === 0 || series.every((s) => s.x.length === 0)) return null;
  const svg = lineChartSvg({ title, series, xLabel, yLabel, referenceLines });
  return { file, svg, html: figure(svg) };
}

/** Numeric metric names of some records, in first-seen order (the generic charts of any run). */
export function metricNames(records: RunMetric[], kind: RunMetric['kind']): string[] {
  const skip = new Set(['epoch', 'step', 'time']);
  const names: string[] = [];
  for (const r of records)
    if (r.kind === kind)
      for (const [k, v] of Object.entries(r)) if (!skip.has(k) && typeof v === 'number' && !names.includes(k)) names.push(k);
  return names;
}

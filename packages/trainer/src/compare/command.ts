import { assertWritable } from '../run/fs-errors';
import { warnIfBeingWritten } from '../run/readers';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { HopError, stackedBarChartSvg, type LineSeries } from '@hop/core';
import { resolveConfig as resolveGame, type PresetName } from '@hop/env-staghunt';
import type { EvaluationResult } from '../eval/command';
import { evaluationSections } from '../eval/tables';
import { singleChart } from '../report/charts';
import { figure, htmlPage, table, type ReportSection } from '../report/html';
import { RunDir, writeFileAtomic, type RunMetric } from '../run/layout';
import { TIME_GROUPS } from '../metrics/scalars';
import { createProgress, type ProgressMode } from '../run/progress';

export interface CompareOptions {
  /** Output HTML file (default `compare.html` in the working directory). */
  out?: string;
  /** An `evaluation.json` of `hop eval` whose tables go on the page. */
  evaluation?: string;
  /** Progress lines: runs read k/n, then charts written k/n (default auto). */
  progress?: ProgressMode;
}

interface LoadedRun {
  name: string;
  algo: string;
  records: RunMetric[];
}

/**
 * `hop compare runs...`: one page with the training curves of several `hop train` runs side by side (mean
 * reward per agent against env steps and against wall time, training and greedy evaluation), the evaluation
 * tables when given, and where each run spent its time.
 */
export async function writeComparison(runDirs: string[], options: CompareOptions = {}): Promise<string> {
  if (runDirs.length === 0) throw new HopError('E_CONFIG', 'hop compare needs at least one run directory');
  assertWritable(options.out ?? 'compare.html', 'file');
  for (const d of runDirs) warnIfBeingWritten(d, (l) => process.stderr.write(l + '\n'));
  const reading = createProgress({ label: 'compare', total: runDirs.length, unit: 'runs read', mode: options.progress, everyFraction: 1 / runDirs.length });
  const runs: LoadedRun[] = runDirs.map((d, n) => {
    const run = new RunDir(d);
    const file = run.readConfig<{ algo?: string }>();
    if (file.command !== 'train') throw new HopError('E_RUN', `${run.root} is a '${file.command}' run; hop compare draws \`hop train\` runs`);
    const loaded = { name: basename(run.root), algo: String(file.config.algo), records: run.readMetrics() };
    if (n + 1 < runDirs.length) reading.update(n + 1, loaded.name);
    return loaded;
  });
  reading.stop();
  const sections: ReportSection[] = [];
  const plots: { file: string; svg: string }[] = [];
  const series = (kind: RunMetric['kind'], metric: string, x: 'global_step' | 'time', suffix: string): LineSeries[] =>
    runs.flatMap((r) => {
      const recs = r.records.filter((m) => m.kind === kind && typeof m[metric] === 'number' && typeof m[x] === 'number');
      return recs.length ? [{ name: `${r.name} ${suffix}`, x: recs.map((m) => m[x] as number), y: recs.map((m) => m[metric] as number) }] : [];
    });
  const charts: string[] = [];
  for (const [x, label] of [['global_step', 'env steps'], ['time', 'wall seconds']] as const)
    for (const [kind, metric, what] of [['eval', 'eval/episodic_return', 'greedy evaluation'], ['iteration', 'charts/episodic_return', 'training (sampled)']] as const) {
      const c = singleChart(`compare-${what.split(' ')[0]}-${x}`, `Mean reward per agent, ${what}, vs ${label}`, series(kind, metric, x, ''), label, 'mean reward per agent per episode');
      if (c) {
        charts.push(c.html);
        plots.push({ file: c.file, svg: c.svg });
      }
    }
  sections.push({ id: 'curves', title: 'Training curves', html: `<div class="grid">${charts.join('')}</div>` });

  const last = (r: LoadedRun, kind: RunMetric['kind']) => [...r.records].reverse().find((m) => m.kind === kind);
  sections.push({
    id: 'summary',
    title: 'Runs',
    html: table(
      ['run', 'algo', 'iterations', 'env steps', 'wall s', 'last greedy eval', 'best greedy eval'],
      runs.map((r) => {
        const it = last(r, 'iteration');
        const evals = r.records.filter((m) => m.kind === 'eval').map((m) => m['eval/episodic_return'] as number);
        return [r.name, r.algo, it?.step ?? 0, it?.global_step ?? 0, it?.time ?? 0, evals.length ? evals[evals.length - 1] : '-', evals.length ? Math.max(...evals) : '-'];
      }),
    ),
  });

  if (options.evaluation) {
    if (!existsSync(options.evaluation)) throw new HopError('E_RUN_MISSING', `--evaluation ${options.evaluation} does not exist (write it with hop eval)`);
    const result = JSON.parse(readFileSync(options.evaluation, 'utf8')) as EvaluationResult;
    const ev = evaluationSections(result.tables, resolveGame(result.env as PresetName).players);
    sections.push(...ev.sections);
    plots.push(...ev.plots);
  }

  // Time bars: each run's total seconds per phase.
  const seconds = (m: Record<string, unknown>, keys: string[]) => keys.reduce((a, k) => a + (typeof m[k] === 'number' ? (m[k] as number) : 0), 0);
  const totals = TIME_GROUPS.map((g) => ({ name: g.name, values: runs.map((r) => r.records.filter((m) => m.kind === 'iteration').reduce((a, m) => a + seconds(m, g.keys), 0)) }));
  const timeSvg = stackedBarChartSvg({ title: 'Where each run spent its time (seconds, all iterations)', labels: runs.map((r) => r.name), parts: totals, yLabel: 'seconds', xLabel: 'run' });
  plots.push({ file: 'compare-time', svg: timeSvg });
  sections.push({ id: 'time', title: 'Time', html: figure(timeSvg) });

  const out = resolve(options.out ?? 'compare.html');
  const plotsDir = out.replace(/\.html$/, '');
  const madePlots = !existsSync(plotsDir);
  const writing = createProgress({ label: 'compare', total: plots.length, unit: 'charts written', mode: options.progress, everyFraction: 1 / plots.length });
  try {
    for (const [n, p] of plots.entries()) {
      await writeFileAtomic(join(plotsDir, `${p.file}.svg`), p.svg);
      if (n + 1 < plots.length) writing.update(n + 1, p.file);
    }
    writing.stop(`into ${plotsDir}`);
    await writeFileAtomic(out, htmlPage({ title: `HOP comparison of ${runs.length} runs`, subtitle: `written ${new Date().toISOString()}`, sections }));
  } catch (e) {
    // A failed write (a full disk) leaves no half comparison: the plots folder it made goes again.
    if (madePlots) rmSync(plotsDir, { recursive: true, force: true });
    throw e;
  }
  return out;
}

import { assertWritable } from '../run/fs-errors';
import { warnIfBeingWritten } from '../run/readers';
import { basename, join, relative, resolve } from 'node:path';
import { HopError } from '@hop/core';
import { RunDir, writeFileAtomic, type RunConfigFile, type RunMetric } from '../run/layout';
import { dualChart, metricNames, seriesOf, type NamedRun } from './charts';
import { esc, htmlPage, recordTable, table, type ReportSection } from './html';
import { lastEvaluation, pretrainSections, pretrainSummary, sampleCounts, wilson, type SectionOutput } from './pretrain-section';
import { worldModelSections } from './world-model-section';
import { trainSections, trainSummary } from './train-section';

export interface ReportOptions {
  /** Other runs whose curves are drawn on the same plots. */
  compare?: string[];
  /** Output path (default `<run>/report.html`). */
  out?: string;
}

/**
 * Writes the report of a run: `report.html` (self-contained: inline SVG and CSS, opens from disk) and
 * every picture as `plots/<name>.svg`. Returns the path of the HTML file.
 */
export async function writeReport(runDir: string, options: ReportOptions = {}): Promise<string> {
  const run = new RunDir(runDir);
  const file = run.readConfig();
  assertWritable(options.out ?? run.reportPath, 'file');
  warnIfBeingWritten(run.root, (l) => process.stderr.write(l + '\n'));
  const records = run.readMetrics();
  const runs: NamedRun[] = [{ name: basename(run.root), records, config: file.config as Record<string, unknown>, dir: run.root }];
  for (const other of options.compare ?? []) {
    const o = new RunDir(other);
    const oc = o.readConfig();
    if (oc.command !== file.command)
      throw new HopError('E_RUN', `--compare ${other} is a '${oc.command}' run; ${run.root} is a '${file.command}' run`);
    runs.push({ name: basename(o.root), records: o.readMetrics(), config: oc.config as Record<string, unknown>, dir: o.root });
  }

  const body: SectionOutput =
    file.command === 'pretrain'
      ? pretrainSections(run, runs)
      : file.command === 'world-model'
        ? await worldModelSections(run, runs)
        : file.command === 'train'
          ? trainSections(run, runs)
          : genericSections(runs);

  const sections: ReportSection[] = [
    { id: 'summary', title: 'Summary', html: summaryHtml(file, records, run, runs) },
    ...body.sections,
    ...inputSections(file),
  ];
  const page = htmlPage({
    title: `HOP ${file.command} run ${basename(run.root)}`,
    subtitle: `${run.root} — report written ${new Date().toISOString()}`,
    sections,
  });
  for (const p of body.plots) await writeFileAtomic(join(run.plotsDir, `${p.file}.svg`), p.svg);
  const out = resolve(options.out ?? run.reportPath);
  await writeFileAtomic(out, page);
  return out;
}

function status(records: RunMetric[]): string {
  const events = records.filter((r) => r.kind === 'event').map((r) => String(r.event));
  const last = events[events.length - 1];
  if (last === 'end') return 'completed';
  if (last === 'interrupt') return 'interrupted (resume with --resume)';
  return 'running, or killed (resume with --resume)';
}

function summaryHtml(file: RunConfigFile, records: RunMetric[], run: RunDir, runs: NamedRun[]): string {
  const env = file.environment;
  const cfg = file.config as Record<string, unknown>;
  const facts = table(
    ['', ''],
    [
      ['status', status(records)],
      ['command', `hop ${file.command}`],
      ['seed', String(cfg.seed ?? '-')],
      ['backend', env.backend ? `${env.backend.name} (${env.backend.package}) — ${env.backend.reason}` : 'not initialised'],
      ['started', env.capturedAt],
      ['resumed', String(file.resumes?.length ?? 0)],
    ],
  );
  return (file.command === 'pretrain' ? pretrainSummary(run, runs) : file.command === 'train' ? trainSummary(records) + usedRuns(run, cfg) : '') + facts;
}

/**
 * The pretraining and world-model runs a training run used: a link to each one's report and its headline
 * figure, so a reader can check what the co-player models and the planner's model were worth.
 */
function usedRuns(run: RunDir, cfg: Record<string, unknown>): string {
  const rows: string[] = [];
  for (const [key, what] of [['pretrained', 'co-player models (hop pretrain)'], ['worldModel', 'world model (hop world-model)']] as const) {
    const dir = cfg[key];
    if (typeof dir !== 'string') continue;
    const abs = resolve(run.root, dir);
    const href = relative(run.root, join(abs, 'report.html')).split('\\').join('/');
    let headline = 'no metrics found';
    try {
      const used = new RunDir(abs);
      const recs = used.readMetrics();
      const last = [...recs].reverse().find((r) => r.kind === 'epoch');
      if (last && key === 'pretrained') {
        const ev = lastEvaluation(used, recs);
        const n = ev && ev.epoch === last.epoch ? sampleCounts(ev) : null;
        const moves = last['val/top1_moves'];
        const base = last['val/majority_baseline_moves'];
        headline =
          typeof moves === 'number'
            ? `validation top-1 on move labels ${moves.toFixed(3)}${n ? ` ${wilson(moves, n.moves)} (95%, n = ${n.moves})` : ''}` +
              (typeof base === 'number' ? `, majority baseline ${base.toFixed(3)}` : '') +
              `, epoch ${last.epoch}`
            : `epoch ${last.epoch}`;
      } else if (last) {
        const vals = Object.entries(last).filter(([k, v]) => k.startsWith('val/') && typeof v === 'number').slice(0, 3);
        headline = `${vals.map(([k, v]) => `${k} ${(v as number).toPrecision(4)}`).join(', ')} (epoch ${last.epoch})`;
      }
    } catch {
      // A run moved or deleted since: the link says where it was.
    }
    rows.push(`<li>${esc(what)}: <a href="${esc(href)}">${esc(dir)}</a> — ${esc(headline)}</li>`);
  }
  return rows.length ? `<h3>Runs this run used</h3><ul>${rows.join('')}</ul>` : '';
}

/** The config, the inputs (dataset facts) and the environment: what it takes to rerun it. */
function inputSections(file: RunConfigFile): ReportSection[] {
  const out: ReportSection[] = [{ id: 'config', title: 'Config', html: recordTable(file.config as Record<string, unknown>) }];
  for (const [k, v] of Object.entries(file.inputs ?? {}))
    out.push({ id: `input-${k}`, title: `Input: ${k}`, html: recordTable(v as Record<string, unknown>) });
  const env = file.environment;
  const flat: Record<string, unknown> = {
    ...Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'backend')),
    ...(env.backend ? Object.fromEntries(Object.entries(env.backend).map(([k, v]) => [`backend.${k}`, v])) : {}),
  };
  let html = recordTable(flat);
  if (file.resumes?.length)
    html += `<h3>Resumed ${file.resumes.length} time(s)</h3>` + table(['at', 'backend', 'argv'], file.resumes.map((r) => [r.capturedAt, r.backend?.name ?? '-', r.argv.join(' ')]));
  out.push({ id: 'environment', title: 'Environment', html });
  return out;
}

/** Any run: one chart per metric of its train and epoch records. */
export function genericSections(runs: NamedRun[]): SectionOutput {
  const plots: { file: string; svg: string }[] = [];
  const html: string[] = [];
  for (const kind of ['train', 'epoch'] as const) {
    for (const m of metricNames(runs[0].records, kind)) {
      const c = dualChart(`${kind}-${m.replace(/[^A-Za-z0-9]+/g, '-')}`, m, seriesOf(runs, kind, m, kind === 'train' ? 'step' : 'epoch'), kind === 'train' ? 'step' : 'epoch', m);
      if (c) {
        plots.push({ file: c.file, svg: c.svg });
        html.push(c.html);
      }
    }
  }
  return { sections: [{ id: 'metrics', title: 'Metrics', html: html.length ? `<div class="grid">${html.join('')}</div>` : `<p>${esc('no metrics yet')}</p>` }], plots };
}

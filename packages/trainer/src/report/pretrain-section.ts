import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { barChartSvg, heatmapSvg, stackedBarChartSvg, wilsonInterval } from '@hop/core';
import type { EpochEvaluation, PairEvaluation } from '../pretrain/train';
import { MOVES, majorityBaselines, moveAccuracy } from '../pretrain/accuracy';
import { RunDir, type RunMetric } from '../run/layout';
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
  charts.push(add(dualChart('losses', 'Training losses (mean over each logging window)', lossSeries, 'step', 'loss (nats per sample)')));
  const valSeries = [
    ...seriesOf(runs, 'epoch', 'train/policy', 'epoch', 'train CE'),
    ...seriesOf(runs, 'epoch', 'val/nll', 'epoch', 'validation CE'),
    ...seriesOf(runs, 'epoch', 'val/kl', 'epoch', 'validation KL'),
    ...seriesOf(runs, 'epoch', 'val/recon', 'epoch', 'validation recon'),
  ];
  charts.push(add(dualChart('epoch-losses', 'Per-epoch losses', valSeries, 'epoch', 'loss (nats per sample)')));
  const accSeries = [
    ...seriesOf(runs, 'epoch', 'val/top1', 'epoch', 'top-1'),
    ...seriesOf(runs, 'epoch', 'val/top3', 'epoch', 'top-3'),
    ...seriesOf(runs, 'epoch', 'val/top1_moves', 'epoch', 'top-1 on move labels'),
    ...seriesOf(runs, 'epoch', 'val/top1_moves_prior_mean', 'epoch', 'top-1 moves, z = prior mean'),
    ...seriesOf(runs, 'epoch', 'val/top1_moves_posterior', 'epoch', 'top-1 moves, z from the posterior'),
    ...seriesOf(runs, 'epoch', 'val/majority_baseline', 'epoch', 'majority-class baseline'),
    ...seriesOf(runs, 'epoch', 'val/majority_baseline_moves', 'epoch', 'majority-class baseline, moves'),
  ];
  const classes = lastEvaluation(run, runs[0].records)?.evaluation.labels.length ?? 7;
  charts.push(
    add(
      singleChart('accuracy', 'Validation accuracy of the MOA', accSeries, 'epoch', 'accuracy (fraction of samples)', [
        { y: 1 / classes, label: `chance (1/${classes})` },
      ]),
    ),
  );
  const schedule = [
    ...seriesOf(runs, 'train', 'charts/alpha', 'step', 'alpha (KL weight)'),
    ...seriesOf(runs, 'train', 'charts/temperature', 'step', 'Gumbel temperature'),
  ];
  charts.push(add(singleChart('schedules', 'Schedules', schedule, 'step', 'weight / temperature (unitless)')));
  const gradSeries = seriesOf(runs, 'train', 'charts/grad_norm', 'step', 'gradient norm (before clipping)');
  const clip = runs[0].config?.gradClipNorm;
  charts.push(
    add(
      dualChart('grad-norm', 'Gradient norm', gradSeries, 'step', 'global L2 norm of the gradient', typeof clip === 'number' && clip > 0 ? [{ y: clip, label: `clip threshold ${clip}` }] : []),
    ),
  );
  const epochRecs = runs[0].records.filter((r) => r.kind === 'epoch');
  if (epochRecs.some((r) => typeof r['perf/epoch_seconds'] === 'number')) {
    const sec = (r: RunMetric, k: string) => (typeof r[k] === 'number' ? (r[k] as number) : 0);
    const svg = stackedBarChartSvg({
      title: 'Wall seconds per epoch',
      labels: epochRecs.map((r) => String(r.epoch)),
      parts: [
        { name: 'training', values: epochRecs.map((r) => Math.max(0, sec(r, 'perf/epoch_seconds') - sec(r, 'perf/val_seconds'))) },
        { name: 'validation', values: epochRecs.map((r) => sec(r, 'perf/val_seconds')) },
      ],
      yLabel: 'wall seconds',
      xLabel: 'epoch',
    });
    plots.push({ file: 'epoch-time', svg, html: '' });
    charts.push(figure(svg));
  }

  const sections: ReportSection[] = [
    {
      id: 'curves',
      title: 'Training curves',
      html:
        `<p class="note">Tick <b>log-scale y axes</b> at the top to switch the loss and gradient charts to a log axis. ` +
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
      yLabel: 'share of training labels (fraction)',
    });
    const recall = barChartSvg({
      title: `Per-class recall, epoch ${ev.epoch}`,
      labels,
      values: e.perClass.map((m) => m.recall),
      yLabel: 'recall (fraction)',
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
          // No samples of a class (or no predictions of it): its ratio-based figures are undefined, not 0.
          e.perClass.map((m) => [
            m.label,
            m.count,
            m.ratio,
            m.predicted,
            m.predicted > 0 ? m.precision : '—',
            m.count > 0 ? m.recall : '—',
            m.count > 0 && m.predicted > 0 ? m.f1 : '—',
          ]),
        ),
    });
  }

  const slots = ev?.latent?.slotMeaning;
  if (ev && slots) {
    const goals = ['stag', 'hare', 'none'];
    sections.push({
      id: 'goal-slots',
      title: `Discrete goals: what each slot class means (epoch ${ev.epoch})`,
      html:
        '<p class="note">For every validation row, the class the CVAE prior picks (argmax) in each slot, counted by what the ' +
        'co-player then did: hunted a stag, hunted a hare, or never hunted (hindsight goal). A class that fires mostly before ' +
        'stag hunts is a stag goal.</p>' +
        table(
          ['slot', 'class', 'rows', 'then hunts a stag', 'then hunts a hare', 'never hunts', 'share before a stag hunt', 'share before a hare hunt'],
          slots.flatMap((classes, si) =>
            classes.map((c, k) => {
              const n = c.reduce((a, b) => a + b, 0);
              return [si, k, n, ...goals.map((_, g) => c[g]), n > 0 ? c[0] / n : '—', n > 0 ? c[1] / n : '—'];
            }),
          ),
        ),
    });
  }

  const pairsFile = join(run.pairsDir, 'evaluation.json');
  if (existsSync(pairsFile)) {
    const pairs = JSON.parse(readFileSync(pairsFile, 'utf8')) as PairEvaluation[];
    sections.push({
      id: 'pairs',
      title: 'Per-pair models player_i_to_j (validation rows of player j)',
      html:
        '<p class="note">Each per-pair model written at the end of pretraining, evaluated on its pair\'s rows: the validation ' +
        'rows of the co-player j it models. The pairs start as copies of the generic MOA, so until online training ' +
        'changes them the models of one co-player score alike.</p>' +
        table(
          ['pair', 'rows', 'top-1, all labels', 'top-1, moves', 'majority baseline, moves'],
          pairs.map((p) => [p.pair, p.rows, p.rows > 0 ? p.top1 : '—', p.rows > 0 ? p.top1Moves : '—', p.rows > 0 ? p.majorityMoves : '—']),
        ),
    });
  }

  if (runs.length > 1) {
    sections.push({
      id: 'compare',
      title: 'Compared runs (final epoch)',
      html: table(
        ['run', 'goal input', 'epochs', 'val top-1', 'val top-1 moves', 'val top-3', 'val CE', 'train CE', 'samples/s'],
        runs.map((r) => {
          const last = [...r.records].reverse().find((x) => x.kind === 'epoch');
          return [
            r.name,
            goalInputLabel(r.config),
            last?.epoch ?? 0,
            last?.['val/top1'] ?? '—',
            last?.['val/top1_moves'] ?? '—',
            last?.['val/top3'] ?? '—',
            last?.['val/nll'] ?? '—',
            last?.['train/policy'] ?? '—',
            last?.['perf/samples_per_s'] ?? '—',
          ];
        }),
      ),
    });
  }

  return { sections, plots: plots.map(({ file, svg }) => ({ file, svg })) };
}

/** What a pretraining run's goal input was, in words (the summary says which run is which bound). */
export function goalInputLabel(config: Record<string, unknown> | undefined): string {
  const g = config?.goalInput;
  if (g === 'true') return 'true hindsight goal (upper bound)';
  if (g === 'target') return 'true hindsight goal named by its target (moves toward the nearest prey of its type)';
  if (g === 'none') return 'no goal (lower bound)';
  const latent = String(config?.latent ?? 'vanilla');
  if (latent === 'cvae' || latent === 'cvae-gumbel') return `z sampled from the subgoal CVAE prior (${latent})`;
  return `z of a VAE of o_t (${latent})`;
}

const fixed = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(4) : '—');

/** The last epoch record's number, or the same figure recomputed from the last evaluation file (older runs). */
function headline(last: RunMetric, ev: EpochEvaluation | null): { top1: number; moves: number; majority: number; majorityMoves: number } {
  const base = ev ? majorityBaselines(ev.evaluation) : null;
  const num = (k: string, fallback: number | undefined) => (typeof last[k] === 'number' ? (last[k] as number) : (fallback ?? Number.NaN));
  return {
    top1: num('val/top1', ev?.evaluation.top1),
    moves: num('val/top1_moves', ev ? moveAccuracy(ev.evaluation) : undefined),
    majority: num('val/majority_baseline', base?.all),
    majorityMoves: num('val/majority_baseline_moves', base?.moves),
  };
}

/**
 * Headline numbers of a pretraining run: top-1 on all labels and on move labels, the majority-class baselines
 * beside them, and, for compared runs made with `--goal-input true` / `none`, the bounds (named as such) with
 * the share of the gap this run closes. A warning when the validation KL is under `klWarn`.
 */
export function pretrainSummary(run: RunDir, runs: NamedRun[]): string {
  const records = runs[0].records;
  const epochs = records.filter((r) => r.kind === 'epoch');
  if (epochs.length === 0) return '<p>No epoch has finished yet.</p>';
  const last = epochs[epochs.length - 1];
  const h = headline(last, lastEvaluation(run, records));
  const sps = epochs.map((r) => r['perf/samples_per_s'] as number).filter(Number.isFinite);
  const ev = lastEvaluation(run, records);
  const n = ev && ev.epoch === last.epoch ? sampleCounts(ev) : null;
  const kpi = (label: string, value: string, interval?: string) =>
    `<div><b>${esc(value)}${interval ? ` <span class="se">${esc(interval)}</span>` : ''}</b>${esc(label)}</div>`;
  const acc = (p: number, count: number | undefined) => (count ? wilson(p, count) : undefined);
  const config = runs[0].config;
  const latent = String(config?.latent ?? 'vanilla');
  const cvae = latent.startsWith('cvae') && config?.goalInput === 'z';
  const post = last['val/top1_moves_posterior'];
  const prior = last['val/top1_moves_prior_mean'];
  let html =
    `<p>Goal input of this run: <b>${esc(goalInputLabel(config))}</b>; validation after epoch ${last.epoch} (the final epoch).` +
    (n ? ` Intervals are 95% Wilson intervals over n = ${n.all} validation samples (${n.moves} with a move label).` : '') +
    '</p>';
  if (cvae && typeof post === 'number' && typeof prior === 'number')
    html +=
      `<p class="headline">Does the latent carry information? On move labels the MOA reaches <b>${fixed(post)}</b>${n ? ` ${esc(wilson(post, n.moves))}` : ''} top-1 ` +
      `with z drawn from the posterior (which sees the hindsight subgoal) against <b>${fixed(prior)}</b>${n ? ` ${esc(wilson(prior, n.moves))}` : ''} ` +
      `with z = the prior mean: ${latentVerdict(post, prior, n?.moves)}` +
      `${typeof last['val/kl'] === 'number' ? ` The validation KL is ${esc((last['val/kl'] as number).toFixed(3))} nats.` : ''} ` +
      'A collapsed latent gives no difference and a KL near 0.</p>';
  html +=
    '<div class="kpi">' +
    kpi('top-1, all labels', fixed(h.top1), acc(h.top1, n?.all)) +
    kpi('majority-class baseline, all labels', fixed(h.majority), acc(h.majority, n?.all)) +
    kpi('top-1, move labels only', fixed(h.moves), acc(h.moves, n?.moves)) +
    kpi('majority-class baseline, move labels only', fixed(h.majorityMoves), acc(h.majorityMoves, n?.moves)) +
    kpi('validation top-3', fixed(last['val/top3']), typeof last['val/top3'] === 'number' ? acc(last['val/top3'] as number, n?.all) : undefined) +
    (typeof prior === 'number' ? kpi('top-1 moves, z = prior mean', fixed(prior), acc(prior, n?.moves)) : '') +
    (typeof post === 'number' ? kpi('top-1 moves, z from the posterior (sees the subgoal; not usable at inference)', fixed(post), acc(post, n?.moves)) : '') +
    kpi('epochs', String(last.epoch)) +
    kpi('wall time in the loop', `${last.time.toFixed(0)} s`) +
    kpi('training samples/s', sps.length ? String(Math.round(sps.reduce((a, b) => a + b, 0) / sps.length)) : '-') +
    '</div>';
  // A bound is read at this run's epoch when it has one (same data, same epochs), else at its last epoch.
  const bounds = runs.slice(1).flatMap((r) => {
    const g = r.config?.goalInput;
    const recs = r.records.filter((x) => x.kind === 'epoch');
    const at = recs.find((x) => x.epoch === last.epoch) ?? recs[recs.length - 1];
    if ((g !== 'true' && g !== 'none') || !at || !r.dir) return [];
    const file = new RunDir(r.dir).evalPath(at.epoch, 'json');
    const ev = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as EpochEvaluation) : null;
    // The validation split is drawn from the seed and valFraction: other values validate on other episodes.
    const sameData = r.config?.data === config?.data && r.config?.seed === config?.seed && r.config?.valFraction === config?.valFraction;
    return [{ name: r.name, goal: g as 'true' | 'none', epoch: at.epoch, sameData, h: headline(at, ev) }];
  });
  if (bounds.length) {
    html += table(
      ['run', 'goal input', 'epochs', 'top-1, all labels', 'top-1, moves', 'majority baseline, moves'],
      [
        [runs[0].name + ' (this run)', goalInputLabel(config), last.epoch, fixed(h.top1), fixed(h.moves), fixed(h.majorityMoves)],
        ...bounds.map((b) => [b.name, goalInputLabel({ goalInput: b.goal }), b.epoch, fixed(b.h.top1), fixed(b.h.moves), fixed(b.h.majorityMoves)]),
      ],
    );
    const lo = bounds.find((b) => b.goal === 'none');
    const hi = bounds.find((b) => b.goal === 'true');
    const comparable = (b: (typeof bounds)[number]) => b.epoch === last.epoch && b.sameData;
    if (bounds.some((b) => !comparable(b)))
      html += `<p class="note">Not all bounds are comparable with this run: a bound is compared at the same epoch on the same --data, --seed and --val-fraction (the same validation split) only; see the epochs above.</p>`;
    if (lo && hi && comparable(lo) && comparable(hi) && config?.goalInput === 'z' && hi.h.moves !== lo.h.moves)
      html += `<p>On move labels (epoch ${last.epoch}, same validation split) this run closes <b>${(((h.moves - lo.h.moves) / (hi.h.moves - lo.h.moves)) * 100).toFixed(1)}%</b> of the gap between the no-goal bound (${fixed(lo.h.moves)}) and the true-goal bound (${fixed(hi.h.moves)}).</p>`;
  }
  const kl = last['val/kl'];
  const floor = typeof config?.klWarn === 'number' ? config.klWarn : 0.01;
  if (typeof kl === 'number' && kl < floor)
    html +=
      `<p class="warn"><b>Warning:</b> the validation KL is ${esc(kl.toExponential(2))}, under ${esc(floor)}: ` +
      (String(config?.latent).startsWith('cvae')
        ? 'the posterior adds almost nothing to the prior, so the hindsight subgoal goes unused; the prior can still carry the history (compare the top-1 on moves with the no-goal bound). Try --free-bits.</p>'
        : 'the latent carries almost no information (collapsed); the MOA is then no better than without a goal. Try --latent cvae, or a lower --alpha-max.</p>');
  return html;
}

/**
 * The posterior-minus-prior-mean difference in points with its 95% interval, and what it says. The SE treats the
 * two accuracies as independent (sqrt(p1 q1 / n + p2 q2 / n)); they are measured on the same rows and positively
 * correlated, so the interval is wider than a paired one: a difference it calls measurable is one.
 */
/**
 * The CVAE headline of a pretraining run as one plain-text line (what `hop demo` ends with): move-label
 * top-1 with z from the posterior against z = the prior mean, their difference with its 95% interval and
 * the verdict. Null for runs that are not subgoal CVAEs or have no finished epoch.
 */
export function cvaeHeadlineText(runDir: string): string | null {
  const run = new RunDir(runDir);
  const config = run.readConfig().config as Record<string, unknown> | undefined;
  if (!String(config?.latent ?? '').startsWith('cvae') || config?.goalInput !== 'z') return null;
  const records = run.readMetrics();
  const epochs = records.filter((r) => r.kind === 'epoch');
  if (epochs.length === 0) return null;
  const last = epochs[epochs.length - 1];
  const post = last['val/top1_moves_posterior'];
  const prior = last['val/top1_moves_prior_mean'];
  if (typeof post !== 'number' || typeof prior !== 'number') return null;
  const ev = lastEvaluation(run, records);
  const n = ev && ev.epoch === last.epoch ? sampleCounts(ev).moves : undefined;
  const verdict = latentVerdict(post, prior, n).replace(/<[^>]+>/g, '');
  return `CVAE headline (epoch ${last.epoch}, move labels): top-1 ${post.toFixed(3)} with z from the posterior vs ${prior.toFixed(3)} with z = the prior mean: ${verdict}`;
}

export function latentVerdict(post: number, prior: number, n: number | undefined): string {
  const diff = (post - prior) * 100;
  if (!n) return `a difference of <b>${diff.toFixed(1)}</b> points (no validation count, so no interval).`;
  const se = 100 * Math.sqrt((post * (1 - post)) / n + (prior * (1 - prior)) / n);
  const [lo, hi] = [diff - 1.96 * se, diff + 1.96 * se];
  const interval = `<b>${diff.toFixed(1)}</b> points, 95% interval [${lo.toFixed(1)}, ${hi.toFixed(1)}] (n = ${n})`;
  if (lo > 0) return `a difference of ${interval}: the latent carries information the prior mean lacks.`;
  return `a difference of ${interval}, which includes 0: <b>at this size the latent carries nothing measurable</b> (the subgoal the posterior sees does not change the MOA's predictions detectably).`;
}

/** Validation samples of an evaluation, all labels and move labels only (the n of its accuracies). */
export function sampleCounts(ev: EpochEvaluation): { all: number; moves: number } {
  const rows = ev.evaluation.confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const moves = ev.evaluation.labels.reduce((a, label, t) => a + (MOVES.includes(label) ? rows[t] : 0), 0);
  return { all: rows.reduce((a, b) => a + b, 0), moves };
}

/** The 95% Wilson score interval of a proportion `p` observed over `n` trials, as "[lo, hi]". */
export function wilson(p: number, n: number): string {
  const ci = wilsonInterval(p, n);
  return ci ? `[${ci[0].toFixed(3)}, ${ci[1].toFixed(3)}]` : '';
}

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { stackedBarChartSvg, type LineSeries } from '@hop/core';
import { resolveConfig as resolveStagHuntConfig, type PresetName, type StagHuntConfig } from '@hop/env-staghunt';
import { TIME_GROUPS } from '../metrics/scalars';
import type { RunDir, RunMetric } from '../run/layout';
import { singleChart, type ChartOut, type NamedRun } from './charts';
import { esc, figure, table } from './html';
import type { SectionOutput } from './pretrain-section';

/** Series of `metric` from records of `kind` against `x` (iteration, env steps or wall time), one per run. */
function series(runs: NamedRun[], kind: RunMetric['kind'], metric: string, x: 'step' | 'global_step' | 'time', label = metric): LineSeries[] {
  const out: LineSeries[] = [];
  for (const run of runs) {
    const recs = run.records.filter((r) => r.kind === kind && typeof r[metric] === 'number' && typeof r[x] === 'number');
    if (recs.length) out.push({ name: runs.length > 1 ? `${run.name}: ${label}` : label, x: recs.map((r) => r[x] as number), y: recs.map((r) => r[metric] as number) });
  }
  return out;
}

/**
 * Mean reward per agent of rule teams on a preset (all players the same rule agent, 2,000 episodes; see
 * docs/rules.md#reference-rewards) and the cap (every stag shared by the fewest hunters it needs).
 */
export const REFERENCE_REWARDS: Record<string, { y: number; label: string }[]> = {
  'hop-msh': [
    { y: 0.26, label: 'random team 0.26' },
    { y: 0.93, label: 'nearest-hare team 0.93' },
    { y: 1.94, label: 'mixed rule team 1.94' },
    { y: 3.0, label: 'switching team 3.0' },
    { y: 4.74, label: 'nearest-stag team 4.74' },
    { y: 5, label: 'cap 5' },
  ],
};

/**
 * The most a player can earn per episode on average (every player hunts once): k stags shared by the fewest
 * hunters they need and hares for the rest, the best k. Ignores `timeReward` and uneven `playerStrength`.
 */
export function rewardCap(c: StagHuntConfig): number {
  let best = 0;
  for (let k = 0; k <= Math.min(c.stags, Math.floor(c.players / c.stagMinHunters)); k++)
    best = Math.max(best, (k * c.stagReward + Math.min(c.hares, c.players - k * c.stagMinHunters) * c.hareReward) / c.players);
  return best;
}

/** The reference lines of a reward chart: measured rule teams where known, and the cap. */
export function rewardReferences(env: string): { y: number; label: string }[] {
  const known = REFERENCE_REWARDS[env];
  if (known) return known;
  try {
    const cap = rewardCap(resolveStagHuntConfig(env as PresetName));
    return [{ y: cap, label: `cap ${Number(cap.toFixed(2))}` }];
  } catch {
    return [];
  }
}

/** Standard error of a mean of `n` values whose population std (divided by n) is `std`: std / sqrt(n - 1). */
export function seOfMean(std: number, n: number): number {
  return n > 1 ? std / Math.sqrt(n - 1) : Number.NaN;
}

/** "mean ± SE (n = …)" of a record's `<prefix>/episodic_return`. */
function meanSe(r: RunMetric, prefix: 'eval' | 'charts'): { mean: number; se: number; n: number } {
  const mean = r[`${prefix}/episodic_return`] as number;
  const std = r[`${prefix}/episodic_return_std`] as number;
  const n = r[`${prefix}/episodes`] as number;
  return { mean, se: seOfMean(std, n), n };
}

const kpi = (label: string, value: string, se?: string) =>
  `<div><b>${esc(value)}${se !== undefined ? ` <span class="se">± ${esc(se)}</span>` : ''}</b>${esc(label)}</div>`;
const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');

/**
 * Headline numbers of a training run: the final greedy evaluation and the last iteration's training return,
 * each as mean ± SE with its number of episodes, and the complete time budget (wall and CPU kept apart).
 */
export function trainSummary(records: RunMetric[]): string {
  const its = records.filter((r) => r.kind === 'iteration');
  if (its.length === 0) return '<p>No iteration has finished yet.</p>';
  const last = its[its.length - 1];
  const evals = records.filter((r) => r.kind === 'eval');
  const lastEval = evals[evals.length - 1];
  const ev = lastEval ? meanSe(lastEval, 'eval') : null;
  const tr = typeof last['charts/episodic_return'] === 'number' ? meanSe(last, 'charts') : null;
  return (
    '<div class="kpi">' +
    (ev
      ? kpi(`final greedy evaluation after iteration ${lastEval.step}: mean reward per agent ± SE, n = ${ev.n} held-out episodes`, f3(ev.mean), f3(ev.se))
      : '') +
    (tr ? kpi(`training return, last iteration (sampled decisions): mean ± SE, n = ${tr.n} episodes`, f3(tr.mean), f3(tr.se)) : kpi('training return, last iteration', 'no episode ended')) +
    kpi('iterations', String(last.step)) +
    kpi('env steps', String(last.global_step)) +
    kpi('wall time of the run (warm start, evaluations, iterations)', `${last.time.toFixed(0)} s`) +
    (typeof last['perf/cpu_seconds'] === 'number' ? kpi('CPU time of the run (all threads and workers)', `${last['perf/cpu_seconds'].toFixed(0)} s`) : '') +
    '</div>' +
    '<p class="note">± is one standard error of the mean over episodes (an approximate 95% interval is ± 2 SE). ' +
    'Evaluation uses greedy decisions on held-out episode seeds and trains nothing; the training return comes from the ' +
    'sampled decisions of the rollouts. The figure is the final evaluation, not the best of several: the best of a few ' +
    'noisy evaluations overstates.</p>' +
    timeBudget(records)
  );
}

/** Wall and CPU seconds of each phase of the run: warm start, evaluation before training, iterations. */
export function timeBudget(records: RunMetric[]): string {
  const num = (r: RunMetric | undefined, k: string) => (r && typeof r[k] === 'number' ? (r[k] as number) : 0);
  const warm = records.find((r) => r.kind === 'event' && r.event === 'warm-start');
  const its = records.filter((r) => r.kind === 'iteration');
  const evals = records.filter((r) => r.kind === 'eval');
  const eval0 = evals.find((r) => r.step === 0);
  const rows: unknown[][] = [];
  if (warm) rows.push(['warm start (policy / value cloning)', num(warm, 'time'), warm['time/cpu'] ?? '—']);
  if (eval0) rows.push(['evaluation before self-play (iteration 0)', num(eval0, 'time') - num(warm, 'time'), eval0['time/cpu'] ?? '—']);
  const evalWall = its.reduce((a, r) => a + num(r, 'time/eval'), 0);
  const itWall = its.reduce((a, r) => a + num(r, 'time/iteration'), 0);
  const itCpu = its.reduce((a, r) => a + num(r, 'time/cpu'), 0);
  rows.push([`${its.length} iteration(s): rollouts, updates, checkpoints`, itWall - evalWall, '']);
  rows.push([`evaluations after iterations (${evals.filter((r) => r.step > 0).length})`, evalWall, '']);
  rows.push(['iterations with their evaluations', itWall, itCpu > 0 ? itCpu : '—']);
  const last = its[its.length - 1];
  rows.push(['total (run start to last iteration)', num(last, 'time'), last?.['perf/cpu_seconds'] ?? '—']);
  return (
    '<h3>Time budget</h3>' +
    table(['phase', 'wall seconds', 'CPU seconds'], rows, 1) +
    '<p class="note">Wall time is what a clock on the wall shows; CPU time sums every thread and rollout worker (it can ' +
    'exceed wall time with several cores). CPU time is measured per iteration, evaluations included.</p>'
  );
}

/** The `hop train` part of a report: curves, time bars, replays. */
export function trainSections(run: RunDir, runs: NamedRun[]): SectionOutput {
  const plots: { file: string; svg: string }[] = [];
  const charts: string[] = [];
  const add = (c: ChartOut | null) => {
    if (!c) return;
    plots.push({ file: c.file, svg: c.svg });
    charts.push(c.html);
  };
  const env = String(runs[0].config?.env ?? '');
  const refs = rewardReferences(env);
  /** Mean reward per agent with a ± 1 SE band, one series per run; evaluations get markers (they are sparse). */
  const withSe = (kind: 'eval' | 'iteration', x: 'step' | 'global_step' | 'time', label: string): LineSeries[] => {
    const prefix = kind === 'eval' ? 'eval' : 'charts';
    return runs.flatMap((run) => {
      const recs = run.records.filter((r) => r.kind === kind && typeof r[`${prefix}/episodic_return`] === 'number' && typeof r[x] === 'number');
      if (recs.length === 0) return [];
      const m = recs.map((r) => meanSe(r, prefix));
      return [
        {
          name: runs.length > 1 ? `${run.name}: ${label}` : label,
          x: recs.map((r) => r[x] as number),
          y: m.map((v) => v.mean),
          band: { lo: m.map((v) => v.mean - v.se), hi: m.map((v) => v.mean + v.se) },
          markers: kind === 'eval',
        },
      ];
    });
  };
  const rewardBy = (x: 'step' | 'global_step' | 'time', xLabel: string, file: string) =>
    add(
      singleChart(
        file,
        `Mean reward per agent vs ${xLabel} (bands: ± 1 SE)`,
        [
          ...withSe('iteration', x, 'training (sampled)'),
          ...withSe('eval', x, 'evaluation (greedy, held-out)'),
        ],
        xLabel,
        'mean reward per agent per episode',
        refs,
      ),
    );
  rewardBy('step', 'iteration', 'train-reward');
  rewardBy('global_step', 'env steps', 'train-reward-steps');
  rewardBy('time', 'wall seconds', 'train-reward-time');
  add(
    singleChart(
      'train-prey',
      'Prey caught per episode',
      [...series(runs, 'iteration', 'charts/stags_per_episode', 'step', 'stags'), ...series(runs, 'iteration', 'charts/hares_per_episode', 'step', 'hares')],
      'iteration',
      'prey caught per episode (count)',
    ),
  );
  add(
    singleChart(
      'train-prey-ratio',
      'Prey ratio: stags / all prey caught',
      [...series(runs, 'iteration', 'charts/prey_ratio', 'step', 'training'), ...series(runs, 'eval', 'eval/prey_ratio', 'step', 'evaluation')],
      'iteration',
      'ratio (0-1)',
    ),
  );
  const base = runs[0].records;
  const players = [...new Set(base.flatMap((r) => Object.keys(r).filter((k) => k.startsWith('moa/online_top1/'))))].sort();
  add(
    singleChart(
      'train-inference',
      'Online MOA top-1 (per co-player) and belief accuracy',
      [
        ...players.flatMap((k) => series(runs, 'iteration', k, 'step', k.replace('moa/online_top1/', 'top-1 '))),
        ...series(runs, 'iteration', 'beliefs/accuracy', 'step', 'belief on the goal then achieved'),
        ...series(runs, 'iteration', 'moa/goal_sensitivity', 'step', 'goal sensitivity (TV stag vs hare)'),
      ],
      'iteration',
      'fraction / probability (0-1)',
      [{ y: 1 / 7, label: 'chance top-1 (1/7)' }],
    ),
  );
  add(
    singleChart(
      'train-losses',
      'Policy cross-entropy and entropy',
      [...series(runs, 'iteration', 'losses/policy_loss', 'step', 'policy CE'), ...series(runs, 'iteration', 'losses/entropy', 'step', 'policy entropy')],
      'iteration',
      'nats',
    ),
  );
  add(singleChart('train-value-loss', 'Value loss', series(runs, 'iteration', 'losses/value_loss', 'step', 'value MSE'), 'iteration', 'MSE (reward²)'));
  const its = base.filter((r) => r.kind === 'iteration');
  const num = (r: RunMetric | undefined, k: string) => (r && typeof r[k] === 'number' ? (r[k] as number) : 0);
  // Wall time of every phase, iteration 0 (warm start and the first evaluation) included.
  const warm = base.find((r) => r.kind === 'event' && r.event === 'warm-start');
  const eval0 = base.find((r) => r.kind === 'eval' && r.step === 0);
  const WALL = [
    { name: 'warm start', keys: [] as string[] },
    { name: 'rollouts', keys: ['time/rollout'] },
    { name: 'policy / value update', keys: ['time/policy_update'] },
    { name: 'online MOA update', keys: ['time/moa_update'] },
    { name: 'engine sync', keys: ['time/engine_sync'] },
    { name: 'evaluation', keys: ['time/eval'] },
    { name: 'checkpoint and other', keys: [] as string[] },
  ];
  const first = warm || eval0 ? [{ warm: num(warm, 'time'), eval: eval0 ? num(eval0, 'time') - num(warm, 'time') : 0 }] : [];
  const wallSvg = stackedBarChartSvg({
    title: 'Wall seconds per iteration (0: warm start and the first evaluation)',
    labels: [...first.map(() => '0'), ...its.map((r) => String(r.step))],
    parts: WALL.map((g) => ({
      name: g.name,
      values: [
        ...first.map((f) => (g.name === 'warm start' ? f.warm : g.name === 'evaluation' ? f.eval : 0)),
        ...its.map((r) =>
          g.name === 'warm start'
            ? 0
            : g.name === 'checkpoint and other'
              ? Math.max(0, num(r, 'time/iteration') - WALL.reduce((a, w) => a + w.keys.reduce((b, k) => b + num(r, k), 0), 0))
              : g.keys.reduce((a, k) => a + num(r, k), 0),
        ),
      ],
    })),
    yLabel: 'wall seconds',
    xLabel: 'iteration',
  });
  plots.push({ file: 'train-time', svg: wallSvg });
  charts.push(figure(wallSvg));
  const rolloutSvg = stackedBarChartSvg({
    title: 'Rollout work per iteration, summed over rollout workers',
    labels: its.map((r) => String(r.step)),
    parts: TIME_GROUPS.filter((g) => g.keys.some((k) => k.startsWith('time/plan') || k === 'time/beliefs' || k === 'time/env')).map((g) => ({
      name: g.name,
      values: its.map((r) => g.keys.reduce((a, k) => a + num(r, k), 0)),
    })),
    yLabel: 'worker-seconds (summed over workers)',
    xLabel: 'iteration',
  });
  plots.push({ file: 'train-rollout-time', svg: rolloutSvg });
  charts.push(figure(rolloutSvg));

  const evals = base.filter((r) => r.kind === 'eval');
  const evalTable = evals.length
    ? table(
        ['iteration', 'env steps', 'episodes (n)', 'mean reward per agent', 'SE', 'std', 'stags / episode', 'hares / episode', 'prey ratio'],
        evals.map((r) => [r.step, r.global_step, r['eval/episodes'], r['eval/episodic_return'], meanSe(r, 'eval').se, r['eval/episodic_return_std'], r['eval/stags_per_episode'], r['eval/hares_per_episode'], r['eval/prey_ratio']]),
        3,
      )
    : '<p>No evaluation yet.</p>';
  const replayDir = join(run.root, 'replays');
  const replays = existsSync(replayDir) ? readdirSync(replayDir).filter((f) => f.endsWith('.html')).sort((a, b) => parseInt(a.slice(5)) - parseInt(b.slice(5))) : [];
  const replayHtml = replays.length
    ? `<p>One evaluation episode per page (greedy, held-out seed; legend and each player's beliefs and search inside) to watch: ${replays.map((f) => `<a href="replays/${esc(f)}">${esc(f.replace('.html', ''))}</a>`).join(' · ')}</p>`
    : '<p>No replay written yet (see --replay-every).</p>';
  return {
    sections: [
      { id: 'training', title: 'Self-play training', html: `<div class="grid">${charts.join('')}</div>` },
      { id: 'evaluation', title: 'Greedy evaluation on held-out seeds', html: evalTable + replayHtml },
    ],
    plots,
  };
}

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { stackedBarChartSvg, type LineSeries } from '@hop/core';
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

/** Headline numbers of a training run: last and best greedy evaluation, training return, wall time. */
export function trainSummary(records: RunMetric[]): string {
  const its = records.filter((r) => r.kind === 'iteration');
  if (its.length === 0) return '<p>No iteration has finished yet.</p>';
  const last = its[its.length - 1];
  const evals = records.filter((r) => r.kind === 'eval');
  const kpi = (label: string, value: string) => `<div><b>${esc(value)}</b>${esc(label)}</div>`;
  const lastEval = evals[evals.length - 1];
  const best = evals.length ? evals.reduce((a, b) => ((b['eval/episodic_return'] as number) > (a['eval/episodic_return'] as number) ? b : a)) : null;
  return (
    '<div class="kpi">' +
    (lastEval
      ? kpi(
          `greedy evaluation after iteration ${lastEval.step} (${lastEval['eval/episodes']} held-out episodes, mean reward per agent ± std)`,
          `${(lastEval['eval/episodic_return'] as number).toFixed(3)} ± ${(lastEval['eval/episodic_return_std'] as number).toFixed(2)}`,
        )
      : '') +
    (best ? kpi(`best evaluation (iteration ${best.step})`, (best['eval/episodic_return'] as number).toFixed(3)) : '') +
    kpi('training return, last iteration (sampled decisions)', typeof last['charts/episodic_return'] === 'number' ? last['charts/episodic_return'].toFixed(3) : 'no episode ended') +
    kpi('iterations', String(last.step)) +
    kpi('env steps', String(last.global_step)) +
    kpi('wall time in the loop', `${last.time.toFixed(0)} s`) +
    '</div>' +
    '<p class="note">Evaluation uses greedy decisions on held-out episode seeds and trains nothing; the training return comes from the sampled decisions of the rollouts.</p>'
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
  const rewardBy = (x: 'step' | 'global_step' | 'time', xLabel: string, file: string) =>
    add(
      singleChart(
        file,
        `Mean reward per agent vs ${xLabel}`,
        [...series(runs, 'iteration', 'charts/episodic_return', x, 'training (sampled)'), ...series(runs, 'eval', 'eval/episodic_return', x, 'evaluation (greedy, held-out)')],
        xLabel,
      ),
    );
  rewardBy('step', 'iteration', 'train-reward');
  rewardBy('global_step', 'env steps', 'train-reward-steps');
  rewardBy('time', 'wall seconds', 'train-reward-time');
  add(
    singleChart(
      'train-prey',
      'Prey caught per episode',
      [
        ...series(runs, 'iteration', 'charts/stags_per_episode', 'step', 'stags'),
        ...series(runs, 'iteration', 'charts/hares_per_episode', 'step', 'hares'),
        ...series(runs, 'iteration', 'charts/prey_ratio', 'step', 'prey ratio (stags / all)'),
      ],
      'iteration',
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
    ),
  );
  add(
    singleChart(
      'train-losses',
      'Policy / value losses',
      [
        ...series(runs, 'iteration', 'losses/policy_loss', 'step', 'policy CE'),
        ...series(runs, 'iteration', 'losses/value_loss', 'step', 'value MSE'),
        ...series(runs, 'iteration', 'losses/entropy', 'step', 'policy entropy'),
      ],
      'iteration',
    ),
  );
  const its = base.filter((r) => r.kind === 'iteration');
  const num = (r: RunMetric, k: string) => (typeof r[k] === 'number' ? (r[k] as number) : 0);
  const timeSvg = stackedBarChartSvg({
    title: 'Seconds per iteration (rollout parts summed over workers)',
    labels: its.map((r) => String(r.step)),
    parts: TIME_GROUPS.map((g) => ({ name: g.name, values: its.map((r) => g.keys.reduce((a, k) => a + num(r, k), 0)) })),
    yLabel: 'seconds',
    xLabel: 'iteration',
  });
  plots.push({ file: 'train-time', svg: timeSvg });
  charts.push(figure(timeSvg));

  const evals = base.filter((r) => r.kind === 'eval');
  const evalTable = evals.length
    ? table(
        ['iteration', 'env steps', 'episodes', 'mean reward per agent', 'std', 'stags / episode', 'hares / episode', 'prey ratio'],
        evals.map((r) => [r.step, r.global_step, r['eval/episodes'], r['eval/episodic_return'], r['eval/episodic_return_std'], r['eval/stags_per_episode'], r['eval/hares_per_episode'], r['eval/prey_ratio']]),
        3,
      )
    : '<p>No evaluation yet.</p>';
  const replayDir = join(run.root, 'replays');
  const replays = existsSync(replayDir) ? readdirSync(replayDir).filter((f) => f.endsWith('.html')).sort((a, b) => parseInt(a.slice(5)) - parseInt(b.slice(5))) : [];
  const replayHtml = replays.length
    ? `<p>Evaluation episodes (greedy, held-out seed) to watch: ${replays.map((f) => `<a href="replays/${esc(f)}">${esc(f.replace('.html', ''))}</a>`).join(' · ')}</p>`
    : '<p>No replay written yet (see --replay-every).</p>';
  return {
    sections: [
      { id: 'training', title: 'Self-play training', html: `<div class="grid">${charts.join('')}</div>` },
      { id: 'evaluation', title: 'Greedy evaluation on held-out seeds', html: evalTable + replayHtml },
    ],
    plots,
  };
}

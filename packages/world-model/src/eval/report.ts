import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { barChartSvg, heatmapSvg, lineChartSvg, readMetrics, wilsonInterval, type MetricRecord } from '@hop/core';
import { channelNamesOf, type GridLayout } from '../layout';
import type { Evaluation, PictureSample } from './evaluate';
import { STEP_CATEGORIES, STEP_CATEGORY_HELP, type OffPolicyFigures } from './offpolicy';
import { esc, scatterSvg } from './scatter';

/** Where `trainWorldModel` keeps its files inside a run directory (kept in sync with train/train.ts). */
const EVALUATION_FILE = 'world-model-eval.json';
const OFF_POLICY_FILE = 'world-model-offpolicy.json';
const SECTION = 'world-model';

interface SavedEvaluation extends Evaluation {
  epoch: number;
  config: { layout: GridLayout; arch: string };
}

const num = (r: MetricRecord, k: string): number => (typeof r[k] === 'number' ? (r[k] as number) : NaN);
const fmt = (v: number, digits = 4) => (Number.isFinite(v) ? Number(v.toPrecision(digits)).toString() : '-');

/**
 * One grid picture per channel: `o_t | true o_{t+1} | predicted o_{t+1} | colour scale` side by side in one
 * heatmap, continuous values, grey gap columns between the parts. The last column runs from 1 (top) to 0
 * (bottom): it pins the shared colour scale to [0, 1], so a faint 0.01 stays dark instead of being
 * stretched to the brightest colour when a picture holds nothing larger.
 */
export function samplePictures(layout: GridLayout, s: PictureSample, caption: string): string {
  const { height: H, width: W, channels: C } = layout;
  const names = channelNamesOf(layout);
  const cols = Array.from({ length: W }, (_, c) => `${c}`);
  const colLabels = [...cols, '', ...cols, '', ...cols, '', 'scale'];
  let html = `<figure class="wm-sample"><figcaption>${esc(caption)}: actions [${s.jointAction.join(', ')}], reward ${fmt(s.reward)} (predicted ${fmt(s.predReward)}). Each picture: o_t | true o_t+1 | predicted o_t+1.</figcaption>\n`;
  for (let ch = 0; ch < C; ch++) {
    const matrix: number[][] = [];
    const text: string[][] = [];
    for (let r = 0; r < H; r++) {
      const row: number[] = [];
      for (const grid of [s.obs, s.next, s.pred]) {
        if (row.length) row.push(NaN);
        for (let c = 0; c < W; c++) row.push(grid[(r * W + c) * C + ch]);
      }
      const level = H > 1 ? 1 - r / (H - 1) : 1;
      row.push(NaN, level);
      matrix.push(row);
      text.push(row.map((v, j) => (j === row.length - 1 ? level.toFixed(2) : Number.isFinite(v) && Math.abs(v) >= 0.005 ? v.toFixed(2) : '')));
    }
    html += heatmapSvg({
      title: `${names[ch]} (channel ${ch})`,
      matrix,
      rowLabels: Array.from({ length: H }, (_, r) => `${r}`),
      colLabels,
      cellText: text,
      normalize: 'all',
      cellSize: 26,
    });
  }
  return `${html}</figure>\n`;
}

/** The notes' Python world model (spec §6: 4x4 grid, 7 channels, 50,000 samples), drawn as reference lines. */
const REFERENCE = { obsMse: 0.0074, psnr: 24.08, rewardMse: 0.0012 };
const REFERENCE_TEXT: Record<string, string> = {
  'val/obs_mse': String(REFERENCE.obsMse),
  'val/psnr': String(REFERENCE.psnr),
  'val/reward_mse': String(REFERENCE.rewardMse),
};
/** Summary rows that are proportions of validation transitions. */
const RATES = new Set(['val/reward_exact', 'val/outcome_accuracy', 'val/position_accuracy', 'val/presence_accuracy', 'val/impossible_rate']);

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : '-');

/**
 * Tables of off-policy figures (one per kind of action draw): one-step match rates overall and by step
 * category, then the rollouts fed the model's own states.
 */
export function offPolicySection(figures: OffPolicyFigures[]): string {
  let html = '<h3>Off the data\'s policy: fresh episodes of the true game</h3>\n<p>Each step of each episode is replayed ' +
    'through the planning adapter from the true state (one step), and rollouts from a random step feed the model its own ' +
    'states with the true actions. A step matches when the decoded state, every player\'s reward (within 1e-3) and the end ' +
    'flag all equal the truth.</p>\n';
  for (const f of figures) {
    const draw = f.actions === 'legal' ? 'random legal actions' : 'uniformly random actions (invalid ones act as stay)';
    html += `<h4>${esc(draw)}: ${f.episodes} episodes</h4>\n<table class="wm-offpolicy"><thead><tr><th>steps</th><th>n</th>` +
      '<th>state</th><th>rewards</th><th>end</th><th>all three</th></tr></thead><tbody>\n';
    // a category no step fell in (blocked moves under legal actions) has no rates
    const rate = (r: OffPolicyFigures['oneStep']['overall'], v: number) => (r.steps ? pct(v) : '-');
    const row = (label: string, r: OffPolicyFigures['oneStep']['overall'], help = '') =>
      `<tr><td${help ? ` title="${esc(help)}"` : ''}>${esc(label)}</td><td>${r.steps}</td><td>${rate(r, r.state)}</td><td>${rate(r, r.reward)}</td>` +
      `<td>${rate(r, r.end)}</td><td>${rate(r, r.all)}</td></tr>\n`;
    html += row('all steps', f.oneStep.overall);
    for (const c of STEP_CATEGORIES) html += row(c, f.oneStep.byCategory[c], STEP_CATEGORY_HELP[c]);
    const r = f.rollouts;
    html += '</tbody></table>\n';
    html += `<p>${r.rollouts} rollouts of ${r.horizon} steps: every step matched in <b>${pct(r.allMatch)}</b> ` +
      `(state and end throughout: ${pct(r.stateMatch)}); first divergence in state ${r.firstDivergence.state}, ` +
      `end ${r.firstDivergence.end}, reward ${r.firstDivergence.reward}. Matching so far by step: ` +
      `${r.matchByStep.map((v) => pct(v)).join(', ')}.</p>\n`;
  }
  return html;
}

/**
 * The world-model section of `hop report` for a run directory written by `trainWorldModel`: a summary
 * table (last and best epoch), curves of the losses and validation figures, per-channel MSE, impossible
 * predictions, predicted-vs-true grids per channel and the reward scatter. An HTML fragment (inline SVG).
 */
export function worldModelReportSection(runDir: string): string {
  let records: MetricRecord[] = [];
  try {
    records = readMetrics(runDir).filter((r) => r.section === SECTION);
  } catch {
    records = [];
  }
  // A resumed run may log an epoch twice; keep the last line of each.
  const byEpoch = new Map<number, MetricRecord>();
  for (const r of records) byEpoch.set(num(r, 'epoch'), r);
  const rows = [...byEpoch.values()].sort((a, b) => num(a, 'epoch') - num(b, 'epoch'));
  const evalPath = join(runDir, EVALUATION_FILE);
  let ev: SavedEvaluation | null = null;
  let evError = '';
  if (existsSync(evalPath))
    try {
      ev = JSON.parse(readFileSync(evalPath, 'utf8')) as SavedEvaluation;
    } catch (e) {
      evError = `<p>${esc(evalPath)} could not be read (${esc((e as Error).message)}); pictures left out.</p>\n`;
    }

  let offPolicy: OffPolicyFigures[] | null = null;
  const offPath = join(runDir, OFF_POLICY_FILE);
  if (existsSync(offPath))
    try {
      offPolicy = (JSON.parse(readFileSync(offPath, 'utf8')) as { figures: OffPolicyFigures[] }).figures;
    } catch (e) {
      evError += `<p>${esc(offPath)} could not be read (${esc((e as Error).message)}); off-policy figures left out.</p>\n`;
    }

  let html = `<section class="world-model">\n<h2>World model</h2>\n${evError}`;
  if (!rows.length && !ev) return `${html}<p>No world-model epochs in ${esc(runDir)} yet.</p>\n</section>\n`;

  if (rows.length) {
    const last = rows[rows.length - 1];
    // the epoch best/ holds: lowest validation objective (runs logged before it existed: lowest obs MSE)
    const bestKey = rows.every((r) => typeof r['val/objective'] === 'number') ? 'val/objective' : 'val/obs_mse';
    const best = rows.reduce((a, b) => (num(b, bestKey) < num(a, bestKey) ? b : a));
    const keys: [string, string][] = [
      ['val/objective', 'validation objective (recon + outcome weight x outcome)'],
      ['val/obs_mse', 'obs MSE'],
      ['val/psnr', 'PSNR (dB)'],
      ['val/reward_mse', 'reward MSE (rules on the predicted outcome)'],
      ['val/reward_exact', 'rewards within 1e-3'],
      ['val/outcome_accuracy', 'hunt outcome exact'],
      ['val/catch_recall', 'catches predicted (recall)'],
      ['val/position_accuracy', 'player positions exact'],
      ['val/presence_accuracy', 'on/off grid exact'],
      ['val/impossible_rate', 'impossible-prediction rate'],
      ['time/epoch_seconds', 'epoch seconds'],
    ];
    // Rates over the validation transitions get a Wilson 95% interval (n known from the evaluation of that epoch).
    const n = ev && ev.epoch === num(last, 'epoch') ? ev.metrics.samples : 0;
    const ci = (k: string) => {
      const w = RATES.has(k) ? wilsonInterval(num(last, k), n) : null;
      return w ? `[${w[0].toFixed(3)}, ${w[1].toFixed(3)}]` : '';
    };
    html += '<table class="wm-summary"><thead><tr><th></th>' +
      `<th>last (epoch ${num(last, 'epoch')})</th><th>95% interval (last${n ? `, n = ${n}` : ''})</th><th>best (epoch ${num(best, 'epoch')})</th>` +
      '<th>reference</th></tr></thead><tbody>\n';
    for (const [k, label] of keys)
      html += `<tr><td>${esc(label)}</td><td>${fmt(num(last, k))}</td><td>${ci(k)}</td><td>${fmt(num(best, k))}</td><td>${esc(REFERENCE_TEXT[k] ?? '')}</td></tr>\n`;
    html += '</tbody></table>\n<p class="note">Rates are over validation transitions (Wilson 95% intervals; a rate over players or cells ' +
      'counts a transition as one trial, so the interval is conservative). MSE figures have no interval: the per-transition spread is not ' +
      'logged. The reference is the notes\' Python world model on a 4x4 grid with 7 channels and 50,000 samples (spec §6).</p>\n';
    const x = rows.map((r) => num(r, 'epoch'));
    const series = (k: string, name = k) => ({ name, x, y: rows.map((r) => num(r, k)) });
    html += lineChartSvg({
      title: 'Training losses',
      series: [series('losses/total', 'total'), series('losses/recon', 'recon'), series('losses/outcome', 'outcome')],
      xLabel: 'epoch',
      yLabel: 'loss (per-channel weighted MSE + outcome CE), log scale',
      logY: true,
    });
    html += lineChartSvg({
      title: 'Validation obs / reward MSE',
      series: [series('val/obs_mse', 'obs MSE'), series('val/reward_mse', 'reward MSE')],
      xLabel: 'epoch',
      yLabel: 'MSE (obs: per cell value; reward: reward²), log scale',
      logY: true,
      referenceLines: [
        { y: REFERENCE.obsMse, label: `reference obs MSE ${REFERENCE.obsMse}` },
        { y: REFERENCE.rewardMse, label: `reference reward MSE ${REFERENCE.rewardMse}` },
      ],
    });
    html += lineChartSvg({
      title: 'Validation PSNR',
      series: [series('val/psnr', 'PSNR (dB)')],
      xLabel: 'epoch',
      yLabel: 'PSNR (dB)',
      referenceLines: [{ y: REFERENCE.psnr, label: `reference ${REFERENCE.psnr} dB` }],
    });
    html += lineChartSvg({
      title: 'Structural accuracy',
      series: [series('val/position_accuracy', 'positions exact'), series('val/impossible_rate', 'impossible-prediction rate')],
      xLabel: 'epoch',
      yLabel: 'fraction of validation transitions (0-1)',
      referenceLines: [{ y: 1, label: 'perfect 1' }],
    });
  }
  if (offPolicy) html += offPolicySection(offPolicy);
  if (ev) {
    const layout = ev.config.layout;
    const names = channelNamesOf(layout);
    const m = ev.metrics;
    html += `<p>Evaluation of epoch ${ev.epoch} (${esc(ev.config.arch)} model) on ${m.samples} validation transitions.</p>\n`;
    html += barChartSvg({ title: 'Validation MSE per channel', labels: names, values: m.perChannelMse, yLabel: 'MSE (per cell value, 0-1 scale)' });
    html += barChartSvg({
      title: 'Impossible predictions (count)',
      labels: ['jump > 1 cell', 'on 2+ cells', 'back after done', 'prey appears'],
      values: [m.impossible.playerJump, m.impossible.playerMulti, m.impossible.playerReturn, m.impossible.preyAppear],
      yLabel: `predictions (count, of ${m.samples} transitions)`,
    });
    html += scatterSvg({ title: 'Reward: rules on the predicted outcome vs true', x: ev.scatter.truth, y: ev.scatter.pred, xLabel: 'true reward (per player and step)', yLabel: 'predicted reward (per player and step)' });
    ev.samples.forEach((s, i) => (html += samplePictures(layout, s, `Validation sample ${i + 1} (row ${s.row})`)));
    if (ev.worst) html += samplePictures(layout, ev.worst, `Largest-error validation sample (row ${ev.worst.row})`);
  }
  return `${html}</section>\n`;
}

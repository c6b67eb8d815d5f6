import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { barChartSvg, heatmapSvg, lineChartSvg, readMetrics, type MetricRecord } from '@hop/core';
import { channelNamesOf, type GridLayout } from '../layout';
import type { Evaluation, PictureSample } from './evaluate';
import { esc, scatterSvg } from './scatter';

/** Where `trainWorldModel` keeps its files inside a run directory (kept in sync with train/train.ts). */
const EVALUATION_FILE = 'world-model-eval.json';
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

  let html = `<section class="world-model">\n<h2>World model</h2>\n${evError}`;
  if (!rows.length && !ev) return `${html}<p>No world-model epochs in ${esc(runDir)} yet.</p>\n</section>\n`;

  if (rows.length) {
    const last = rows[rows.length - 1];
    const best = rows.reduce((a, b) => (num(b, 'val/obs_mse') < num(a, 'val/obs_mse') ? b : a));
    const keys: [string, string][] = [
      ['val/obs_mse', 'obs MSE'],
      ['val/psnr', 'PSNR (dB)'],
      ['val/reward_mse', 'reward MSE'],
      ['val/position_accuracy', 'player positions exact'],
      ['val/presence_accuracy', 'on/off grid exact'],
      ['val/done_accuracy', 'done accuracy'],
      ['val/impossible_rate', 'impossible-prediction rate'],
      ['time/epoch_seconds', 'epoch seconds'],
    ];
    html += '<table class="wm-summary"><thead><tr><th></th>' +
      `<th>last (epoch ${num(last, 'epoch')})</th><th>best (epoch ${num(best, 'epoch')})</th></tr></thead><tbody>\n`;
    for (const [k, label] of keys) html += `<tr><td>${esc(label)}</td><td>${fmt(num(last, k))}</td><td>${fmt(num(best, k))}</td></tr>\n`;
    html += '</tbody></table>\n';
    const x = rows.map((r) => num(r, 'epoch'));
    const series = (k: string, name = k) => ({ name, x, y: rows.map((r) => num(r, k)) });
    html += lineChartSvg({
      title: 'Training losses',
      series: [series('losses/total', 'total'), series('losses/recon', 'recon'), series('losses/reward', 'reward'), series('losses/done', 'done')],
      xLabel: 'epoch',
      logY: true,
    });
    html += lineChartSvg({ title: 'Validation obs / reward MSE', series: [series('val/obs_mse', 'obs MSE'), series('val/reward_mse', 'reward MSE')], xLabel: 'epoch', logY: true });
    html += lineChartSvg({ title: 'Validation PSNR', series: [series('val/psnr', 'PSNR (dB)')], xLabel: 'epoch' });
    html += lineChartSvg({
      title: 'Structural accuracy',
      series: [series('val/position_accuracy', 'positions exact'), series('val/impossible_rate', 'impossible-prediction rate')],
      xLabel: 'epoch',
    });
  }
  if (ev) {
    const layout = ev.config.layout;
    const names = channelNamesOf(layout);
    const m = ev.metrics;
    html += `<p>Evaluation of epoch ${ev.epoch} (${esc(ev.config.arch)} model) on ${m.samples} validation transitions.</p>\n`;
    html += barChartSvg({ title: 'Validation MSE per channel', labels: names, values: m.perChannelMse, yLabel: 'MSE' });
    html += barChartSvg({
      title: 'Impossible predictions (count)',
      labels: ['jump > 1 cell', 'on 2+ cells', 'back after done', 'prey appears'],
      values: [m.impossible.playerJump, m.impossible.playerMulti, m.impossible.playerReturn, m.impossible.preyAppear],
    });
    html += scatterSvg({ title: 'Reward: predicted vs true', x: ev.scatter.truth, y: ev.scatter.pred, xLabel: 'true reward', yLabel: 'predicted reward' });
    ev.samples.forEach((s, i) => (html += samplePictures(layout, s, `Validation sample ${i + 1} (row ${s.row})`)));
    if (ev.worst) html += samplePictures(layout, ev.worst, `Largest-error validation sample (row ${ev.worst.row})`);
  }
  return `${html}</section>\n`;
}

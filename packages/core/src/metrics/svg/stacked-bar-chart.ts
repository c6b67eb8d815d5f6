import { HopError } from '../../errors';
import { PALETTE, esc, fmt, linearAxis, px, scale, svgOpen, textWidth, yAxisSvg } from './common';

export interface StackedBarChartOptions {
  title: string;
  /** One label per bar (e.g. iteration numbers). */
  labels: string[];
  /** The stacked parts: `values[k]` has one value per bar (negative or non-finite values count as 0). */
  parts: { name: string; values: number[] }[];
  yLabel?: string;
  xLabel?: string;
  width?: number;
  height?: number;
}

/**
 * Bars made of stacked parts (where the time of each iteration went, say), with a legend. Bars share one
 * axis from 0 to the tallest total; with many bars the labels thin out to about twelve.
 */
export function stackedBarChartSvg(o: StackedBarChartOptions): string {
  const n = o.labels.length;
  for (const p of o.parts)
    if (p.values.length !== n)
      throw new HopError('E_CHART', `stackedBarChartSvg '${o.title}': part '${p.name}' has ${p.values.length} values for ${n} bars`);
  const val = (v: number) => (Number.isFinite(v) && v > 0 ? v : 0);
  const totals = o.labels.map((_, i) => o.parts.reduce((a, p) => a + val(p.values[i]), 0));
  const axis = linearAxis(0, Math.max(1e-9, ...totals), 5, true);
  const legendW = Math.max(0, ...o.parts.map((p) => textWidth(p.name, 12))) + 30;
  const width = o.width ?? Math.max(520, 120 + legendW + Math.min(n, 80) * 10);
  const height = o.height ?? 360;
  const left = 18 + (o.yLabel ? 18 : 0) + Math.max(...axis.labels.map((l) => textWidth(l, 12)));
  const right = width - legendW - 10;
  const top = 40;
  const bottom = height - (o.xLabel ? 48 : 34);
  const sy = scale(axis, bottom, top);
  const slot = (right - left) / Math.max(1, n);
  let svg = svgOpen(width, height, o.title);
  svg += yAxisSvg(axis, left, right, top, bottom, o.yLabel);
  svg += '<g class="bars">\n';
  for (let i = 0; i < n; i++) {
    let base = 0;
    const x = left + i * slot + slot * 0.1;
    const w = Math.max(1, slot * 0.8);
    o.parts.forEach((p, k) => {
      const v = val(p.values[i]);
      if (v === 0) return;
      const y0 = sy(base);
      const y1 = sy(base + v);
      svg += `<rect class="bar" data-label="${esc(o.labels[i])}" data-part="${esc(p.name)}" x="${px(x)}" y="${px(y1)}" width="${px(w)}" height="${px(y0 - y1)}" fill="${PALETTE[k % PALETTE.length]}"><title>${esc(`${o.labels[i]} ${p.name}: ${fmt(v)}`)}</title></rect>\n`;
      base += v;
    });
  }
  svg += `<line x1="${px(left)}" y1="${px(sy(0))}" x2="${px(right)}" y2="${px(sy(0))}" stroke="#333"/>\n</g>\n<g class="x-axis">\n`;
  const every = Math.max(1, Math.ceil(n / 12));
  o.labels.forEach((l, i) => {
    if (i % every !== 0 && i !== n - 1) return;
    svg += `<text class="bar-label" x="${px(left + (i + 0.5) * slot)}" y="${px(bottom + 16)}" text-anchor="middle" font-size="11">${esc(l)}</text>\n`;
  });
  if (o.xLabel) svg += `<text class="axis-label" x="${px((left + right) / 2)}" y="${px(height - 10)}" text-anchor="middle" font-size="12">${esc(o.xLabel)}</text>\n`;
  svg += '</g>\n<g class="legend">\n';
  o.parts.forEach((p, k) => {
    const y = top + 6 + k * 18;
    svg += `<rect x="${px(right + 14)}" y="${px(y - 9)}" width="12" height="12" fill="${PALETTE[k % PALETTE.length]}"/><text x="${px(right + 30)}" y="${px(y + 1)}" font-size="12">${esc(p.name)}</text>\n`;
  });
  if (n === 0) svg += `<text class="no-data" x="${px((left + right) / 2)}" y="${px((top + bottom) / 2)}" text-anchor="middle" fill="#888">no data</text>\n`;
  return `${svg}</g>\n</svg>\n`;
}

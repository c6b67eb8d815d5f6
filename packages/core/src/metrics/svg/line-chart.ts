import { HopError } from '../../errors';
import { PALETTE, esc, fitText, linearAxis, logAxis, px, referenceLinesSvg, scale, svgOpen, textWidth, yAxisSvg } from './common';

export interface LineSeries {
  name: string;
  x: number[];
  y: number[];
  /** A shaded band around the line (e.g. mean +- SE), `lo[i]` / `hi[i]` at `x[i]`. */
  band?: { lo: number[]; hi: number[] };
  /** Draw a marker at every point (sparse series such as evaluations). */
  markers?: boolean;
}

/** A horizontal line at a known value (a baseline, a bound, a threshold), named at the right edge. */
export interface ReferenceLine {
  y: number;
  label: string;
}

export interface LineChartOptions {
  title: string;
  series: LineSeries[];
  xLabel?: string;
  yLabel?: string;
  /** log10 y axis; points with y <= 0 are left out (the line breaks there). */
  logY?: boolean;
  /** Horizontal reference lines; the y range includes them. */
  referenceLines?: ReferenceLine[];
  width?: number;
  height?: number;
}

/**
 * Line chart of several series with a legend, axes with ticks and light grid lines. Non-finite points
 * break a line instead of breaking the picture; empty or constant data gets a sensible range. The x axis
 * ends at the data (no empty stretch after the last point). A series equal to an earlier one at every
 * point (e.g. a total loss with a zero extra term) is drawn dashed on top of it and says so in the legend,
 * so both stay visible.
 */
export function lineChartSvg(o: LineChartOptions): string {
  for (const s of o.series)
    if (s.x.length !== s.y.length)
      throw new HopError('E_CHART', `lineChartSvg '${o.title}': series '${s.name}' has ${s.x.length} x values and ${s.y.length} y values`);
  const logY = o.logY ?? false;
  const usable = (x: number, y: number) => Number.isFinite(x) && Number.isFinite(y) && (!logY || y > 0);
  const refs = (o.referenceLines ?? []).filter((r) => Number.isFinite(r.y) && (!logY || r.y > 0));

  let xLo = Infinity;
  let xHi = -Infinity;
  let yLo = Infinity;
  let yHi = -Infinity;
  for (const s of o.series)
    s.x.forEach((x, i) => {
      const y = s.y[i];
      if (!usable(x, y)) return;
      xLo = Math.min(xLo, x);
      xHi = Math.max(xHi, x);
      yLo = Math.min(yLo, y, s.band && usable(x, s.band.lo[i]) ? s.band.lo[i] : y);
      yHi = Math.max(yHi, y, s.band && usable(x, s.band.hi[i]) ? s.band.hi[i] : y);
    });
  const empty = xLo > xHi;
  if (!empty)
    for (const r of refs) {
      yLo = Math.min(yLo, r.y);
      yHi = Math.max(yHi, r.y);
    }
  const xAxis = linearAxis(xLo, xHi, 6, false, xLo < xHi);
  const yAxis = logY ? logAxis(yLo, yHi) : linearAxis(yLo, yHi, 5);

  // The legend grows with its longest name up to LEGEND_MAX px; a longer name is shortened with an ellipsis
  // (its full text in a tooltip) instead of running off the picture.
  const sameAs = o.series.map((s, k) => o.series.slice(0, k).findIndex((e) => coincide(e, s)));
  const names = o.series.map((s, k) => (sameAs[k] >= 0 ? `${s.name} (= ${o.series[sameAs[k]].name})` : s.name));
  const legendWidth = o.series.length ? Math.min(LEGEND_MAX, 34 + Math.max(...names.map((n) => textWidth(n, 12)))) : 0;
  const width = o.width ?? 640 + legendWidth;
  const height = o.height ?? 400;
  const left = 18 + (o.yLabel ? 18 : 0) + Math.max(...yAxis.labels.map((l) => textWidth(l, 12)));
  const right = width - 20 - legendWidth;
  const top = 40;
  const bottom = height - 40 - (o.xLabel ? 16 : 0);
  const sx = scale(xAxis, left, right);
  const sy = scale(yAxis, bottom, top);

  let svg = svgOpen(width, height, o.title);
  svg += yAxisSvg(yAxis, left, right, top, bottom, o.yLabel);
  svg += `<g class="x-axis">\n<line x1="${px(left)}" y1="${px(bottom)}" x2="${px(right)}" y2="${px(bottom)}" stroke="#333"/>\n`;
  xAxis.ticks.forEach((t, i) => {
    const tx = px(sx(t));
    svg += `<line x1="${tx}" y1="${px(bottom)}" x2="${tx}" y2="${px(bottom + 4)}" stroke="#333"/>`;
    svg += `<text class="tick-x" x="${tx}" y="${px(bottom + 17)}" text-anchor="middle">${esc(xAxis.labels[i])}</text>\n`;
  });
  if (o.xLabel)
    svg += `<text class="axis-label" x="${px((left + right) / 2)}" y="${px(height - 12)}" text-anchor="middle">${esc(o.xLabel)}</text>\n`;
  svg += '</g>\n';
  if (empty)
    svg += `<text class="no-data" x="${px((left + right) / 2)}" y="${px((top + bottom) / 2)}" text-anchor="middle" fill="#888">no data</text>\n`;

  if (!empty) svg += referenceLinesSvg(refs, sy, left, right);
  o.series.forEach((s, k) => {
    const color = PALETTE[k % PALETTE.length];
    const dash = sameAs[k] >= 0 ? ' stroke-dasharray="6 5"' : '';
    const name = names[k];
    // One sub-path per run of usable points; a lone point is drawn as a dot.
    let d = '';
    let dots = '';
    let run: string[] = [];
    const flush = () => {
      if (run.length === 1) {
        const [x, y] = run[0].split(',');
        dots += `<circle cx="${x}" cy="${y}" r="2.5" fill="${color}"/>`;
      } else if (run.length > 1) d += `M${run.join('L')}`;
      run = [];
    };
    s.x.forEach((x, i) => {
      if (usable(x, s.y[i])) run.push(`${px(sx(x))},${px(sy(s.y[i]))}`);
      else flush();
    });
    flush();
    svg += `<g class="series" data-series="${esc(s.name)}">`;
    if (s.band) {
      // One polygon per run of points where the line and both band edges are usable.
      let seg: [number, number, number][] = [];
      const poly = () => {
        if (seg.length > 1)
          svg += `<path class="band" d="M${seg.map(([x, , hi]) => `${px(sx(x))},${px(sy(hi))}`).join('L')}L${[...seg].reverse().map(([x, lo]) => `${px(sx(x))},${px(sy(lo))}`).join('L')}Z" fill="${color}" fill-opacity="0.18" stroke="none"/>`;
        else if (seg.length === 1)
          svg += `<line class="band" x1="${px(sx(seg[0][0]))}" y1="${px(sy(seg[0][1]))}" x2="${px(sx(seg[0][0]))}" y2="${px(sy(seg[0][2]))}" stroke="${color}" stroke-width="2"/>`;
        seg = [];
      };
      s.x.forEach((x, i) => {
        const lo = s.band!.lo[i];
        const hi = s.band!.hi[i];
        if (usable(x, s.y[i]) && usable(x, lo) && usable(x, hi)) seg.push([x, lo, hi]);
        else poly();
      });
      poly();
    }
    if (d) svg += `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8" stroke-linejoin="round"${dash}/>`;
    if (s.markers)
      s.x.forEach((x, i) => {
        if (usable(x, s.y[i])) svg += `<circle class="marker" cx="${px(sx(x))}" cy="${px(sy(s.y[i]))}" r="3.5" fill="${color}" stroke="#fff"/>`;
      });
    svg += `${dots}</g>\n`;
    const ly = top + 8 + k * 18;
    svg += `<g class="legend-entry"><line x1="${px(right + 14)}" y1="${px(ly)}" x2="${px(right + 34)}" y2="${px(ly)}" stroke="${color}" stroke-width="3"${dash}/>`;
    const shown = fitText(name, 12, legendWidth - 22);
    const tip = shown === name ? '' : `<title>${esc(name)}</title>`;
    svg += `<text class="legend" x="${px(right + 40)}" y="${px(ly)}" dominant-baseline="middle">${tip}${esc(shown)}</text></g>\n`;
  });
  return `${svg}</svg>\n`;
}

/** The widest legend, in px (a longer name is shortened). */
const LEGEND_MAX = 360;

/** Same x values and y values equal to 1e-9 (relative): the later line would hide under the earlier one. */
function coincide(a: LineSeries, b: LineSeries): boolean {
  if (a.x.length !== b.x.length || a.x.length === 0) return false;
  return a.x.every((x, i) => x === b.x[i] && Math.abs(a.y[i] - b.y[i]) <= 1e-9 * Math.max(1, Math.abs(a.y[i])));
}

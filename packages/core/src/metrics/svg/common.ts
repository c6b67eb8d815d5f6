/** Shared pieces of the hand-written SVG charts: escaping, number formatting, axis ticks, colours. */

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A coordinate with two decimals; never NaN in the output (callers guard, this is the last line). */
export function px(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 100) / 100) : '0';
}

/** Short human number: 3 significant digits, exponent form outside [1e-3, 1e6). */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'n/a' : v > 0 ? '∞' : '-∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(1).replace('.0e', 'e').replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

/** Tick label for a tick `step` apart: as many decimals as the step needs. */
export function fmtTick(v: number, step: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return fmt(v);
  const decimals = Math.max(0, Math.min(10, -Math.floor(Math.log10(step) + 1e-9)));
  const s = v.toFixed(decimals);
  return s === '-0' || /^-0\.0*$/.test(s) ? s.slice(1) : s;
}

export interface Axis {
  min: number;
  max: number;
  ticks: number[];
  labels: string[];
  log: boolean;
}

/**
 * A linear axis over [lo, hi] with ~`count` ticks at 1 / 2 / 5 x 10^k, widened to whole ticks; `tight` keeps
 * the range at [lo, hi] (the axis ends at the data) with the ticks that fall inside it.
 */
export function linearAxis(lo: number, hi: number, count = 5, includeZero = false, tight = false): Axis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (includeZero) [lo, hi] = [Math.min(lo, 0), Math.max(hi, 0)];
  // All zeros (no prey caught, a loss term that is off): 0..1, not -1..1, which shows values that cannot occur.
  if (lo === 0 && hi === 0) hi = 1;
  else if (lo === hi) {
    const pad = Math.abs(lo) * 0.1;
    [lo, hi] = [lo - pad, hi + pad];
  }
  const raw = (hi - lo) / count;
  // The 1 / 2 / 5 multiple nearest to the raw step (d3's thresholds: sqrt(2), sqrt(10), sqrt(50)).
  const mag = 10 ** Math.floor(Math.log10(raw));
  const err = raw / mag;
  const step = (err >= Math.sqrt(50) ? 10 : err >= Math.sqrt(10) ? 5 : err >= Math.SQRT2 ? 2 : 1) * mag;
  const first = Math.floor(lo / step + 1e-9) * step;
  const last = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; first + i * step <= last + step * 1e-9; i++) {
    const t = Number((first + i * step).toPrecision(12));
    if (!tight || (t >= lo - step * 1e-9 && t <= hi + step * 1e-9)) ticks.push(t);
  }
  const [min, max] = tight ? [lo, hi] : [first, last];
  return { min, max, ticks, labels: ticks.map((t) => fmtTick(t, step)), log: false };
}

/** A log10 axis over positive [lo, hi], widened to whole decades (ticks at 1, 2, 5 x 10^k when narrow). */
export function logAxis(lo: number, hi: number): Axis {
  if (!(lo > 0 && hi > 0 && Number.isFinite(lo) && Number.isFinite(hi))) [lo, hi] = [1, 10];
  let e0 = Math.floor(Math.log10(lo) + 1e-9);
  let e1 = Math.max(e0 + 1, Math.ceil(Math.log10(hi) - 1e-9));
  const every = Math.ceil((e1 - e0) / 8); // at most ~8 labelled decades
  e0 = Math.floor(e0 / every) * every;
  e1 = e0 + Math.ceil((e1 - e0) / every) * every;
  const ticks: number[] = [];
  for (let e = e0; e <= e1; e += every) {
    ticks.push(10 ** e);
    if (e1 - e0 <= 2 && e < e1) ticks.push(2 * 10 ** e, 5 * 10 ** e);
  }
  const clean = ticks.map((t) => Number(t.toPrecision(12)));
  return { min: 10 ** e0, max: 10 ** e1, ticks: clean, labels: clean.map(fmt), log: true };
}

/** Maps a value to a pixel coordinate on `axis` between `p0` (at min) and `p1` (at max). */
export function scale(axis: Axis, p0: number, p1: number): (v: number) => number {
  if (axis.log) {
    const l0 = Math.log10(axis.min);
    const l1 = Math.log10(axis.max);
    return (v) => p0 + ((Math.log10(v) - l0) / (l1 - l0)) * (p1 - p0);
  }
  return (v) => p0 + ((v - axis.min) / (axis.max - axis.min)) * (p1 - p0);
}

/** Tableau 10: distinguishable series colours. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

const VIRIDIS = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

/** Viridis colour of t in [0, 1], and whether text on it should be white. */
export function viridis(t: number): { fill: string; darkBackground: boolean } {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const c = VIRIDIS[i].map((a, k) => Math.round(a + (VIRIDIS[i + 1][k] - a) * f));
  const luminance = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  return { fill: `rgb(${c[0]},${c[1]},${c[2]})`, darkBackground: luminance < 140 };
}

/** Rough width of `s` in px at `size` px sans-serif (layout only; SVG renderers measure for real). */
export function textWidth(s: string, size: number): number {
  return s.length * size * 0.6;
}

/**
 * `s` shortened with an ellipsis to fit `maxWidth` px at `size` px (by `textWidth`); the full text is for a
 * tooltip (`<title>`).
 */
export function fitText(s: string, size: number, maxWidth: number): string {
  if (textWidth(s, size) <= maxWidth) return s;
  const keep = Math.max(1, Math.floor(maxWidth / (size * 0.6)) - 1);
  return `${s.slice(0, keep)}…`;
}

/**
 * Horizontal reference lines (baselines, bounds, thresholds), each named at the right edge of the plot area.
 * Labels of lines closer than a line of text are pushed apart downwards (top to bottom), so that equal or near
 * values (two rule teams that both reach the cap) stay readable.
 */
export function referenceLinesSvg(refs: { y: number; label: string }[], sy: (v: number) => number, left: number, right: number): string {
  const order = refs.map((r, i) => ({ r, i, y: sy(r.y) })).sort((a, b) => a.y - b.y || a.i - b.i);
  const labelY = new Map<number, number>();
  let prev = -Infinity;
  for (const o of order) {
    const ty = Math.max(o.y - 4, prev + 12);
    labelY.set(o.i, ty);
    prev = ty;
  }
  let svg = '';
  refs.forEach((r, i) => {
    const ry = px(sy(r.y));
    svg += `<g class="reference-line" data-label="${esc(r.label)}"><line x1="${px(left)}" y1="${ry}" x2="${px(right)}" y2="${ry}" stroke="#888" stroke-width="1.2" stroke-dasharray="2 4"/>`;
    svg += `<text x="${px(right - 4)}" y="${px(labelY.get(i)!)}" text-anchor="end" font-size="11" fill="#666">${esc(r.label)}</text></g>\n`;
  });
  return svg;
}

export function svgOpen(width: number, height: number, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${px(width)}" height="${px(height)}" viewBox="0 0 ${px(width)} ${px(height)}" ` +
    `font-family="Helvetica, Arial, sans-serif" font-size="12" role="img" aria-label="${esc(title)}">\n` +
    `<title>${esc(title)}</title>\n<rect width="100%" height="100%" fill="#ffffff"/>\n` +
    `<text class="title" x="${px(width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>\n`
  );
}

/** The y axis (line, ticks, labels, light grid lines) of a plot area. */
export function yAxisSvg(axis: Axis, left: number, right: number, top: number, bottom: number, label?: string): string {
  const y = scale(axis, bottom, top);
  let s = `<g class="y-axis">\n<line x1="${px(left)}" y1="${px(top)}" x2="${px(left)}" y2="${px(bottom)}" stroke="#333"/>\n`;
  axis.ticks.forEach((t, i) => {
    const ty = px(y(t));
    s += `<line x1="${px(left)}" y1="${ty}" x2="${px(right)}" y2="${ty}" stroke="#e5e5e5"/>`;
    s += `<line x1="${px(left - 4)}" y1="${ty}" x2="${px(left)}" y2="${ty}" stroke="#333"/>`;
    s += `<text class="tick-y" x="${px(left - 7)}" y="${ty}" text-anchor="end" dominant-baseline="middle">${esc(axis.labels[i])}</text>\n`;
  });
  if (label)
    s += `<text class="axis-label" transform="translate(16 ${px((top + bottom) / 2)}) rotate(-90)" text-anchor="middle">${esc(label)}</text>\n`;
  return `${s}</g>\n`;
}

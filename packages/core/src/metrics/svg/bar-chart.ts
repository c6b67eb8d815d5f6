import { HopError } from '../../errors';
import { PALETTE, esc, fmt, linearAxis, px, referenceLinesSvg, scale, svgOpen, textWidth, yAxisSvg } from './common';

export interface BarChartOptions {
  title: string;
  labels: string[];
  values: number[];
  yLabel?: string;
  width?: number;
  height?: number;
  /** One colour for all bars (default), or one per bar. */
  colors?: string | string[];
  /** Error bars: half-widths (e.g. one standard error) drawn as whiskers from `value - e` to `value + e`. */
  errors?: number[];
  /** Horizontal reference lines (baselines, bounds); the y range includes them. */
  referenceLines?: { y: number; label: string }[];
}

/**
 * Bars from a zero baseline (negative values hang below it), each with its value printed on it; optional error
 * whiskers and horizontal reference lines.
 */
export function barChartSvg(o: BarChartOptions): string {
  if (o.labels.length !== o.values.length)
    throw new HopError('E_CHART', `barChartSvg '${o.title}': ${o.labels.length} labels but ${o.values.length} values`);
  if (o.errors && o.errors.length !== o.values.length)
    throw new HopError('E_CHART', `barChartSvg '${o.title}': ${o.values.length} values but ${o.errors.length} error bars`);
  const err = (i: number) => (o.errors && Number.isFinite(o.errors[i]) ? Math.abs(o.errors[i]) : 0);
  const refs = (o.referenceLines ?? []).filter((r) => Number.isFinite(r.y));
  const finite = [
    ...o.values.flatMap((v, i) => (Number.isFinite(v) ? [v - err(i), v + err(i)] : [])),
    ...(o.values.some(Number.isFinite) ? refs.map((r) => r.y) : []),
  ];
  const axis = linearAxis(finite.length ? Math.min(...finite) : 0, finite.length ? Math.max(...finite) : 1, 5, true);
  const n = o.values.length;
  const labelW = Math.max(0, ...o.labels.map((l) => textWidth(l, 12)));
  // Wide enough for the title and the reference lines' labels as well as the bars.
  const refW = Math.max(0, ...refs.map((r) => textWidth(r.label, 11)));
  const width = o.width ?? Math.max(360, textWidth(o.title, 15) * 0.95 + 40, 120 + refW + n * 40, 90 + n * Math.max(48, Math.min(90, labelW + 12)));
  const left = 18 + (o.yLabel ? 18 : 0) + Math.max(...axis.labels.map((l) => textWidth(l, 12)));
  const right = width - 16;
  const slot = (right - left) / Math.max(1, n);
  const rotate = labelW > slot - 6;
  const height = o.height ?? 360 + (rotate ? labelW * 0.45 : 0);
  const top = 40;
  const bottom = height - (rotate ? labelW * 0.45 + 22 : 34);
  const sy = scale(axis, bottom, top);
  const zero = sy(0);

  let svg = svgOpen(width, height, o.title);
  svg += yAxisSvg(axis, left, right, top, bottom, o.yLabel);
  svg += '<g class="bars">\n';
  o.values.forEach((v, i) => {
    const color = Array.isArray(o.colors) ? o.colors[i % o.colors.length] : (o.colors ?? PALETTE[0]);
    const x = left + i * slot + slot * 0.15;
    const w = slot * 0.7;
    if (Number.isFinite(v)) {
      const y = sy(v);
      svg += `<rect class="bar" data-label="${esc(o.labels[i])}" x="${px(x)}" y="${px(Math.min(y, zero))}" width="${px(w)}" height="${px(Math.abs(zero - y))}" fill="${esc(color)}"/>`;
      const e = err(i);
      if (e > 0) {
        const [y0, y1, cx] = [sy(v - e), sy(v + e), x + w / 2];
        svg += `<g class="error-bar" data-label="${esc(o.labels[i])}" stroke="#333" stroke-width="1.4"><line x1="${px(cx)}" y1="${px(y0)}" x2="${px(cx)}" y2="${px(y1)}"/>`;
        svg += `<line x1="${px(cx - 6)}" y1="${px(y0)}" x2="${px(cx + 6)}" y2="${px(y0)}"/><line x1="${px(cx - 6)}" y1="${px(y1)}" x2="${px(cx + 6)}" y2="${px(y1)}"/></g>`;
      }
      // The value sits beyond the whisker's end, where it cannot be overdrawn.
      const ty = v >= 0 ? sy(v + e) - 4 : sy(v - e) + 13;
      svg += `<text class="bar-value" x="${px(x + w / 2)}" y="${px(ty)}" text-anchor="middle" font-size="11">${esc(fmt(v))}</text>\n`;
    } else {
      svg += `<text class="bar-value" x="${px(x + w / 2)}" y="${px(zero - 4)}" text-anchor="middle" font-size="11" fill="#888">${esc(fmt(v))}</text>\n`;
    }
  });
  svg += `<line x1="${px(left)}" y1="${px(zero)}" x2="${px(right)}" y2="${px(zero)}" stroke="#333"/>\n</g>\n`;
  if (n > 0) svg += referenceLinesSvg(refs, sy, left, right);
  svg += '<g class="x-axis">\n';
  o.labels.forEach((l, i) => {
    const x = left + (i + 0.5) * slot;
    svg += rotate
      ? `<text class="bar-label" transform="translate(${px(x)} ${px(bottom + 14)}) rotate(-35)" text-anchor="end">${esc(l)}</text>\n`
      : `<text class="bar-label" x="${px(x)}" y="${px(bottom + 18)}" text-anchor="middle">${esc(l)}</text>\n`;
  });
  if (n === 0)
    svg += `<text class="no-data" x="${px((left + right) / 2)}" y="${px((top + bottom) / 2)}" text-anchor="middle" fill="#888">no data</text>\n`;
  return `${svg}</g>\n</svg>\n`;
}

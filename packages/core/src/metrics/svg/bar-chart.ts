import { HopError } from '../../errors';
import { PALETTE, esc, fmt, linearAxis, px, scale, svgOpen, textWidth, yAxisSvg } from './common';

export interface BarChartOptions {
  title: string;
  labels: string[];
  values: number[];
  yLabel?: string;
  width?: number;
  height?: number;
  /** One colour for all bars (default), or one per bar. */
  colors?: string | string[];
}

/** Bars from a zero baseline (negative values hang below it), each with its value printed on it. */
export function barChartSvg(o: BarChartOptions): string {
  if (o.labels.length !== o.values.length)
    throw new HopError('E_CHART', `barChartSvg '${o.title}': ${o.labels.length} labels but ${o.values.length} values`);
  const finite = o.values.filter(Number.isFinite);
  const axis = linearAxis(finite.length ? Math.min(...finite) : 0, finite.length ? Math.max(...finite) : 1, 5, true);
  const n = o.values.length;
  const labelW = Math.max(0, ...o.labels.map((l) => textWidth(l, 12)));
  const width = o.width ?? Math.max(360, 90 + n * Math.max(48, Math.min(90, labelW + 12)));
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
      svg += `<text class="bar-value" x="${px(x + w / 2)}" y="${px(v >= 0 ? y - 4 : y + 13)}" text-anchor="middle" font-size="11">${esc(fmt(v))}</text>\n`;
    } else {
      svg += `<text class="bar-value" x="${px(x + w / 2)}" y="${px(zero - 4)}" text-anchor="middle" font-size="11" fill="#888">${esc(fmt(v))}</text>\n`;
    }
  });
  svg += `<line x1="${px(left)}" y1="${px(zero)}" x2="${px(right)}" y2="${px(zero)}" stroke="#333"/>\n</g>\n<g class="x-axis">\n`;
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

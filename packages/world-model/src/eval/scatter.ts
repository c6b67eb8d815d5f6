/** Escapes text for SVG / HTML. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const f = (v: number) => (Math.round(v * 100) / 100).toString();

/**
 * Scatter plot of predicted vs true values with the identity line (points on it are exact).
 * Both axes share one range so distance from the diagonal reads as error.
 */
export function scatterSvg(o: { title: string; x: number[]; y: number[]; xLabel: string; yLabel: string; size?: number }): string {
  const size = o.size ?? 420;
  const pad = { l: 56, r: 16, t: 36, b: 44 };
  const vals = [...o.x, ...o.y].filter(Number.isFinite);
  let lo = vals.length ? Math.min(0, ...vals) : 0;
  let hi = vals.length ? Math.max(...vals) : 1;
  if (hi - lo < 1e-9) hi = lo + 1;
  const margin = (hi - lo) * 0.05;
  lo -= margin;
  hi += margin;
  const w = size - pad.l - pad.r;
  const h = size - pad.t - pad.b;
  const sx = (v: number) => pad.l + ((v - lo) / (hi - lo)) * w;
  const sy = (v: number) => pad.t + h - ((v - lo) / (hi - lo)) * h;
  let svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" ` +
    `font-family="Helvetica, Arial, sans-serif" font-size="12" role="img" aria-label="${esc(o.title)}">\n` +
    `<title>${esc(o.title)}</title>\n<rect width="100%" height="100%" fill="#ffffff"/>\n` +
    `<text x="${size / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(o.title)}</text>\n` +
    `<rect x="${pad.l}" y="${pad.t}" width="${w}" height="${h}" fill="none" stroke="#333"/>\n` +
    `<line class="identity" x1="${f(sx(lo))}" y1="${f(sy(lo))}" x2="${f(sx(hi))}" y2="${f(sy(hi))}" stroke="#bbbbbb" stroke-dasharray="4 3"/>\n`;
  // ticks on a 1 / 2 / 5 x 10^k step
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((st) => st >= raw) ?? raw;
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) {
    svg += `<text x="${f(sx(v))}" y="${pad.t + h + 16}" text-anchor="middle">${f(v)}</text>`;
    svg += `<text x="${pad.l - 6}" y="${f(sy(v))}" text-anchor="end" dominant-baseline="middle">${f(v)}</text>\n`;
  }
  svg += `<text class="axis-label" x="${pad.l + w / 2}" y="${size - 8}" text-anchor="middle">${esc(o.xLabel)}</text>\n`;
  svg += `<text class="axis-label" transform="translate(14 ${pad.t + h / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>\n<g class="points">`;
  o.x.forEach((x, i) => {
    const y = o.y[i];
    if (Number.isFinite(x) && Number.isFinite(y))
      svg += `<circle cx="${f(sx(x))}" cy="${f(sy(y))}" r="2.5" fill="#4e79a7" fill-opacity="0.5"/>`;
  });
  return `${svg}</g>\n</svg>\n`;
}

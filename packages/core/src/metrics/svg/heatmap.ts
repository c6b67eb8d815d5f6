import { HopError } from '../../errors';
import { esc, fmt, px, svgOpen, textWidth, viridis } from './common';

export interface HeatmapOptions {
  title: string;
  matrix: number[][];
  rowLabels: string[];
  colLabels: string[];
  /** Text in each cell; defaults to the value, 3 significant digits. */
  cellText?: string[][];
  xLabel?: string;
  yLabel?: string;
  /**
   * Colour scale: `'row'` (default) spans each row from min(0, row min) to its max, so every row's
   * largest cell is brightest (read a confusion matrix row by row); `'all'` uses one scale for the matrix.
   */
  normalize?: 'row' | 'all';
  /** Side of a cell in px (default 56). */
  cellSize?: number;
}

function range(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 0];
  return [Math.min(0, ...finite), Math.max(...finite)];
}

/** Heatmap with row / column labels and a value in every cell (viridis colours, row-normalised by default). */
export function heatmapSvg(o: HeatmapOptions): string {
  const rows = o.matrix.length;
  const cols = o.colLabels.length;
  const where = `heatmapSvg '${o.title}'`;
  if (o.rowLabels.length !== rows)
    throw new HopError('E_CHART', `${where}: ${rows} rows but ${o.rowLabels.length} row labels`);
  o.matrix.forEach((r, i) => {
    if (r.length !== cols) throw new HopError('E_CHART', `${where}: row ${i} has ${r.length} cells, there are ${cols} column labels`);
    if (o.cellText && o.cellText[i]?.length !== cols)
      throw new HopError('E_CHART', `${where}: cellText row ${i} has ${o.cellText[i]?.length ?? 0} entries, expected ${cols}`);
  });
  const norm = o.normalize ?? 'row';
  const all = range(o.matrix.flat());

  const cell = o.cellSize ?? 56;
  const font = Math.max(8, Math.min(13, cell / 4));
  const rowLabelW = Math.max(0, ...o.rowLabels.map((l) => textWidth(l, 12)));
  const colLabelH = Math.max(0, ...o.colLabels.map((l) => textWidth(l, 12)));
  const rotate = o.colLabels.some((l) => textWidth(l, 12) > cell - 4);
  const left = 16 + (o.yLabel ? 22 : 0) + rowLabelW;
  const top = 40;
  const gridW = cols * cell;
  const gridH = rows * cell;
  const bottomLabels = rotate ? colLabelH * 0.75 + 12 : 20;
  const note = norm === 'row' ? 'colour: scaled per row (brightest = row maximum)' : 'colour: one scale for all cells';
  const width = Math.max(left + gridW + 24, textWidth(o.title, 15) + 40, left + textWidth(note, 10) + 12);
  const height = top + gridH + bottomLabels + (o.xLabel ? 26 : 8) + 18;

  let svg = svgOpen(width, height, o.title);
  svg += '<g class="cells">\n';
  o.matrix.forEach((row, i) => {
    const [lo, hi] = norm === 'row' ? range(row) : all;
    row.forEach((v, j) => {
      const x = left + j * cell;
      const y = top + i * cell;
      const finite = Number.isFinite(v);
      const t = finite && hi > lo ? (v - lo) / (hi - lo) : 0;
      const c = viridis(t);
      const fill = finite ? c.fill : '#d0d0d0';
      const text = o.cellText ? o.cellText[i][j] : fmt(v);
      svg += `<rect class="cell" data-row="${i}" data-col="${j}" x="${px(x)}" y="${px(y)}" width="${px(cell)}" height="${px(cell)}" fill="${fill}" stroke="#ffffff"/>`;
      svg += `<text class="cell-text" x="${px(x + cell / 2)}" y="${px(y + cell / 2)}" text-anchor="middle" dominant-baseline="middle" font-size="${px(font)}" fill="${finite && c.darkBackground ? '#ffffff' : '#111111'}">${esc(text)}</text>\n`;
    });
  });
  svg += '</g>\n<g class="labels">\n';
  o.rowLabels.forEach((l, i) => {
    svg += `<text class="row-label" x="${px(left - 6)}" y="${px(top + (i + 0.5) * cell)}" text-anchor="end" dominant-baseline="middle">${esc(l)}</text>\n`;
  });
  const ly = top + gridH + 14;
  o.colLabels.forEach((l, j) => {
    const x = left + (j + 0.5) * cell;
    svg += rotate
      ? `<text class="col-label" transform="translate(${px(x)} ${px(ly)}) rotate(-35)" text-anchor="end">${esc(l)}</text>\n`
      : `<text class="col-label" x="${px(x)}" y="${px(ly)}" text-anchor="middle">${esc(l)}</text>\n`;
  });
  if (o.xLabel)
    svg += `<text class="axis-label" x="${px(left + gridW / 2)}" y="${px(top + gridH + bottomLabels + 16)}" text-anchor="middle">${esc(o.xLabel)}</text>\n`;
  if (o.yLabel)
    svg += `<text class="axis-label" transform="translate(16 ${px(top + gridH / 2)}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>\n`;
  svg += `<text class="note" x="${px(left)}" y="${px(height - 6)}" font-size="10" fill="#666">${esc(note)}</text>\n`;
  return `${svg}</g>\n</svg>\n`;
}

import type { Geometry } from '../core/geometry';
import { isObstacle } from '../core/geometry';

/** Distinguishable player colours (colour-blind friendly first). */
export const PLAYER_COLORS = [
  '#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#e377c2', '#7f7f7f',
  '#bcbd22', '#8c564b', '#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173', '#3182bd',
];

export interface SvgFrameOptions {
  /** Pixels per cell (default 56). */
  cellSize?: number;
  /** Text under the time in the header. */
  caption?: string;
  /** Per player returns so far, shown in the legend. */
  returns?: ArrayLike<number>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const f = (x: number) => (Math.round(x * 10) / 10).toString();

function stagGlyph(x: number, y: number, s: number): string {
  // brown body with antlers: large, dark, unmistakable next to the small pale hare
  const r = s * 0.34;
  const a = s * 0.16;
  return (
    `<g class="stag"><path d="M${f(x - r * 0.55)} ${f(y - r * 0.6)} l${f(-a)} ${f(-a)} m${f(a * 0.5)} ${f(a * 0.5)} l0 ${f(-a)}` +
    ` M${f(x + r * 0.55)} ${f(y - r * 0.6)} l${f(a)} ${f(-a)} m${f(-a * 0.5)} ${f(a * 0.5)} l0 ${f(-a)}" stroke="#5d3a1a" stroke-width="${f(s * 0.05)}" fill="none" stroke-linecap="round"/>` +
    `<rect x="${f(x - r)}" y="${f(y - r * 0.7)}" width="${f(2 * r)}" height="${f(1.5 * r)}" rx="${f(r * 0.45)}" fill="#8d5524" stroke="#5d3a1a" stroke-width="1.5"/>` +
    `<text x="${f(x)}" y="${f(y + r * 0.35)}" font-size="${f(s * 0.3)}" text-anchor="middle" fill="#fff" font-weight="bold">S</text></g>`
  );
}

function hareGlyph(x: number, y: number, s: number): string {
  const r = s * 0.22;
  return (
    `<g class="hare"><ellipse cx="${f(x - r * 0.45)}" cy="${f(y - r * 1.05)}" rx="${f(r * 0.22)}" ry="${f(r * 0.6)}" fill="#c5b79a" stroke="#7a6d52"/>` +
    `<ellipse cx="${f(x + r * 0.45)}" cy="${f(y - r * 1.05)}" rx="${f(r * 0.22)}" ry="${f(r * 0.6)}" fill="#c5b79a" stroke="#7a6d52"/>` +
    `<circle cx="${f(x)}" cy="${f(y)}" r="${f(r)}" fill="#e3d7bd" stroke="#7a6d52" stroke-width="1.5"/>` +
    `<text x="${f(x)}" y="${f(y + r * 0.4)}" font-size="${f(s * 0.22)}" text-anchor="middle" fill="#4a4030" font-weight="bold">H</text></g>`
  );
}

/**
 * One SVG frame of a state: obstacles as dark blocks, stags as large brown antlered blocks, hares as small pale
 * rabbits, players as coloured numbered discs (several per cell spread over the corners); the legend shows
 * each player, greyed out and marked "gone" once it is done.
 */
export function renderSvg(g: Geometry, st: Int32Array, b = 0, opts: SvgFrameOptions = {}): string {
  const s = opts.cellSize ?? 56;
  const head = 34;
  const legendRow = 22;
  const perRow = Math.max(1, Math.floor((g.width * s) / 110));
  const legendH = Math.ceil(g.players / perRow) * legendRow + 10;
  const W = g.width * s;
  const H = head + g.height * s + legendH;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${W}" height="${H}" fill="#fafafa"/>`,
    `<text x="8" y="22" font-size="16" fill="#222">t = ${st[b + g.T]} / ${st[b + g.END]}</text>`,
  );
  if (opts.caption) {
    parts.push(`<text x="${W - 8}" y="22" font-size="12" fill="#555" text-anchor="end">${esc(opts.caption)}</text>`);
  }
  for (let r = 0; r < g.height; r++) {
    for (let c = 0; c < g.width; c++) {
      const cell = r * g.width + c;
      const x = c * s;
      const y = head + r * s;
      const fill = isObstacle(g, st, b, cell) ? '#37474f' : (r + c) % 2 ? '#ffffff' : '#f1f3f4';
      parts.push(`<rect x="${x}" y="${y}" width="${s}" height="${s}" fill="${fill}" stroke="#cfd8dc"/>`);
    }
  }
  const centre = (cell: number): [number, number] => [
    (cell % g.width) * s + s / 2,
    head + Math.floor(cell / g.width) * s + s / 2,
  ];
  for (let k = 0; k < g.stags; k++) {
    const cell = st[b + g.STAG + k];
    if (cell >= 0) parts.push(stagGlyph(...centre(cell), s));
  }
  for (let k = 0; k < g.hares; k++) {
    const cell = st[b + g.HARE + k];
    if (cell >= 0) parts.push(hareGlyph(...centre(cell), s));
  }
  // players: alone on an empty cell in the centre, otherwise spread over the corners above the prey
  const byCell = new Map<number, number[]>();
  for (let p = 0; p < g.players; p++) {
    const cell = st[b + g.POS + p];
    if (cell >= 0) byCell.set(cell, [...(byCell.get(cell) ?? []), p]);
  }
  const hasPrey = (cell: number) => {
    for (let k = 0; k < g.stags; k++) if (st[b + g.STAG + k] === cell) return true;
    for (let k = 0; k < g.hares; k++) if (st[b + g.HARE + k] === cell) return true;
    return false;
  };
  for (const [cell, ps] of byCell) {
    const [cx, cy] = centre(cell);
    const alone = ps.length === 1 && !hasPrey(cell);
    ps.forEach((p, i) => {
      const r = alone ? s * 0.3 : s * (ps.length > 4 ? 0.13 : 0.17);
      let x = cx;
      let y = cy;
      if (!alone) {
        const slots = Math.max(4, ps.length);
        const ang = (-3 * Math.PI) / 4 + (2 * Math.PI * i) / slots;
        x = cx + Math.cos(ang) * s * 0.3;
        y = cy + Math.sin(ang) * s * 0.3;
      }
      parts.push(
        `<g class="player p${p}"><circle cx="${f(x)}" cy="${f(y)}" r="${f(r)}" fill="${PLAYER_COLORS[p % 16]}" stroke="#fff" stroke-width="2"/>` +
          `<text x="${f(x)}" y="${f(y + r * 0.38)}" font-size="${f(r * 1.1)}" text-anchor="middle" fill="#fff" font-weight="bold">${p}</text></g>`,
      );
    });
  }
  const ly = head + g.height * s + 8;
  for (let p = 0; p < g.players; p++) {
    const x = 8 + (p % perRow) * 110;
    const y = ly + Math.floor(p / perRow) * legendRow;
    const gone = st[b + g.POS + p] < 0;
    const ret = opts.returns ? ` = ${f(opts.returns[p])}` : '';
    parts.push(
      `<g opacity="${gone ? 0.45 : 1}"><circle cx="${x + 7}" cy="${y + 7}" r="7" fill="${gone ? '#fff' : PLAYER_COLORS[p % 16]}" ` +
        `stroke="${PLAYER_COLORS[p % 16]}" stroke-width="2"/>` +
        `<text x="${x + 19}" y="${y + 12}" font-size="12" fill="#222">P${p}${ret}${gone ? ' (gone)' : ''}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

/**
 * The legend of the frames as inline HTML: each glyph drawn by the same code as the board (stag, hare,
 * obstacle, one disc per player), with its name.
 */
export function legendHtml(players: number, stagMinHunters = 2, size = 26): string {
  const box = (inner: string, label: string, cls: string) =>
    `<span class="legend-${cls}"><svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">${inner}</svg>${esc(label)}</span>`;
  const c = size / 2;
  const items = [
    box(stagGlyph(c, c + size * 0.08, size), `stag (needs ${stagMinHunters} hunter${stagMinHunters === 1 ? '' : 's'})`, 'stag'),
    box(hareGlyph(c, c + size * 0.1, size), 'hare (1 hunter)', 'hare'),
    box(`<rect x="1" y="1" width="${size - 2}" height="${size - 2}" fill="#37474f"/>`, 'obstacle', 'obstacle'),
  ];
  for (let p = 0; p < players; p++)
    items.push(
      box(
        `<circle cx="${c}" cy="${c}" r="${f(size * 0.4)}" fill="${PLAYER_COLORS[p % 16]}"/><text x="${c}" y="${f(c + size * 0.16)}" font-size="${f(size * 0.44)}" text-anchor="middle" fill="#fff" font-weight="bold" font-family="Helvetica, Arial, sans-serif">${p}</text>`,
        `player ${p}`,
        `player`,
      ),
    );
  return items.join('');
}

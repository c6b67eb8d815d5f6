import { HopError } from '@hop/core/base';
import type { Geometry } from '../core/geometry';
import { isObstacle } from '../core/geometry';
import { assertValidState } from '../core/state';

/**
 * ASCII pictures of a state, one whitespace-separated token per cell: `.` empty, `#` obstacle, `S` stag,
 * `H` hare, a player by its hex digit (`0`..`f`); several things on a cell concatenate (`01S` = players 0 and 1
 * on a stag). The same format is parsed back by `parseAsciiState`, which makes hand-worked positions easy to
 * write in tests and docs.
 */

const GLYPHS = '0123456789abcdef';

function cellToken(g: Geometry, st: Int32Array, b: number, cell: number): string {
  if (isObstacle(g, st, b, cell)) return '#';
  let t = '';
  for (let p = 0; p < g.players; p++) if (st[b + g.POS + p] === cell) t += GLYPHS[p];
  for (let k = 0; k < g.stags; k++) if (st[b + g.STAG + k] === cell) t += 'S';
  for (let k = 0; k < g.hares; k++) if (st[b + g.HARE + k] === cell) t += 'H';
  return t || '.';
}

/** The grid rows only (no header), tokens padded to one width. */
export function asciiGrid(g: Geometry, st: Int32Array, b = 0): string {
  const tokens: string[] = [];
  for (let c = 0; c < g.cells; c++) tokens.push(cellToken(g, st, b, c));
  const w = Math.max(...tokens.map((t) => t.length));
  const rows: string[] = [];
  for (let r = 0; r < g.height; r++) {
    rows.push(
      tokens
        .slice(r * g.width, (r + 1) * g.width)
        .map((t) => t.padEnd(w))
        .join(' ')
        .trimEnd(),
    );
  }
  return rows.join('\n');
}

/** A terminal frame: header with time, end time and done players, then the grid. */
export function renderAscii(g: Geometry, st: Int32Array, b = 0): string {
  const done: string[] = [];
  for (let p = 0; p < g.players; p++) if (st[b + g.POS + p] < 0) done.push(GLYPHS[p]);
  const head = `t=${st[b + g.T]}/${st[b + g.END]}` + (done.length ? `  done: ${done.join(' ')}` : '');
  return `${head}\n${asciiGrid(g, st, b)}`;
}

export interface ParseStateOptions {
  time?: number;
  /** Defaults to the config's `finalTime`. */
  endTime?: number;
  firstHuntTime?: number;
}

/**
 * Writes the state drawn in `picture` into `st[b..]`. Players not drawn are done; prey slots beyond the drawn
 * prey are caught (-1). Lines starting with `t=` (the renderer's header) are ignored.
 */
export function parseAsciiState(
  g: Geometry,
  picture: string,
  st: Int32Array,
  b = 0,
  opts: ParseStateOptions = {},
): void {
  const rows = picture
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('t='));
  if (rows.length !== g.height) {
    throw new HopError('E_ASCII', `ASCII state has ${rows.length} rows, expected height ${g.height}`);
  }
  for (let i = 0; i < g.stateWords; i++) st[b + i] = 0;
  st[b + g.T] = opts.time ?? 0;
  st[b + g.END] = opts.endTime ?? g.finalTime;
  st[b + g.FIRST] = opts.firstHuntTime ?? -1;
  for (let p = 0; p < g.players; p++) st[b + g.POS + p] = -1;
  for (let k = 0; k < g.stags; k++) st[b + g.STAG + k] = -1;
  for (let k = 0; k < g.hares; k++) st[b + g.HARE + k] = -1;
  let stags = 0;
  let hares = 0;
  for (let r = 0; r < g.height; r++) {
    const tokens = rows[r].split(/\s+/);
    if (tokens.length !== g.width) {
      throw new HopError('E_ASCII', `ASCII row ${r} has ${tokens.length} cells, expected width ${g.width}: "${rows[r]}"`);
    }
    for (let c = 0; c < g.width; c++) {
      const cell = r * g.width + c;
      const tok = tokens[c];
      if (tok === '.') continue;
      if (tok === '#') {
        st[b + g.OBST + (cell >> 5)] |= 1 << (cell & 31);
        continue;
      }
      for (const ch of tok) {
        if (ch === 'S') {
          if (stags >= g.stags) throw new HopError('E_ASCII', `ASCII state draws more than ${g.stags} stags`);
          st[b + g.STAG + stags++] = cell;
        } else if (ch === 'H') {
          if (hares >= g.hares) throw new HopError('E_ASCII', `ASCII state draws more than ${g.hares} hares`);
          st[b + g.HARE + hares++] = cell;
        } else {
          const p = GLYPHS.indexOf(ch);
          if (p < 0 || p >= g.players) {
            throw new HopError('E_ASCII', `ASCII cell (${r}, ${c}) has unknown token "${tok}" (player ${ch}?)`);
          }
          if (st[b + g.POS + p] >= 0) throw new HopError('E_ASCII', `ASCII state draws player ${ch} twice`);
          st[b + g.POS + p] = cell;
        }
      }
    }
  }
  assertValidState(g, st, b, 'ASCII state');
}

import { HopError } from '@hop/core/base';
import type { Geometry } from './geometry';
import { isObstacle } from './geometry';

/** A cell as `[row, col]`. */
export type Cell = readonly [number, number];

/**
 * A Stag-Hunt position written out field by field, for tests and tools (`fromState` on every face). The
 * state record it becomes is described in the README ("State records").
 */
export interface StagHuntState {
  /** One entry per player: its cell, or null once it is done (it hunted). */
  players: readonly (Cell | null)[];
  /** Stags still on the grid; fewer than the config's `stags` means the others were caught. */
  stags: readonly Cell[];
  /** Hares still on the grid; fewer than the config's `hares` means the others were caught. */
  hares: readonly Cell[];
  obstacles?: readonly Cell[];
  /** Time step (default 0). */
  time?: number;
  /** Step at which the episode ends (default the config's `finalTime`; earlier after a hunt with `dynamicFinalTime`). */
  endTime?: number;
  /** Step of the first successful hunt, or -1 (the default). */
  firstHuntTime?: number;
}

const fmt = (g: Geometry, cell: number) => `(${Math.floor(cell / g.width)}, ${cell % g.width})`;

/**
 * Everything wrong with the state record at `st[b..]`, in words (empty when it is a state the rules can
 * reach or a test may set up): times out of order, cells off the grid, players or prey on obstacles, two
 * prey on one cell, obstacle bits beyond the grid.
 */
export function stateProblems(g: Geometry, st: Int32Array, b: number): string[] {
  const out: string[] = [];
  const t = st[b + g.T];
  const end = st[b + g.END];
  const first = st[b + g.FIRST];
  if (t < 0) out.push(`time ${t} is negative`);
  if (end < 1 || end > g.finalTime) out.push(`end time ${end} is outside 1..finalTime (${g.finalTime})`);
  else if (t > end) out.push(`time ${t} is past the end time ${end}`);
  if (!(first === -1 || (first >= 0 && first < t)))
    out.push(`first hunt time ${first} is neither -1 nor a step before the time ${t}`);
  const cellOk = (what: string, cell: number): boolean => {
    if (!Number.isInteger(cell) || cell < -1 || cell >= g.cells) {
      out.push(`${what} is at cell ${cell}, outside the ${g.height}x${g.width} grid (or -1)`);
      return false;
    }
    if (cell >= 0 && isObstacle(g, st, b, cell)) {
      out.push(`${what} is on an obstacle at ${fmt(g, cell)}`);
      return false;
    }
    return true;
  };
  for (let p = 0; p < g.players; p++) cellOk(`player ${p}`, st[b + g.POS + p]);
  const prey = new Map<number, string>();
  const place = (what: string, cell: number) => {
    if (!cellOk(what, cell) || cell < 0) return;
    const other = prey.get(cell);
    if (other) out.push(`${what} and ${other} share the cell ${fmt(g, cell)}; prey stand on distinct cells`);
    else prey.set(cell, what);
  };
  for (let k = 0; k < g.stags; k++) place(`stag ${k}`, st[b + g.STAG + k]);
  for (let k = 0; k < g.hares; k++) place(`hare ${k}`, st[b + g.HARE + k]);
  const spare = g.obstacleWords * 32 - g.cells;
  if (spare > 0 && st[b + g.OBST + g.obstacleWords - 1] >>> (32 - spare) !== 0)
    out.push('obstacle bits are set beyond the last cell of the grid');
  return out;
}

/** Throws a HopError `E_STATE` listing every problem of the record (see `stateProblems`). */
export function assertValidState(g: Geometry, st: Int32Array, b: number, where: string): void {
  const problems = stateProblems(g, st, b);
  if (problems.length)
    throw new HopError('E_STATE', `${where}: not a valid Stag-Hunt state: ${problems.join('; ')}`);
}

/**
 * Writes a position given field by field into the record at `st[b..]`, after checking it: the player list
 * must have one entry per player, prey lists at most the config's counts, every cell on the grid; then the
 * record must pass `stateProblems`. Nothing is written when it fails.
 */
export function writeState(g: Geometry, s: StagHuntState, st: Int32Array, b: number, where = 'fromState'): void {
  const fail = (msg: string): never => {
    throw new HopError('E_STATE', `${where}: ${msg}`);
  };
  if (!s || !Array.isArray(s.players) || !Array.isArray(s.stags) || !Array.isArray(s.hares))
    fail('a state needs players, stags and hares lists (cells as [row, col], null for a done player)');
  if (s.players.length !== g.players) fail(`players has ${s.players.length} entries, the config has ${g.players} players (null for a done one)`);
  if (s.stags.length > g.stags) fail(`${s.stags.length} stags given, the config has ${g.stags}`);
  if (s.hares.length > g.hares) fail(`${s.hares.length} hares given, the config has ${g.hares}`);
  const cell = (what: string, c: Cell): number => {
    if (!Array.isArray(c) || c.length !== 2 || !c.every(Number.isInteger))
      fail(`${what} is ${JSON.stringify(c)}, not a [row, col] pair of integers`);
    const [r, col] = c;
    if (r < 0 || r >= g.height || col < 0 || col >= g.width) fail(`${what} [${r}, ${col}] is off the ${g.height}x${g.width} grid`);
    return r * g.width + col;
  };
  const rec = new Int32Array(g.stateWords);
  rec[g.T] = s.time ?? 0;
  rec[g.END] = s.endTime ?? g.finalTime;
  rec[g.FIRST] = s.firstHuntTime ?? -1;
  for (const [k, v] of [['time', s.time], ['endTime', s.endTime], ['firstHuntTime', s.firstHuntTime]] as const)
    if (v !== undefined && !Number.isInteger(v)) fail(`${k} ${v} is not an integer`);
  s.players.forEach((c, p) => (rec[g.POS + p] = c === null ? -1 : cell(`player ${p}`, c)));
  for (let k = 0; k < g.stags; k++) rec[g.STAG + k] = k < s.stags.length ? cell(`stag ${k}`, s.stags[k]) : -1;
  for (let k = 0; k < g.hares; k++) rec[g.HARE + k] = k < s.hares.length ? cell(`hare ${k}`, s.hares[k]) : -1;
  for (const [i, c] of (s.obstacles ?? []).entries()) {
    const o = cell(`obstacle ${i}`, c);
    rec[g.OBST + (o >> 5)] |= 1 << (o & 31);
  }
  assertValidState(g, rec, 0, where);
  st.set(rec, b);
}

/** The record at `st[b..]` written out (the inverse of `writeState`; caught prey are left out). */
export function readState(g: Geometry, st: Int32Array, b: number): Required<StagHuntState> {
  const rc = (cell: number): Cell => [Math.floor(cell / g.width), cell % g.width];
  const players: (Cell | null)[] = [];
  for (let p = 0; p < g.players; p++) players.push(st[b + g.POS + p] >= 0 ? rc(st[b + g.POS + p]) : null);
  const live = (off: number, n: number) => {
    const cells: Cell[] = [];
    for (let k = 0; k < n; k++) if (st[b + off + k] >= 0) cells.push(rc(st[b + off + k]));
    return cells;
  };
  const obstacles: Cell[] = [];
  for (let c = 0; c < g.cells; c++) if (isObstacle(g, st, b, c)) obstacles.push(rc(c));
  return {
    players,
    stags: live(g.STAG, g.stags),
    hares: live(g.HARE, g.hares),
    obstacles,
    time: st[b + g.T],
    endTime: st[b + g.END],
    firstHuntTime: st[b + g.FIRST],
  };
}

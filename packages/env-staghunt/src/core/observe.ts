import type { Geometry } from './geometry';
import { writeMask } from './rules';

/**
 * Writes observer `o`'s grid `[H, W, C]` (channels-last, C-order) at `out[off..off+gridSize)`: player channels
 * rotated so the observer comes first (o, o+1, ... mod players), then obstacle, stag, hare. A done player's
 * channel is empty.
 */
export function writeGrid(g: Geometry, st: Int32Array, b: number, o: number, out: Float32Array, off: number): void {
  const C = g.channels;
  const P = g.players;
  out.fill(0, off, off + g.gridSize);
  const POS = b + g.POS;
  for (let j = 0; j < P; j++) {
    let p = o + j;
    if (p >= P) p -= P;
    const pos = st[POS + p];
    if (pos >= 0) out[off + pos * C + j] = 1;
  }
  const OB = b + g.OBST;
  for (let w = 0; w < g.obstacleWords; w++) {
    let bits = st[OB + w];
    while (bits !== 0) {
      const low = bits & -bits;
      const cell = (w << 5) + 31 - Math.clz32(low);
      out[off + cell * C + P] = 1;
      bits ^= low;
    }
  }
  for (let k = 0; k < g.stags; k++) {
    const cell = st[b + g.STAG + k];
    if (cell >= 0) out[off + cell * C + P + 1] = 1;
  }
  for (let k = 0; k < g.hares; k++) {
    const cell = st[b + g.HARE + k];
    if (cell >= 0) out[off + cell * C + P + 2] = 1;
  }
}

/** Writes observer `o`'s flat observation `[mask(7) as 0/1 floats, grid...]` at `out[off..off+flatSize)`. */
export function writeFlat(g: Geometry, st: Int32Array, b: number, o: number, out: Float32Array, off: number): void {
  writeMask(g, st, b, o, out, off);
  writeGrid(g, st, b, o, out, off + 7);
}

/**
 * Brings observer `o`'s grid at `out[off..]`, which shows the state `prev[pb..]`, up to date with the state
 * `st[b..]` of the same episode one step later: only the cells that changed are written (moved players, caught
 * prey; obstacles never change within an episode). Gives exactly what `writeGrid` would write, at a fraction
 * of the cost (no zero-fill of the whole grid).
 */
export function updateGrid(
  g: Geometry,
  prev: Int32Array,
  pb: number,
  st: Int32Array,
  b: number,
  o: number,
  out: Float32Array,
  off: number,
): void {
  const C = g.channels;
  const P = g.players;
  for (let j = 0; j < P; j++) {
    let p = o + j;
    if (p >= P) p -= P;
    const old = prev[pb + g.POS + p];
    const now = st[b + g.POS + p];
    if (old === now) continue;
    if (old >= 0) out[off + old * C + j] = 0;
    if (now >= 0) out[off + now * C + j] = 1;
  }
  for (let k = 0; k < g.stags; k++) {
    const old = prev[pb + g.STAG + k];
    if (old >= 0 && st[b + g.STAG + k] < 0) out[off + old * C + P + 1] = 0;
  }
  for (let k = 0; k < g.hares; k++) {
    const old = prev[pb + g.HARE + k];
    if (old >= 0 && st[b + g.HARE + k] < 0) out[off + old * C + P + 2] = 0;
  }
}

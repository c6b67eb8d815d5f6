import { Rng } from '@hop/core/base';
import type { Geometry } from './geometry';

/** Zobrist keys of one geometry: one random 32-bit word per (feature, cell). Fixed seed: stable across runs. */
export interface ZobristTable {
  player: Uint32Array; // [players * (cells + 1)]; index cells = done
  stag: Uint32Array; // [cells]
  hare: Uint32Array; // [cells]
  obstacle: Uint32Array; // [cells]
  time: Uint32Array; // [finalTime + 1]
  end: Uint32Array; // [finalTime + 1]
}

export function makeZobrist(g: Geometry): ZobristTable {
  const rng = new Rng(0x2b0b_57a9);
  const fill = (n: number) => {
    const a = new Uint32Array(n);
    for (let i = 0; i < n; i++) a[i] = rng.uint32();
    return a;
  };
  return {
    player: fill(g.players * (g.cells + 1)),
    stag: fill(g.cells),
    hare: fill(g.cells),
    obstacle: fill(g.cells),
    time: fill(g.finalTime + 1),
    end: fill(g.finalTime + 1),
  };
}

/** Zobrist hash of the state at `b`: XOR of the keys of its features (prey by cell, so slot order is ignored). */
export function hashState(g: Geometry, z: ZobristTable, st: Int32Array, b: number): number {
  let h = z.time[Math.min(st[b + g.T], g.finalTime)] ^ z.end[Math.min(st[b + g.END], g.finalTime)];
  const stride = g.cells + 1;
  for (let p = 0; p < g.players; p++) {
    const pos = st[b + g.POS + p];
    h ^= z.player[p * stride + (pos < 0 ? g.cells : pos)];
  }
  for (let k = 0; k < g.stags; k++) {
    const c = st[b + g.STAG + k];
    if (c >= 0) h ^= z.stag[c];
  }
  for (let k = 0; k < g.hares; k++) {
    const c = st[b + g.HARE + k];
    if (c >= 0) h ^= z.hare[c];
  }
  for (let w = 0; w < g.obstacleWords; w++) {
    let bits = st[b + g.OBST + w];
    while (bits !== 0) {
      const low = bits & -bits;
      h ^= z.obstacle[(w << 5) + 31 - Math.clz32(low)];
      bits ^= low;
    }
  }
  return h >>> 0;
}

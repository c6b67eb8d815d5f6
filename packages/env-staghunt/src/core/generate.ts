import type { Rng } from '@hop/core/base';
import type { Geometry } from './geometry';

/** Obstacle components: short lines and L-shapes as (row, col) offsets. */
const SHAPES: readonly (readonly [number, number])[][] = [
  [[0, 0], [0, 1]],
  [[0, 0], [0, 1], [0, 2]],
  [[0, 0], [1, 0]],
  [[0, 0], [1, 0], [2, 0]],
  [[0, 0], [1, 0], [1, 1]],
  [[0, 0], [0, 1], [1, 0]],
  [[0, 0], [0, 1], [1, 1]],
  [[0, 1], [1, 0], [1, 1]],
];
const ATTEMPTS_PER_COMPONENT = 20;
// flat form for the hot loop: SHAPE_CELLS[i] cells, offsets at SHAPE_DR / SHAPE_DC[i * 3 + j]
const SHAPE_CELLS = Int32Array.from(SHAPES, (s) => s.length);
const SHAPE_DR = Int32Array.from({ length: SHAPES.length * 3 }, (_, i) => SHAPES[Math.floor(i / 3)][i % 3]?.[0] ?? 0);
const SHAPE_DC = Int32Array.from({ length: SHAPES.length * 3 }, (_, i) => SHAPES[Math.floor(i / 3)][i % 3]?.[1] ?? 0);

export interface GenScratch {
  blocked: Uint8Array;
  queue: Int32Array;
  cells: Int32Array;
}

export function makeGenScratch(g: Geometry): GenScratch {
  return { blocked: new Uint8Array(g.cells), queue: new Int32Array(g.cells), cells: new Int32Array(g.cells) };
}

/** True when every unblocked cell is reachable from every other one (4-neighbourhood). */
export function freeCellsConnected(g: Geometry, blocked: Uint8Array, queue: Int32Array, seen: Int32Array): boolean {
  const cells = g.cells;
  const nbr = g.nbr;
  let start = -1;
  let free = 0;
  for (let i = 0; i < cells; i++) {
    seen[i] = 0;
    if (blocked[i] === 0) {
      free++;
      if (start < 0) start = i;
    }
  }
  if (start < 0) return true;
  let head = 0;
  let tail = 0;
  queue[tail++] = start;
  seen[start] = 1;
  while (head < tail) {
    const c4 = queue[head++] * 4;
    for (let d = 0; d < 4; d++) {
      const n = nbr[c4 + d];
      if (n >= 0 && blocked[n] === 0 && seen[n] === 0) {
        seen[n] = 1;
        queue[tail++] = n;
      }
    }
  }
  return tail === free;
}

/**
 * Draws a fresh episode into the state at `st[b..]`: 0..maxObstacles random obstacle components that keep all
 * free cells connected, then prey and players on distinct free cells. Uses only `rng` (same seed, same
 * episode).
 */
export function generateEpisode(g: Geometry, rng: Rng, st: Int32Array, b: number, s: GenScratch): void {
  const { blocked, queue, cells } = s;
  blocked.fill(0);
  const components = rng.int(g.maxObstacles + 1);
  for (let c = 0; c < components; c++) {
    for (let attempt = 0; attempt < ATTEMPTS_PER_COMPONENT; attempt++) {
      const shape = rng.int(SHAPES.length);
      const r0 = rng.int(g.height);
      const c0 = rng.int(g.width);
      const n = SHAPE_CELLS[shape];
      let fits = true;
      for (let j = 0; j < n; j++) {
        const r = r0 + SHAPE_DR[shape * 3 + j];
        const col = c0 + SHAPE_DC[shape * 3 + j];
        if (r >= g.height || col >= g.width || blocked[r * g.width + col]) {
          fits = false;
          break;
        }
      }
      if (!fits) continue;
      for (let j = 0; j < n; j++) blocked[(r0 + SHAPE_DR[shape * 3 + j]) * g.width + c0 + SHAPE_DC[shape * 3 + j]] = 1;
      if (freeCellsConnected(g, blocked, queue, cells)) break;
      for (let j = 0; j < n; j++) blocked[(r0 + SHAPE_DR[shape * 3 + j]) * g.width + c0 + SHAPE_DC[shape * 3 + j]] = 0;
    }
  }

  st[b + g.T] = 0;
  st[b + g.END] = g.finalTime;
  st[b + g.FIRST] = -1;
  for (let w = 0; w < g.obstacleWords; w++) st[b + g.OBST + w] = 0;
  let free = 0;
  for (let i = 0; i < g.cells; i++) {
    if (blocked[i]) st[b + g.OBST + (i >> 5)] |= 1 << (i & 31);
    else cells[free++] = i;
  }
  // Partial Fisher-Yates: the first stags + hares + players free cells, all distinct.
  const need = g.stags + g.hares + g.players;
  for (let i = 0; i < need; i++) {
    const j = i + rng.int(free - i);
    const t = cells[i];
    cells[i] = cells[j];
    cells[j] = t;
  }
  let k = 0;
  for (let i = 0; i < g.stags; i++) st[b + g.STAG + i] = cells[k++];
  for (let i = 0; i < g.hares; i++) st[b + g.HARE + i] = cells[k++];
  for (let i = 0; i < g.players; i++) st[b + g.POS + i] = cells[k++];
}

/** Distance between unreachable cells (and from / to obstacles). */
export const UNREACHABLE = 0xffff;

/**
 * All-pairs shortest path lengths around obstacles (BFS from every cell), written at
 * `out[off + from * cells + to]`. Computed once per layout; the agents then look up distances per step.
 */
export function computeDistances(
  cells: number,
  nbr: Int32Array,
  blocked: Uint8Array,
  out: Uint16Array,
  off: number,
  queue: Int32Array,
): void {
  out.fill(UNREACHABLE, off, off + cells * cells);
  for (let s = 0; s < cells; s++) {
    if (blocked[s]) continue;
    const row = off + s * cells;
    out[row + s] = 0;
    let head = 0;
    let tail = 0;
    queue[tail++] = s;
    while (head < tail) {
      const c = queue[head++];
      const d = out[row + c] + 1;
      for (let k = 0; k < 4; k++) {
        const n = nbr[c * 4 + k];
        if (n >= 0 && !blocked[n] && out[row + n] === UNREACHABLE) {
          out[row + n] = d;
          queue[tail++] = n;
        }
      }
    }
  }
}

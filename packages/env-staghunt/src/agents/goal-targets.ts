import { neighbourTable } from '../core/geometry';
import { UNREACHABLE } from './paths';

/** Features `GoalTargets.write` gives each (observation, goal): 4 move bits, distance, absent flag. */
export const GOAL_TARGET_FEATURES = 6;

/**
 * Names a prey-type goal by its target, as seen from the observer of a grid observation (observer's channel
 * first, then the other players, obstacle, stag, hare): for goal 0 (stag) or 1 (hare), which of the moves up /
 * down / left / right shorten the path to the nearest prey of that type (around obstacles), that path's
 * length over `height + width` (capped at 1), and 1 when no such prey is reachable (then the rest is 0 and
 * the distance 1). Any other goal (none) writes zeros.
 *
 * Why: a co-player model told only "hare" must find the hare itself through its trunk, and online training
 * wears that pathway away; told where the nearest hare lies, the goal decides its prediction.
 */
export class GoalTargets {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  private readonly cells: number;
  private readonly nbr: Int32Array;
  private readonly blocked: Uint8Array;
  private readonly dist: Uint16Array;
  private readonly queue: Int32Array;

  constructor(shape: readonly [number, number, number] | readonly number[]) {
    const [h, w, c] = shape;
    this.height = h;
    this.width = w;
    this.channels = c;
    this.cells = h * w;
    this.nbr = neighbourTable(h, w);
    this.blocked = new Uint8Array(this.cells);
    this.dist = new Uint16Array(this.cells);
    this.queue = new Int32Array(this.cells);
  }

  /**
   * Writes the features of `goal` for the grid at `grid[off..off + H*W*C)` (channels-last) into
   * `out[outOff..outOff + GOAL_TARGET_FEATURES)`.
   */
  write(grid: Float32Array, off: number, goal: number, out: Float32Array, outOff: number): void {
    out.fill(0, outOff, outOff + GOAL_TARGET_FEATURES);
    if (goal !== 0 && goal !== 1) return;
    const { cells, channels: C, dist, queue, blocked, nbr } = this;
    const P = C - 3;
    const preyChannel = P + 1 + goal;
    let self = -1;
    let tail = 0;
    dist.fill(UNREACHABLE);
    for (let c = 0; c < cells; c++) {
      const o = off + c * C;
      if (grid[o] > 0.5) self = c;
      blocked[c] = grid[o + P] > 0.5 ? 1 : 0;
      if (grid[o + preyChannel] > 0.5 && !blocked[c]) {
        dist[c] = 0;
        queue[tail++] = c;
      }
    }
    // One breadth-first search from every prey of the type at once gives the distance to the nearest.
    let head = 0;
    while (head < tail) {
      const c = queue[head++];
      const d = dist[c] + 1;
      for (let k = 0; k < 4; k++) {
        const n = nbr[c * 4 + k];
        if (n >= 0 && !blocked[n] && dist[n] === UNREACHABLE) {
          dist[n] = d;
          queue[tail++] = n;
        }
      }
    }
    if (self < 0 || dist[self] === UNREACHABLE) {
      out[outOff + 4] = 1;
      out[outOff + 5] = 1;
      return;
    }
    const here = dist[self];
    for (let k = 0; k < 4; k++) {
      const n = nbr[self * 4 + k];
      if (n >= 0 && !blocked[n] && dist[n] < here) out[outOff + k] = 1;
    }
    out[outOff + 4] = Math.min(1, here / (this.height + this.width));
  }
}

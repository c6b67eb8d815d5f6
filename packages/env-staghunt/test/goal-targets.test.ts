import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GOAL_TARGET_FEATURES, GoalTargets } from '../src/agents/goal-targets';
import { neighbourTable } from '../src/core/geometry';
import { computeDistances, UNREACHABLE } from '../src/agents/paths';

/** A channels-last grid of 2 players (self, other), obstacle, stag, hare on H x W. */
function grid(H: number, W: number, cells: { self?: number; obstacles?: number[]; stags?: number[]; hares?: number[] }): Float32Array {
  const C = 5;
  const g = new Float32Array(H * W * C);
  if (cells.self !== undefined) g[cells.self * C] = 1;
  for (const c of cells.obstacles ?? []) g[c * C + 2] = 1;
  for (const c of cells.stags ?? []) g[c * C + 3] = 1;
  for (const c of cells.hares ?? []) g[c * C + 4] = 1;
  return g;
}

describe('GoalTargets', () => {
  it('names the nearest hare around an obstacle (hand-worked 4 x 4)', () => {
    // self at (0,0), obstacle at (0,1), hare at (0,3): the path goes down first, 5 steps.
    const g = grid(4, 4, { self: 0, obstacles: [1], hares: [3] });
    const t = new GoalTargets([4, 4, 5]);
    const out = new Float32Array(3 * GOAL_TARGET_FEATURES).fill(9);
    t.write(g, 0, 1, out, 0);
    t.write(g, 0, 0, out, GOAL_TARGET_FEATURES);
    t.write(g, 0, 2, out, 2 * GOAL_TARGET_FEATURES);
    expect(Array.from(out.subarray(0, 6))).toEqual([0, 1, 0, 0, 5 / 8, 0]);
    // no stag on the grid: absent
    expect(Array.from(out.subarray(6, 12))).toEqual([0, 0, 0, 0, 1, 1]);
    // goal none: zeros
    expect(Array.from(out.subarray(12, 18))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('marks every shortening move, reads at an offset, and gives distance 0 on the prey', () => {
    // self at (1,1) of 3 x 3, stags at (0,2) and (2,0): up, right, down, left all shorten a 2-step path.
    const g = grid(3, 3, { self: 4, stags: [2, 6] });
    const t = new GoalTargets([3, 3, 5]);
    const padded = new Float32Array(7 + g.length);
    padded.set(g, 7);
    const out = new Float32Array(8);
    t.write(padded, 7, 0, out, 2);
    expect(Array.from(out)).toEqual([0, 0, 1, 1, 1, 1, Math.fround(2 / 6), 0]);
    const on = grid(3, 3, { self: 2, stags: [2, 6] });
    t.write(on, 0, 0, out, 0);
    expect(Array.from(out.subarray(0, 6))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('agrees with all-pairs shortest paths on random grids (property)', () => {
    let reachable = 0;
    let unreachable = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 2, max: 6 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 36, maxLength: 36 }),
        fc.integer({ min: 0, max: 35 }),
        fc.integer({ min: 0, max: 1 }),
        (H, W, kinds, selfAt, goal) => {
          const cells = H * W;
          const self = selfAt % cells;
          const obstacles: number[] = [];
          const stags: number[] = [];
          const hares: number[] = [];
          for (let c = 0; c < cells; c++) {
            if (c === self) continue;
            if (kinds[c] === 1) obstacles.push(c);
            if (kinds[c] === 2) stags.push(c);
            if (kinds[c] === 3) hares.push(c);
          }
          const g = grid(H, W, { self, obstacles, stags, hares });
          const out = new Float32Array(GOAL_TARGET_FEATURES);
          new GoalTargets([H, W, 5]).write(g, 0, goal, out, 0);
          // reference: distances between every pair of cells, then the nearest prey from each cell
          const nbr = neighbourTable(H, W);
          const blocked = new Uint8Array(cells);
          for (const c of obstacles) blocked[c] = 1;
          const d = new Uint16Array(cells * cells);
          computeDistances(cells, nbr, blocked, d, 0, new Int32Array(cells));
          const prey = goal === 0 ? stags : hares;
          const nearest = (c: number) => Math.min(UNREACHABLE, ...prey.map((p) => d[c * cells + p]));
          const here = nearest(self);
          if (here === UNREACHABLE) {
            unreachable++;
            expect(Array.from(out)).toEqual([0, 0, 0, 0, 1, 1]);
            return;
          }
          reachable++;
          for (let k = 0; k < 4; k++) {
            const n = nbr[self * 4 + k];
            expect(out[k]).toBe(n >= 0 && !blocked[n] && nearest(n) < here ? 1 : 0);
          }
          expect(out[4]).toBeCloseTo(Math.min(1, here / (H + W)), 6);
          expect(out[5]).toBe(0);
        },
      ),
      { numRuns: 300, seed: 24 },
    );
    console.log(`goal targets property: ${reachable} grids with a reachable prey, ${unreachable} without`);
    expect(reachable).toBeGreaterThan(100);
    expect(unreachable).toBeGreaterThan(10);
  });
});

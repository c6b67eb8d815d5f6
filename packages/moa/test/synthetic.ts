import { Rng } from '@hop/core';
import type { MOADataset } from '../src/index';

/**
 * A known goal-conditioned rule on an egocentric 5x5 grid (the agent at the centre) with 3 channels:
 * agent (0), object A (1), object B (2). Goal 0 = go to A, goal 1 = go to B; actions 0 up, 1 down,
 * 2 left, 3 right, 4 interact (on the target). The agent closes the row gap first, then the column gap.
 * Some moves other than the rule's are masked (as obstacles would), never the rule's own.
 */
export const SYN = { size: 5, channels: 3, numActions: 5, numGoals: 2, maxTime: 20 } as const;

export function ruleAction(agent: readonly number[], target: readonly number[]): number {
  const [r, c] = agent;
  const [tr, tc] = target;
  if (tr < r) return 0;
  if (tr > r) return 1;
  if (tc < c) return 2;
  if (tc > c) return 3;
  return 4;
}

export function syntheticDataset(n: number, seed: number): MOADataset & { goal: Float32Array; goalLabel: Int32Array } {
  const { size: s, channels: ch, numActions: na, numGoals: ng } = SYN;
  const rng = new Rng(seed);
  const obsSize = s * s * ch;
  const centre = Math.floor((s * s) / 2);
  const d = {
    size: n,
    obs: new Float32Array(n * obsSize),
    mask: new Uint8Array(n * na),
    time: new Float32Array(n),
    action: new Int32Array(n),
    goal: new Float32Array(n * ng),
    goalLabel: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const g = rng.int(ng);
    // Two distinct object cells; the goal's object is sometimes under the agent, so "interact" occurs.
    const cells = rng.permutation(s * s).filter((c) => c !== centre);
    const obj = [cells[0], cells[1]];
    if (rng.next() < 0.1) obj[g] = centre;
    const where = [centre, ...obj].map((c) => [Math.floor(c / s), c % s]);
    where.forEach(([r, c], k) => (d.obs[i * obsSize + (r * s + c) * ch + k] = 1));
    const a = ruleAction(where[0], where[1 + g]);
    for (let b = 0; b < na; b++) d.mask[i * na + b] = b === a || b === 4 || rng.next() < 0.7 ? 1 : 0;
    d.time[i] = rng.int(SYN.maxTime);
    d.goal[i * ng + g] = 1;
    d.goalLabel[i] = g;
    d.action[i] = a;
  }
  return d;
}

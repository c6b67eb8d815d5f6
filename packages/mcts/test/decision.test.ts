import { describe, expect, it } from 'vitest';
import { Rng } from '@hop/core';
import { chooseAction } from '../src/policy/decision';
import type { SearchRun } from '../src/search/types';
import type { SearchOutput } from '../src/types';

/** One decision row: its policy and valid actions; chooseAction reads nothing else. */
function row(policy: number[], valid: number[]): SearchOutput {
  return {
    numDecisions: 1,
    numActions: policy.length,
    action: new Int32Array(1),
    policy: Float32Array.from(policy),
    validActions: Uint8Array.from(valid),
  } as unknown as SearchOutput;
}
const run = (seed: number) => ({ decisionRngs: [new Rng(seed)] }) as unknown as SearchRun;

describe('greedy decisions', () => {
  it('break ties uniformly at random among the valid maxima, never the lowest index by rule', () => {
    // Actions 0, 1, 3 tie at the top; 4 ties too but is invalid; 2 is lower.
    const out = row([0.25, 0.25, 0.1, 0.25, 0.25], [1, 1, 1, 1, 0]);
    const n = 3000;
    const counts = [0, 0, 0, 0, 0];
    for (let s = 0; s < n; s++) {
      chooseAction(out, 0, true, run(s));
      counts[out.action[0]]++;
    }
    expect(counts[2]).toBe(0);
    expect(counts[4]).toBe(0);
    // Each tied action has p = 1/3: standard error sqrt(p (1 - p) / n) = 0.0086; allow 5 SE.
    const se = Math.sqrt((1 / 3) * (2 / 3) / n);
    for (const a of [0, 1, 3]) expect(Math.abs(counts[a] / n - 1 / 3)).toBeLessThan(5 * se);
  });

  it('same seed, same choice; a unique maximum is always taken', () => {
    const tied = row([0.5, 0, 0.5], [1, 1, 1]);
    const picks = (seed: number) => Array.from({ length: 20 }, (_, k) => (chooseAction(tied, 0, true, run(seed * 100 + k)), tied.action[0]));
    expect(picks(1)).toEqual(picks(1));
    expect(picks(2)).not.toEqual(picks(1));
    const unique = row([0.2, 0.3, 0.5, 0.0], [1, 1, 1, 1]);
    for (let s = 0; s < 50; s++) {
      chooseAction(unique, 0, true, run(s));
      expect(unique.action[0]).toBe(2);
    }
  });
});

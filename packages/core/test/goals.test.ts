import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, coPlayerAgent, coPlayerIndex, sampleGoalOrders } from '../src/index';

describe('sampleGoalOrders: beliefs [coPlayers, G] -> orderings [numTrees, numAgents, G]', () => {
  it('every co-player row is a permutation with zero-belief goals last; the focal row is -1 (property)', () => {
    const seen = { zeroGoals: 0, focalNotLast: 0, rows: 0 };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        fc.integer(),
        (m, g, numTrees, focalPick, seed) => {
          const focal = focalPick % (m + 1);
          const rng = new Rng(seed);
          const belief = Array.from({ length: m * g }, () => (rng.next() < 0.3 ? 0 : rng.next()));
          const out = sampleGoalOrders(belief, { focal, numGoals: g, numTrees, rng: new Rng(seed) });
          expect(out).toHaveLength(numTrees * (m + 1) * g);
          expect(out).toEqual(sampleGoalOrders(belief, { focal, numGoals: g, numTrees, rng: new Rng(seed) }));
          if (focal < m) seen.focalNotLast++;
          for (let t = 0; t < numTrees; t++) {
            for (let agent = 0; agent <= m; agent++) {
              const row = Array.from(out.subarray((t * (m + 1) + agent) * g, (t * (m + 1) + agent + 1) * g));
              if (agent === focal) {
                expect(row).toEqual(new Array(g).fill(-1));
                continue;
              }
              const j = coPlayerIndex(focal, agent);
              expect([...row].sort((a, b) => a - b)).toEqual(Array.from({ length: g }, (_, k) => k));
              const positive = row.map((k) => belief[j * g + k] > 0);
              const firstZero = positive.indexOf(false);
              if (firstZero >= 0) {
                expect(positive.slice(firstZero).every((p) => !p)).toBe(true);
                seen.zeroGoals++;
              }
              seen.rows++;
            }
          }
        },
      ),
      { numRuns: 100 },
    );
    expect(seen.zeroGoals).toBeGreaterThan(30);
    expect(seen.focalNotLast).toBeGreaterThan(20);
  });

  it('another seed gives other orderings (control for the same-seed check)', () => {
    const belief = [0.4, 0.3, 0.3, 0.2, 0.5, 0.3];
    const a = sampleGoalOrders(belief, { focal: 1, numGoals: 3, numTrees: 20, rng: new Rng(1) });
    const b = sampleGoalOrders(belief, { focal: 1, numGoals: 3, numTrees: 20, rng: new Rng(2) });
    expect(a).not.toEqual(b);
  });

  it('hand-worked: certain beliefs give fixed orders; co-players sit around the focal agent; offset writes leave the rest', () => {
    const out = new Int32Array(2 * 12).fill(7);
    // decision 1 of 2 (offset 12): focal agent 1; co-player 0 is agent 0 (goal 0 certain), co-player 1 is agent 2 (goal 1)
    sampleGoalOrders([1, 0, 0, 1], { focal: 1, numGoals: 2, numTrees: 2, rng: new Rng(3), out, outOffset: 12 });
    expect(Array.from(out.subarray(0, 12))).toEqual(new Array(12).fill(7));
    expect(Array.from(out.subarray(12))).toEqual([0, 1, -1, -1, 1, 0, 0, 1, -1, -1, 1, 0]);
    expect([0, 1, 2].map((m) => coPlayerAgent(2, m))).toEqual([0, 1, 3]);
    expect([0, 1, 2, 3].map((a) => coPlayerIndex(2, a))).toEqual([0, 1, -1, 2]);
  });

  it('follows Plackett-Luce: first goal ~ b, second ~ sum_i b_i b_k / (1 - b_i)', () => {
    const b = [0.5, 0.3, 0.2];
    const n = 20000;
    const out = sampleGoalOrders(b, { focal: 1, numGoals: 3, numTrees: n, rng: new Rng(7) });
    const first = [0, 0, 0];
    const second = [0, 0, 0];
    for (let t = 0; t < n; t++) {
      first[out[t * 6]]++;
      second[out[t * 6 + 1]]++;
    }
    const p2 = b.map((bk, k) => b.reduce((s, bi, i) => (i === k ? s : s + (bi * bk) / (1 - bi)), 0));
    // SE of a frequency sqrt(p (1 - p) / n) <= 0.0035 at n = 20000; 4.5 SE
    const tol = (p: number) => 4.5 * Math.sqrt((p * (1 - p)) / n);
    b.forEach((p, k) => expect(Math.abs(first[k] / n - p)).toBeLessThan(tol(p)));
    p2.forEach((p, k) => expect(Math.abs(second[k] / n - p)).toBeLessThan(tol(p)));
  });

  it('names wrong shapes and values', () => {
    const rng = new Rng(0);
    expect(() => sampleGoalOrders([0.5, 0.5, 1], { focal: 0, numGoals: 2, numTrees: 1, rng })).toThrow(/belief has 3 values, not \[coPlayers, numGoals=2\]/);
    expect(() => sampleGoalOrders([0.5, 0.5], { focal: 2, numGoals: 2, numTrees: 1, rng })).toThrow(/focal agent 2 is not one of the 2 agents/);
    expect(() => sampleGoalOrders([0.5, NaN], { focal: 0, numGoals: 2, numTrees: 1, rng })).toThrow(/belief\[0, 1\] = NaN/);
    expect(() => sampleGoalOrders([1, 0], { focal: 0, numGoals: 2, numTrees: 2, rng, out: new Int32Array(5) })).toThrow(/out has 5 values/);
    expect(() => sampleGoalOrders([1, 0], { focal: 0, numGoals: 2, numTrees: 0, rng })).toThrow(/numTrees must be a positive integer/);
  });
});

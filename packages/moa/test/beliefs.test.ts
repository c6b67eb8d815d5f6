import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HopError, Rng } from '@hop/core';
import { GoalBeliefTracker, GoalPrior, IntraEpisodeBelief, coPlayerAgent, combineBeliefs, sampleGoalOrderings, sampleGoalOrders } from '../src/index';

const near = (got: ArrayLike<number>, want: number[], digits = 6) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, digits));
};

describe('intra-episode belief', () => {
  it('follows hand-computed updates: likelihoods, unavailable goals, all-zero reset', () => {
    const b = new IntraEpisodeBelief(2, 3);
    near(b.probs(), [1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3]);
    b.update([0.5, 0.25, 0.25, 0.2, 0.2, 0.6]);
    near(b.probs(), [0.5, 0.25, 0.25, 0.2, 0.2, 0.6]);
    // Co-player 1 not observed, but its goal 2 is gone.
    b.update([0.1, 0.4, 0.2, 9, 9, 9], [1, 1, 1, 1, 1, 0], [1, 0]);
    near(b.probs(), [0.25, 0.5, 0.25, 0.5, 0.5, 0]);
    // Co-player 0's action is impossible under every goal: uniform over the available goals.
    b.update([0, 0, 0, 0.3, 0.1, 0.9]);
    near(b.probs(), [1 / 3, 1 / 3, 1 / 3, 0.75, 0.25, 0]);
    expect(b.probs()[5]).toBe(0);
    // No goal left for co-player 1: uniform over all goals (no information).
    b.update([1, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0]);
    near(b.probs(), [0.5, 0.5, 0, 1 / 3, 1 / 3, 1 / 3]);
    b.reset();
    near(b.probs(), [1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3]);
  });

  it('stays exact in log space where a linear product would underflow', () => {
    const b = new IntraEpisodeBelief(1, 2);
    b.update([1e-320, 3e-320]); // denormal likelihoods: their product with 0.5 underflows in float32 and nearly in float64
    near(b.probs(), [0.25, 0.75], 3);
    // 600 steps: the belief equals the normalised product of all likelihoods (computed with logs here).
    const c = new IntraEpisodeBelief(1, 3);
    const rng = new Rng(1);
    const logSum = [0, 0, 0];
    for (let t = 0; t < 600; t++) {
      const lik = [rng.next() * 1e-3, rng.next() * 1e-3, rng.next() * 1e-3];
      lik.forEach((l, g) => (logSum[g] += Math.log(l)));
      c.update(lik);
    }
    const m = Math.max(...logSum);
    const z = logSum.reduce((s, l) => s + Math.exp(l - m), 0);
    near(c.probs(), logSum.map((l) => Math.exp(l - m) / z), 6);
  });

  it('updates from probsForGoals output [M, G, A] with the actions taken', () => {
    const b = new IntraEpisodeBelief(2, 2);
    // co-player 0: goal 0 -> [0.8, 0.2], goal 1 -> [0.4, 0.6]; co-player 1: not observed (-1)
    b.updateFromProbs([0.8, 0.2, 0.4, 0.6, 0.5, 0.5, 0.1, 0.9], 2, [0, -1]);
    near(b.probs(), [2 / 3, 1 / 3, 0.5, 0.5]);
    expect(() => b.updateFromProbs([0.8, 0.2], 2, [0, 0])).toThrowError(/probs has 2 values/);
    expect(() => b.update([Number.NaN, 1, 1, 1])).toThrow(HopError);
  });
});

describe('inter-episode prior', () => {
  it('is a discounted histogram of achieved goals', () => {
    const p = new GoalPrior(1, 2, 0.5);
    near(p.probs(), [0.5, 0.5]);
    p.observe([0]);
    near(p.probs(), [0.75, 0.25]);
    p.observe([1]);
    near(p.probs(), [0.375, 0.625]);
    p.observe([-1]); // achieved nothing: no change
    near(p.probs(), [0.375, 0.625]);
    expect(p.outcomes[0]).toBe(2);
    const d = new GoalPrior(2, 2);
    expect(d.alpha).toBe(0.995);
    d.observe([0, 1]);
    near(d.histogram, [0.5025, 0.4975, 0.4975, 0.5025], 12);
    expect(() => d.observe([2, 0])).toThrowError(/outcome\[0\] = 2/);
  });

  it('combines with the intra-episode belief as a renormalised product', () => {
    near(combineBeliefs([0.75, 0.25], [0.5, 0.5], 2), [0.75, 0.25]);
    near(combineBeliefs([0.75, 0.25], [0.25, 0.75], 2), [0.5, 0.5]);
    // product zero everywhere: the intra-episode belief alone
    near(combineBeliefs([1, 0], [0, 1], 2), [0, 1]);
    // two co-players at once
    near(combineBeliefs([0.5, 0.5, 0.2, 0.8], [0.2, 0.8, 0.5, 0.5], 2), [0.2, 0.8, 0.2, 0.8]);
  });
});

describe('GoalBeliefTracker', () => {
  it('carries the prior across episodes and saves / loads as JSON exactly', () => {
    const t = new GoalBeliefTracker(2, 3, 0.5);
    t.startEpisode();
    t.observe([0.5, 0.25, 0.25, 0.1, 0.1, 0.8]);
    t.endEpisode([0, 2]);
    near(t.prior.probs(), [2 / 3, 1 / 6, 1 / 6, 1 / 6, 1 / 6, 2 / 3]);
    t.startEpisode([1, 1, 0, 1, 1, 1]);
    t.observe([0.2, 0.6, 0.9, 0.5, 0.5, 0.5]);
    // co-player 0: intra [0.25, 0.75, 0], prior [2/3, 1/6, 1/6] -> [1/6, 1/8, 0] normalised
    near(t.belief(), [4 / 7, 3 / 7, 0, 1 / 6, 1 / 6, 2 / 3]);
    const saved = JSON.parse(JSON.stringify(t.toJSON()));
    const u = GoalBeliefTracker.fromJSON(saved);
    expect(Array.from(u.belief())).toEqual(Array.from(t.belief()));
    expect(u.sampleOrderings(new Rng(5), 4)).toEqual(t.sampleOrderings(new Rng(5), 4));
    // and both continue identically
    t.observe([0.3, 0.3, 0.3, 0.9, 0.05, 0.05]);
    u.observe([0.3, 0.3, 0.3, 0.9, 0.05, 0.05]);
    expect(Array.from(u.belief())).toEqual(Array.from(t.belief()));
    expect(() => GoalBeliefTracker.fromJSON({ ...saved, histogram: [1] })).toThrowError(/histogram has 1 values/);
    expect(() => GoalBeliefTracker.fromJSON({ format: 'x' })).toThrow(HopError);
  });
});

describe('goal orderings', () => {
  it('are permutations with zero-belief goals last, laid out [tree, co-player, goal] (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer(),
        (m, g, trees, seed) => {
          const rng = new Rng(seed);
          const belief = Array.from({ length: m * g }, () => (rng.next() < 0.3 ? 0 : rng.next()));
          const out = sampleGoalOrderings(belief, m, g, trees, new Rng(seed));
          expect(out).toEqual(sampleGoalOrderings(belief, m, g, trees, new Rng(seed)));
          for (let t = 0; t < trees; t++)
            for (let j = 0; j < m; j++) {
              const row = Array.from(out.subarray((t * m + j) * g, (t * m + j + 1) * g));
              expect([...row].sort((a, b) => a - b)).toEqual(Array.from({ length: g }, (_, k) => k));
              const positive = row.map((k) => belief[j * g + k] > 0);
              const firstZero = positive.indexOf(false);
              if (firstZero >= 0) expect(positive.slice(firstZero).every((p) => !p)).toBe(true);
            }
        },
      ),
      { numRuns: 60 },
    );
    const out = sampleGoalOrderings([0.5, 0.5, 0, 0, 0, 1], 2, 3, 3, new Rng(1));
    for (let t = 0; t < 3; t++) expect(out[(t * 2 + 1) * 3]).toBe(2);
  });

  it('lay out per agent for @hop/mcts: focal row -1, co-players around it, at an offset', () => {
    const out = new Int32Array(2 * 12).fill(7);
    // decision 1 of 2 (offset 12): focal agent 1, co-players are agents 0 and 2
    sampleGoalOrderings([1, 0, 0, 1], 2, 2, 2, new Rng(3), out, { focal: 1, outOffset: 12 });
    expect(Array.from(out.subarray(0, 12))).toEqual(new Array(12).fill(7));
    expect(Array.from(out.subarray(12))).toEqual([0, 1, -1, -1, 1, 0, 0, 1, -1, -1, 1, 0]);
    const t = new GoalBeliefTracker(3, 2);
    expect(t.sampleGoalOrders(new Rng(1), { focal: 0, numTrees: 4 })).toHaveLength(4 * 4 * 2);
    expect(() => sampleGoalOrderings([1, 0, 0, 1], 2, 2, 2, new Rng(3), new Int32Array(5))).toThrowError(/out has 5 values/);
  });

  it('follow Plackett-Luce: first goal ~ belief, second ~ sum_i b_i b_k / (1 - b_i)', () => {
    const b = [0.5, 0.3, 0.2];
    const n = 20000;
    const out = sampleGoalOrderings(b, 1, 3, n, new Rng(7));
    const first = [0, 0, 0];
    const second = [0, 0, 0];
    for (let t = 0; t < n; t++) {
      first[out[t * 3]]++;
      second[out[t * 3 + 1]]++;
    }
    const p2 = b.map((bk, k) => b.reduce((s, bi, i) => (i === k ? s : s + (bi * bk) / (1 - bi)), 0));
    const tol = (p: number) => 4.5 * Math.sqrt((p * (1 - p)) / n);
    b.forEach((p, k) => expect(Math.abs(first[k] / n - p)).toBeLessThan(tol(p)));
    p2.forEach((p, k) => expect(Math.abs(second[k] / n - p)).toBeLessThan(tol(p)));
  });
});

describe('one goal-order function (the deprecated names are thin wrappers over it)', () => {
  it("GoalBeliefTracker.sampleGoalOrders is @hop/core's sampleGoalOrders over belief(); the old names draw the same", () => {
    const t = new GoalBeliefTracker(2, 3);
    t.observe([0.9, 0.05, 0.05, 0.1, 0.1, 0.8]);
    const mine = t.sampleGoalOrders(new Rng(5), { focal: 2, numTrees: 4 });
    expect(mine).toEqual(sampleGoalOrders(t.belief(), { focal: 2, numGoals: 3, numTrees: 4, rng: new Rng(5) }));
    expect(t.sampleOrderings(new Rng(5), 4, undefined, { focal: 2 })).toEqual(mine);
    expect(sampleGoalOrderings(t.belief(), 2, 3, 4, new Rng(5), undefined, { focal: 2 })).toEqual(mine);
    // the old co-player layout [numTrees, M, G] is the per-agent one with the focal (last) row dropped
    const old = sampleGoalOrderings(t.belief(), 2, 3, 4, new Rng(5));
    for (let tree = 0; tree < 4; tree++) expect(Array.from(old.subarray(tree * 6, tree * 6 + 6))).toEqual(Array.from(mine.subarray(tree * 9, tree * 9 + 6)));
    // a different seed is a different draw (control)
    expect(t.sampleGoalOrders(new Rng(6), { focal: 2, numTrees: 4 })).not.toEqual(mine);
    expect(coPlayerAgent(1, 1)).toBe(2);
  });
});

describe('belief updates are all-or-nothing (review)', () => {
  it('a bad likelihood or outcome anywhere changes no co-player', () => {
    const b = new IntraEpisodeBelief(2, 2);
    b.update([0.9, 0.1, 0.5, 0.5]);
    const before = Array.from(b.probs());
    expect(() => b.update([0.2, 0.8, 0.5, -1])).toThrowError(/likelihood\[1, 1\]/);
    expect(Array.from(b.probs())).toEqual(before);
    expect(() => b.update([0.2, 0.8, 0.5, 0.5], [1, 1, 1])).toThrow(HopError);
    expect(Array.from(b.available)).toEqual([1, 1, 1, 1]);
    const p = new GoalPrior(2, 2, 0.5);
    expect(() => p.observe([0, 7])).toThrowError(/outcome\[1\] = 7/);
    expect(Array.from(p.histogram)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(Array.from(p.outcomes)).toEqual([0, 0]);
  });
});


import { describe, expect, it } from 'vitest';
import { HopPlanner, consideredVisitSequence } from '../src/index';
import type { MctsConfigInput } from '../src/index';
import { Bandit } from './sims/bandit';

describe('sequential halving schedule', () => {
  it('8 actions, 24 simulations: 8 x 1 visit, then 4 actions twice, then 2 actions', () => {
    // log2(8) = 3 phases. Phase 1: floor(24 / (3 * 8)) = 1 round over 8 actions (visit count 0).
    // Phase 2: floor(24 / (3 * 4)) = 2 rounds over 4 actions (counts 1, then 2).
    // Phase 3: floor(24 / (3 * 2)) = 4 rounds over 2 actions (counts 3, 4, 5, 6).
    expect(Array.from(consideredVisitSequence(8, 24))).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
    ]);
  });

  it('3 actions, 10 simulations (not a power of two); 1 action: plain counting', () => {
    // ceil(log2 3) = 2. Phase 1: floor(10 / (2 * 3)) = 1 round over 3. Then 2 actions,
    // floor(10 / (2 * 2)) = 2 rounds (counts 1, 2), then again 2 rounds (3, 4) until 10 entries.
    expect(Array.from(consideredVisitSequence(3, 10))).toEqual([0, 0, 0, 1, 1, 2, 2, 3, 3, 4]);
    expect(Array.from(consideredVisitSequence(1, 4))).toEqual([0, 1, 2, 3]);
  });
});

async function pull(
  rewards: number[],
  logits: number[],
  config: MctsConfigInput,
  seed: number,
  treeNum = 1,
) {
  const sim = new Bandit(rewards, logits);
  const planner = new HopPlanner({
    simulator: sim,
    evaluator: sim.evaluator,
    coPlayerModel: () => ({ probs: new Float32Array(0) }),
    config: { search: 'gumbel', treeNum, ...config },
  });
  return planner.plan({
    states: new Int32Array(1),
    slots: Int32Array.of(0),
    focal: Int32Array.of(0),
    goalOrders: new Int32Array(0),
    seeds: [seed],
  });
}

describe('Gumbel-MuZero root on a bandit', () => {
  // the prior favours bad arms; arm 5 is the best
  const rewards = [0.1, 0.3, 0.0, 0.2, 0.4, 1.0, 0.5, 0.05];
  const logits = [1.5, 1.0, 1.2, 0.5, 0.0, -1.0, 0.3, 0.8];
  const expected = (p: ArrayLike<number>) => rewards.reduce((s, r, a) => s + r * p[a], 0);
  const softmax = (x: number[]) => {
    const m = Math.max(...x);
    const e = x.map((v) => Math.exp(v - m));
    const z = e.reduce((s, v) => s + v, 0);
    return e.map((v) => v / z);
  };

  it('the completed-Q policy target improves on the prior for every seed', async () => {
    const prior = expected(softmax(logits));
    for (let seed = 0; seed < 20; seed++) {
      // the root's evaluation + 4 pulls: only the 4 sampled arms have Q; the others are completed with the mixed value
      const out = await pull(rewards, logits, { numSimulations: 5, gumbelMaxConsideredActions: 4 }, seed);
      expect(expected(out.policy)).toBeGreaterThan(prior);
      expect(out.visits.reduce((s, v) => s + v, 0)).toBe(4);
    }
  });

  it('the policy target is softmax(logits + sigma(completed Q)) with the mctx transform', async () => {
    const out = await pull(rewards, logits, { numSimulations: 17, gumbelMaxConsideredActions: 8 }, 3);
    // every arm was visited (8 considered, first round visits each once), so completed Q = Q = reward
    // (value 0 below a terminal leaf); rescaled to [0, 1]: r / 1.0; scale (50 + max visits) * 0.1.
    const maxVisits = Math.max(...Array.from(out.visits));
    const sigma = rewards.map((r) => ((r - 0) / (1 - 0)) * (50 + maxVisits) * 0.1);
    const target = softmax(logits.map((l, a) => l + sigma[a]));
    for (let a = 0; a < 8; a++) expect(out.policy[a]).toBeCloseTo(target[a], 5);
    // the action is drawn among the most visited arms (Gumbel noise included), so it is one of them
    expect(out.visits[out.action[0]]).toBe(maxVisits);
  });

  it('greedy with no Gumbel noise picks the best arm once every arm has been tried', async () => {
    for (const seed of [1, 2]) {
      const out = await pull(rewards, logits, { numSimulations: 25, gumbelScale: 0, greedy: true }, seed, 2);
      expect(out.action[0]).toBe(5);
    }
  });

  it('the Gumbel draw makes the first root choices a sample without replacement from the prior', async () => {
    // with one simulation after the root's evaluation, the only visited arm is argmax(g + logits): across
    // seeds its frequency follows softmax(logits) (Gumbel-max trick)
    // Tolerance per arm from its standard error, sqrt(p (1 - p) / n), at 4.5 SE (two-sided 7e-6 per arm,
    // 5e-5 for all 8). Mutation audit (issue 17): the old flat +-0.06 at n = 600 accepted never sampling arm 5
    // (p = 0.0215). At n = 3000, SE(arm 5) = 0.0026 and 4.5 SE = 0.012, so 0 visits (8 SE away) fails. Mutations
    // of src/policy/gumbel.ts that the old check passed and this one fails: arm 5's noise set to -1e9 (0 of
    // 3000), the Gumbel tail cut at u = 0.9 (arm 0: 979 of 3000, p = 0.262: 7 SE) and noise scaled by 0.8
    // (arm 0: 914 of 3000).
    const p = softmax(logits);
    const counts = new Array(8).fill(0);
    const n = 3000;
    for (let seed = 0; seed < n; seed++) {
      const out = await pull(rewards, logits, { numSimulations: 2, gumbelMaxConsideredActions: 8 }, seed);
      counts[out.visits.findIndex((v) => v === 1)]++;
    }
    for (let a = 0; a < 8; a++) {
      const se = Math.sqrt((p[a] * (1 - p[a])) / n);
      expect(Math.abs(counts[a] / n - p[a]), `arm ${a}: ${counts[a]} of ${n}, p = ${p[a].toFixed(4)}`).toBeLessThan(4.5 * se);
    }
  });
});

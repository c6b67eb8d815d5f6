import { describe, expect, it } from 'vitest';
import { HopPlanner } from '../src/index';
import { ScriptedTree } from './sims/scriptedTree';
import type { ScriptedTreeSpec } from './sims/scriptedTree';

/**
 * One decision, one tree from the root state (depth 0, code 0). `numSimulations` counts the root's own
 * evaluation as the first simulation (the reference's AlphaZero loop): 4 simulations = root + 3 descents.
 */
async function search(spec: ScriptedTreeSpec, config: Record<string, unknown> = {}, seed = 1) {
  const sim = new ScriptedTree(spec);
  const planner = new HopPlanner({
    simulator: sim,
    evaluator: sim.evaluator,
    coPlayerModel: () => ({ probs: new Float32Array(0) }),
    config: { numSimulations: 4, treeNum: 1, greedy: true, ...config },
  });
  const out = await planner.plan({
    states: new Int32Array(2),
    slots: Int32Array.of(0),
    focal: Int32Array.of(0),
    goalOrders: new Int32Array(0),
    seeds: [seed],
  });
  return { out, arena: planner.engine.arena };
}

// root code 0: P = (0.6, 0.4), v = 0.5; reward 0.5 for action 1 at the root.
// code 1 (root -> 0): v = 0.2; code 2 (root -> 1): P = (0.5, 0.5), v = 1; code 5 (2 -> 0): v = 0.4.
const firstTree: ScriptedTreeSpec = {
  rewards: { '0:1': 0.5 },
  evals: {
    0: { p: [0.6, 0.4], v: 0.5 },
    1: { p: [0.5, 0.5], v: 0.2 },
    2: { p: [0.5, 0.5], v: 1 },
    5: { p: [0.5, 0.5], v: 0.4 },
  },
};

describe('hand-worked 2-action trees, c = 1, gamma = 0.95', () => {
  it('3 simulations: the root evaluation is the first; the compat double count flips the decision', async () => {
    // root: P = (0.5, 0.5), v = 0. Action 0 ends the episode with reward 0.5 (code 1 terminal); action 1 leads
    // to code 2 with v = 0.6. Simulation 1 evaluates the root (N = 1).
    const spec: ScriptedTreeSpec = {
      rewards: { '0:0': 0.5 },
      terminal: [1],
      evals: { 0: { p: [0.5, 0.5], v: 0 }, 2: { p: [0.5, 0.5], v: 0.6 } },
    };
    // fixed. sim 2 (N = 1): tie 0.5 / 0.5 -> a0 (terminal), return 0.5 + 0.95 * 0 = 0.5.
    //        sim 3 (N = 2): a0 0.5 / 2 + sqrt2 * 0.5 / 2 = 0.604 < a1 sqrt2 * 0.5 = 0.707 -> a1, return 0.95 * 0.6.
    //        Q = (0.25, 0.285): softmax(2 Q) prefers a1.
    const fixed = await search(spec, { numSimulations: 3 });
    expect(Array.from(fixed.out.visits)).toEqual([1, 1]);
    expect(fixed.arena.visits[0]).toBe(3);
    expect(fixed.out.rootQ[0]).toBeCloseTo(0.5 / 2, 6);
    expect(fixed.out.rootQ[1]).toBeCloseTo(0.57 / 2, 6);
    const zf = Math.exp(2 * 0.25) + Math.exp(2 * 0.285);
    expect(fixed.out.policy[1]).toBeCloseTo(Math.exp(2 * 0.285) / zf, 6);
    expect(fixed.out.action[0]).toBe(1);
    // compat (the reference bug): the terminal leaf is valued at its reward, which the backup adds again.
    //        sim 2: a0, return 0.5 + 0.95 * 0.5 = 0.975.
    //        sim 3 (N = 2): a0 0.975 / 2 + 0.354 = 0.841 > a1 0.707 -> a0 again, return 0.975.
    //        Q = (1.95 / 3, 0): all simulations pulled onto the terminal (hunt) action, which the decision takes.
    const compat = await search(spec, { numSimulations: 3, compat: { doubleCountTerminalReward: true } });
    expect(Array.from(compat.out.visits)).toEqual([2, 0]);
    expect(compat.arena.visits[0]).toBe(3);
    expect(compat.out.rootQ[0]).toBeCloseTo(1.95 / 3, 6);
    expect(compat.out.rootQ[1]).toBe(0);
    const zc = Math.exp(2 * 0.65) + 1;
    expect(compat.out.policy[0]).toBeCloseTo(Math.exp(2 * 0.65) / zc, 6);
    expect(compat.out.action[0]).toBe(0);
  });


  it('PUCT visits, Q = W / (1 + n) and the softmax(2 Q) decision', async () => {
    const spec = firstTree;
    const { out, arena } = await search(spec);
    // sim 1: N(root) = 1. scores 0.6 * 1 / 1 vs 0.4 -> action 0; leaf value 0.2: return 0 + 0.95 * 0.2 = 0.19.
    // sim 2: N = 2. a0: 0.19 / 2 + sqrt(2) * 0.6 / 2 = 0.519; a1: sqrt(2) * 0.4 = 0.566 -> action 1;
    //        return 0.5 + 0.95 * 1 = 1.45.
    // sim 3: N = 3. a0: 0.095 + sqrt(3) * 0.6 / 2 = 0.615; a1: 1.45 / 2 + sqrt(3) * 0.4 / 2 = 1.071 -> action 1,
    //        then at code 2 (N = 1) a tie 0.5 / 0.5 -> action 0 (lowest index), leaf code 5 (v = 0.4):
    //        return below code 2: 0 + 0.95 * 0.4 = 0.38; through the root edge: 0.5 + 0.95 * 0.38 = 0.861.
    expect(Array.from(out.visits)).toEqual([1, 2]);
    const q0 = 0.19 / 2;
    const q1 = (1.45 + 0.861) / 3;
    expect(out.rootQ[0]).toBeCloseTo(q0, 6);
    expect(out.rootQ[1]).toBeCloseTo(q1, 6);
    const z = Math.exp(2 * q0) + Math.exp(2 * q1);
    expect(out.policy[0]).toBeCloseTo(Math.exp(2 * q0) / z, 6);
    expect(out.policy[1]).toBeCloseTo(Math.exp(2 * q1) / z, 6);
    expect(out.action[0]).toBe(1);
    expect(arena.visits[0]).toBe(4); // the root's own evaluation + 3 descents = numSimulations
    expect(arena.valueSum[0]).toBeCloseTo(0.5 + 0.19 + 1.45 + 0.861, 6);
    expect(out.maxDepth[0]).toBe(2);
    expect(out.meanLeafDepth[0]).toBeCloseTo((1 + 1 + 2) / 3, 6);
    expect(out.treeSizes[0]).toBe(4);
  });

  it('the mean Q estimate W / n changes the second choice', async () => {
    // every state: P = (0.5, 0.5), v = 0; action 0 at the root pays 0.6, everything else 0.
    const flat = { p: [0.5, 0.5] as [number, number], v: 0 };
    const spec: ScriptedTreeSpec = { rewards: { '0:0': 0.6 }, evals: { 0: flat, 1: flat, 2: flat, 3: flat, 4: flat } };
    // sim 1: tie -> a0, return 0.6.
    // reference, sim 2 (N = 2): a0 0.6/2 + sqrt2 * 0.5 / 2 = 0.654 < a1 sqrt2 * 0.5 = 0.707 -> a1 (return 0);
    //   sim 3 (N = 3): a0 0.3 + sqrt3 * 0.5 / 2 = 0.733 > a1 0 + 0.433 -> a0, then a tie at code 1 -> code 3,
    //   return 0.6. Visits (2, 1), Q0 = 1.2 / 3.
    // mean, sim 2: a0 0.6 + 0.354 = 0.954 > 0.707 -> a0 (code 3, return 0.6); sim 3: a0 0.6 + sqrt3 * 0.5 / 3
    //   = 0.889 > a1 0.866 -> a0, code 1 picks its unvisited a1 (0.707 > 0.354) -> code 4, return 0.6.
    //   Visits (3, 0), Q0 = 1.8 / 3.
    const ref = await search(spec, { qEstimate: 'reference' });
    expect(Array.from(ref.out.visits)).toEqual([2, 1]);
    expect(ref.out.rootQ[0]).toBeCloseTo(1.2 / 3, 6);
    expect(ref.out.rootQ[1]).toBeCloseTo(0, 6);
    const mean = await search(spec, { qEstimate: 'mean' });
    expect(Array.from(mean.out.visits)).toEqual([3, 0]);
    expect(mean.out.rootQ[0]).toBeCloseTo(0.6, 6);
    expect(mean.out.maxDepth[0]).toBe(2);
  });

  it('terminal leaves are worth their entering reward only; the compat option counts it twice', async () => {
    // root: P = (0.45, 0.55), v = 0. action 0 ends the episode with reward 1 (code 1 terminal);
    // action 1 leads to code 2 with v = 0.2.
    const spec: ScriptedTreeSpec = {
      rewards: { '0:0': 1 },
      terminal: [1],
      evals: { 0: { p: [0.45, 0.55], v: 0 }, 2: { p: [0.5, 0.5], v: 0.2 } },
    };
    // sim 1: a0 0.45 vs a1 0.55 -> a1, return 0.95 * 0.2 = 0.19.
    // sim 2 (N = 2): a0 sqrt2 * 0.45 = 0.636 vs a1 0.095 + sqrt2 * 0.55 / 2 = 0.484 -> a0 (terminal):
    //   return 1 (fixed) or 1 + 0.95 * 1 = 1.95 (compat).
    // sim 3 (N = 3): a0 1/2 (or 0.975) + sqrt3 * 0.45 / 2 vs a1 0.095 + sqrt3 * 0.55 / 2 -> a0: same return again.
    const fixed = await search(spec);
    expect(Array.from(fixed.out.visits)).toEqual([2, 1]);
    expect(fixed.out.rootQ[0]).toBeCloseTo(2 / 3, 6);
    expect(fixed.out.rootQ[1]).toBeCloseTo(0.19 / 2, 6);
    const compat = await search(spec, { compat: { doubleCountTerminalReward: true } });
    expect(Array.from(compat.out.visits)).toEqual([2, 1]);
    expect(compat.out.rootQ[0]).toBeCloseTo((2 * 1.95) / 3, 6);
  });

  it('visit-count decision with temperature', async () => {
    const spec = firstTree;
    // visits are (1, 2) as in the first case
    const t1 = await search(spec, { decision: 'visits', temperature: 1 });
    expect(t1.out.policy[0]).toBeCloseTo(1 / 3, 6);
    const t05 = await search(spec, { decision: 'visits', temperature: 0.5 });
    expect(t05.out.policy[0]).toBeCloseTo(1 / 5, 6); // 1^2 / (1^2 + 2^2)
    const t0 = await search(spec, { decision: 'visits', temperature: 0 });
    expect(Array.from(t0.out.policy)).toEqual([0, 1]);
  });

  it('min-max normalisation rescales Q into [0, 1] so large rewards stop drowning the exploration term', async () => {
    // every state P = (0.5, 0.5), v = 0; action 0 at the root pays 6. Root + 6 descents. The bounds track the Q
    // estimates PUCT scores (MuZero's MinMaxStats), here W / (1 + n) of every non-root node after its backup.
    const spec: ScriptedTreeSpec = { rewards: { '0:0': 6 }, evals: {}, defaultEval: { p: [0.5, 0.5], v: 0 } };
    // d1 (N = 1): tie -> a0 (code 1): W 6, n 1, Q 3; bounds [3, 3] (span 0: no normalisation yet).
    // d2 (N = 2): a0 3 + 0.354 > a1 0.707 -> a0, code 1 -> code 3 (Q 0); code 1 Q = 12 / 3 = 4. Bounds [0, 4].
    // d3 (N = 3): a0 1 + sqrt3 * 0.5 / 3 = 1.289 > 0.866 -> a0; code 1 takes its unvisited a1: Q = 18 / 4.
    // d4 (N = 4): a0 1 + 0.25 > 1 -> a0 (Q 24 / 5). d5 (N = 5): a0 1 + 0.224 > 1.118 -> a0 (Q 30 / 6).
    // d6 (N = 6): a0 1 + sqrt6 * 0.5 / 6 = 1.204 < a1 sqrt6 * 0.5 = 1.225 -> a1.
    // Unnormalised, a0 scores 5 + 0.204 at d6 and takes all six.
    const mm = await search(spec, { numSimulations: 7, minMaxNormalize: true });
    expect(Array.from(mm.out.visits)).toEqual([5, 1]);
    expect(mm.out.rootQ[0]).toBeCloseTo(30 / 6, 6);
    expect(mm.arena.minQ[0]).toBe(0);
    expect(mm.arena.maxQ[0]).toBeCloseTo(5, 6);
    const plain = await search(spec, { numSimulations: 7 });
    expect(Array.from(plain.out.visits)).toEqual([6, 0]);
    expect(plain.out.rootQ[0]).toBeCloseTo(36 / 7, 6);
  });

  it('min-max bounds contain every scored Q, also when every return is positive', async () => {
    // every action pays 1: each backed-up return is >= 1 while W / (1 + n) of a once-visited edge is 0.5, so
    // bounds taken from the returns would map it below 0. Bounds of the Q estimates keep it in [0, 1].
    const rewards: Record<string, number> = {};
    for (let c = 0; c < 63; c++) rewards[`${c}:0`] = rewards[`${c}:1`] = 1; // every state up to depth 5
    const spec: ScriptedTreeSpec = { rewards, evals: {}, defaultEval: { p: [0.5, 0.5], v: 0 } };
    const { arena } = await search(spec, { numSimulations: 6, minMaxNormalize: true });
    for (let n = 1; n < arena.size[0]; n++) {
      const q = arena.valueSum[n] / (1 + arena.visits[n]);
      expect(q).toBeGreaterThanOrEqual(arena.minQ[0]);
      expect(q).toBeLessThanOrEqual(arena.maxQ[0]);
    }
    expect(arena.minQ[0]).toBeCloseTo(0.5, 6);
  });

  it('Dirichlet noise mixes into the root prior only, reproducibly for a seed', async () => {
    const spec: ScriptedTreeSpec = { evals: {}, defaultEval: { p: [0.7, 0.3], v: 0 } };
    const cfg = { dirichletFraction: 0.25, dirichletAlpha: 0.3 };
    const a = await search(spec, cfg, 5);
    const b = await search(spec, cfg, 5);
    const c = await search(spec, cfg, 6);
    const p0 = a.arena.prior[0];
    // P' = 0.75 * P + 0.25 * noise with noise on the simplex: P'(0) in [0.525, 0.775], rows sum to 1
    expect(p0).toBeGreaterThanOrEqual(0.525 - 1e-6);
    expect(p0).toBeLessThanOrEqual(0.775 + 1e-6);
    expect(p0).not.toBeCloseTo(0.7, 4);
    expect(p0 + a.arena.prior[1]).toBeCloseTo(1, 6);
    expect(b.arena.prior[0]).toBe(p0);
    expect(c.arena.prior[0]).not.toBe(p0);
    // interior nodes keep the network prior
    expect(a.arena.prior[1 * 2]).toBeCloseTo(0.7, 6);
  });
});

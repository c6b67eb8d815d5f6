import { HopError, Rng, sampleGoalOrders as coreSampleGoalOrders } from '@hop/core';
import { describe, expect, it } from 'vitest';
import { HopPlanner, mctsConfig, sampleGoalOrders } from '../src/index';
import { lineInput, linePlanner, threePlayers } from './helpers/setup';
import type { Decision } from './helpers/setup';
import { hashedCoPlayer, hashedEvaluator } from './sims/models';

const one: Decision[] = [{ positions: [2, 4, 1], focal: 0, seed: 11 }];

describe('numTrees (treeNum is its deprecated old name)', () => {
  it('both names configure the same search; giving both with different values is an error', async () => {
    expect(mctsConfig({ numTrees: 3 }).numTrees).toBe(3);
    expect(mctsConfig({ treeNum: 3 }).numTrees).toBe(3);
    expect(mctsConfig({ treeNum: 3 }).treeNum).toBe(3);
    expect(mctsConfig().numTrees).toBe(5);
    expect(() => mctsConfig({ treeNum: 3, numTrees: 4 })).toThrow(/treeNum \(3\) is the old name of numTrees \(4\)/);
    expect(Object.keys(mctsConfig())).not.toContain('treeNum'); // not written into saved configs
    const a = linePlanner(threePlayers, { numSimulations: 12, numTrees: 2 });
    const b = linePlanner(threePlayers, { numSimulations: 12, treeNum: 2 });
    const oa = await a.planner.plan(lineInput(a.sim, one, 2));
    const ob = await b.planner.plan(lineInput(b.sim, one, 2));
    expect(oa.numTrees).toBe(2);
    expect(oa.treeNum).toBe(2);
    expect(Array.from(ob.visitsPerTree)).toEqual(Array.from(oa.visitsPerTree));
    expect(ob.visitsPerTree).toHaveLength(2 * 4);
  });
});

describe('sampleGoalOrders', () => {
  it("is @hop/core's function: co-player beliefs in, per-agent orderings with the focal row -1 out", () => {
    const belief = [0.6, 0.4, 0.1, 0.9];
    const opts = { focal: 1, numGoals: 2, numTrees: 6 };
    const mine = sampleGoalOrders(belief, { ...opts, rng: new Rng(4) });
    expect(mine).toEqual(coreSampleGoalOrders(belief, { ...opts, rng: new Rng(4) }));
    for (let t = 0; t < 6; t++) expect(Array.from(mine.subarray(t * 6 + 2, t * 6 + 4))).toEqual([-1, -1]);
  });
});

describe('train vs eval decisions', () => {
  it('plan({ greedy: true }) takes the argmax of the decision policy; greedy: false samples it, per call', async () => {
    const { sim, planner } = linePlanner(threePlayers, { numSimulations: 20, numTrees: 1, beta: 0.5 });
    const decisions: Decision[] = Array.from({ length: 100 }, (_, i) => ({ positions: [2, 4, 1], focal: i % 3, seed: 100 + i }));
    const input = lineInput(sim, decisions, 1);
    const evalOut = await planner.plan({ ...input, greedy: true });
    const trainOut = await planner.plan({ ...input, greedy: false });
    const A = evalOut.numActions;
    let spread = 0;
    let missed = 0;
    for (let d = 0; d < decisions.length; d++) {
      const p = Array.from(evalOut.policy.subarray(d * A, (d + 1) * A));
      const best = Math.max(...p);
      expect(p[evalOut.action[d]]).toBe(best);
      if (best < 0.9) spread++;
      if (trainOut.policy[d * A + trainOut.action[d]] < Math.max(...trainOut.policy.subarray(d * A, (d + 1) * A))) missed++;
    }
    // with beta 0.5 the policies are spread out (max < 0.9), so 100 sampled decisions all hitting the
    // argmax would have probability < 0.9^100 ~ 3e-5
    expect(spread).toBeGreaterThan(50);
    expect(missed).toBeGreaterThan(0);
    // the per-call choice overrides the config
    const greedyByConfig = linePlanner(threePlayers, { numSimulations: 20, numTrees: 1, beta: 0.5, greedy: true });
    const sampled = await greedyByConfig.planner.plan({ ...lineInput(greedyByConfig.sim, decisions, 1), greedy: false });
    expect(Array.from(sampled.action)).toEqual(Array.from(trainOut.action));
    await expect(planner.plan({ ...input, greedy: 'yes' as never })).rejects.toThrow(/greedy must be true \(evaluation: argmax\) or false/);
  });
});

describe('errors from the models the planner is given', () => {
  const input = () => {
    const { sim } = linePlanner(threePlayers, { numSimulations: 4, numTrees: 1 });
    return { sim, input: lineInput(sim, one, 1) };
  };

  it('an evaluator returning NaN is E_NAN naming the row, not NaN in rootQ', async () => {
    const { sim, input: inp } = input();
    const good = hashedEvaluator(sim.numActions, sim.observationSize);
    const co = hashedCoPlayer(sim.numActions, sim.observationSize);
    const withValue = (v: number) =>
      new HopPlanner({
        simulator: sim,
        evaluator: (b, o) => {
          const out = good(b, o);
          out.values[b.batch - 1] = v;
          return out;
        },
        coPlayerModel: co,
        config: { numSimulations: 4, numTrees: 1 },
      });
    await expect(withValue(0.5).plan(inp)).resolves.toBeDefined(); // control: finite values pass
    const err = await withValue(NaN).plan(inp).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HopError);
    expect((err as HopError).code).toBe('E_NAN');
    expect((err as HopError).message).toMatch(/evaluator returned value NaN for row 0 \(agent 0, time 0\)/);
    const nanLogit = new HopPlanner({
      simulator: sim,
      evaluator: (b, o) => {
        const out = good(b, o);
        out.logits.fill(NaN);
        return out;
      },
      coPlayerModel: co,
      config: { numSimulations: 4, numTrees: 1 },
    });
    await expect(nanLogit.plan(inp)).rejects.toThrow(/evaluator returned logit NaN for valid action \d of row 0/);
  });

  it('an error inside the co-player model says it came from the co-player model, with the batch shapes', async () => {
    const { sim, input: inp } = input();
    const evaluator = hashedEvaluator(sim.numActions, sim.observationSize);
    const shapeError = new HopPlanner({
      simulator: sim,
      evaluator,
      coPlayerModel: () => {
        throw new HopError('E_SHAPE', 'obs has shape [2, 7], expected [?, 9]');
      },
      config: { numSimulations: 4, numTrees: 1 },
    });
    const err = (await shapeError.plan(inp).catch((e: unknown) => e)) as HopError;
    expect(err.code).toBe('E_SHAPE'); // programs still match the original code
    expect(err.message).toMatch(/^the planner's co-player model failed on a batch of observations \[\d+, \d+\], masks \[\d+, 4\], goals \[\d+, 2\]: obs has shape \[2, 7\]/);
    const plain = new HopPlanner({
      simulator: sim,
      evaluator: () => {
        throw new Error('Error when checking : expected input to have shape [null,9]');
      },
      coPlayerModel: hashedCoPlayer(sim.numActions, sim.observationSize),
      config: { numSimulations: 4, numTrees: 1 },
    });
    const e2 = (await plain.plan(inp).catch((e: unknown) => e)) as HopError;
    expect(e2.code).toBe('E_MODEL');
    expect(e2.message).toMatch(/^the planner's evaluator failed on a batch of observations \[1, \d+\], masks \[1, 4\]: Error when checking/);
    const nanProbs = new HopPlanner({
      simulator: sim,
      evaluator,
      coPlayerModel: (b) => ({ probs: new Float32Array(b.batch * 4).fill(NaN) }),
      config: { numSimulations: 4, numTrees: 1 },
    });
    await expect(nanProbs.plan(inp)).rejects.toThrow(/co-player model returned probability NaN for row 0/);
  });
});

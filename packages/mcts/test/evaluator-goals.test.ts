import { HopError } from '@hop/core';
import type { ObservationBatch } from '@hop/core';
import { describe, expect, it } from 'vitest';
import { HopPlanner } from '../src/index';
import type { MctsConfigInput, RowOwners, SearchOutput } from '../src/index';
import { lineInput, threePlayers } from './helpers/setup';
import type { Decision } from './helpers/setup';
import { LineWorld } from './sims/lineWorld';
import { hashedCoPlayer, hashedEvaluator } from './sims/models';

const decisions: Decision[] = [
  { positions: [2, 4, 1], focal: 0, seed: 11 },
  { positions: [3, 3, 3], focal: 1, seed: 14 },
];

/** A value that depends on the co-players' goals (hashed evaluator + a goal term), so goal-blind caching would show. */
function goalEvaluator(sim: LineWorld) {
  const base = hashedEvaluator(sim.numActions, sim.observationSize);
  const P = sim.numAgents;
  return (input: ObservationBatch, owners: RowOwners) => {
    const out = base(input, owners);
    if (owners.coGoals === undefined) return out;
    for (let r = 0; r < input.batch; r++)
      for (let j = 0; j < P; j++) out.values[r] += 0.25 * (owners.coGoals[r * P + j] + 1) * (j + 1);
    return out;
  };
}

function run(config: MctsConfigInput, evaluator: (i: ObservationBatch, o: RowOwners) => ReturnType<ReturnType<typeof hashedEvaluator>>) {
  const sim = new LineWorld(threePlayers);
  const planner = new HopPlanner({
    simulator: sim,
    evaluator,
    coPlayerModel: hashedCoPlayer(sim.numActions, sim.observationSize),
    config: { numSimulations: 60, treeNum: 3, ...config },
  });
  const input = lineInput(sim, decisions, 3);
  // trees of one decision differ: co-players want [stag, hare], [hare, stag], or the stag only
  const perTree = [0, 1, 0, 1, 0, 1, /* tree 1 */ 1, 0, 1, 0, 1, 0, /* tree 2 */ 0, -1, 0, -1, 0, -1];
  for (let d = 0; d < decisions.length; d++) input.goalOrders.set(perTree, d * perTree.length);
  return { sim, planner, input };
}

function results(o: SearchOutput) {
  return {
    action: Array.from(o.action),
    policy: Array.from(o.policy),
    rootQPerTree: Array.from(o.rootQPerTree),
    visitsPerTree: Array.from(o.visitsPerTree),
  };
}

describe('evaluatorCoPlayerGoals', () => {
  it("every evaluator row carries the goals its tree's orderings give at that node (spy on the evaluator)", async () => {
    const seen: string[] = [];
    const sim0 = new LineWorld(threePlayers);
    const P = sim0.numAgents;
    const O = sim0.observationSize;
    const { sim, planner, input } = run({ evaluatorCoPlayerGoals: true, cache: false }, (batch, owners) => {
      for (let r = 0; r < batch.batch; r++)
        seen.push(`${owners.focal[r]}|${Array.from(batch.observations.subarray(r * O, (r + 1) * O)).join(',')}|${Array.from(owners.coGoals!.subarray(r * P, (r + 1) * P)).join(',')}`);
      return hashedEvaluator(sim0.numActions, O)(batch, owners);
    });
    await planner.plan(input);
    // the expected rows, recomputed from the arena: every non-terminal node of every tree, its focal
    // agent's observation, and per agent the first available goal of its ordering (-1: focal, done, none)
    const arena = planner.engine.arena;
    const G = sim.numGoals;
    const expected: string[] = [];
    const obs = new Float32Array(P * O);
    const done = new Uint8Array(P);
    const avail = new Uint8Array(G);
    let withGoal = 0;
    let withoutGoal = 0;
    for (let b = 0; b < arena.numTrees; b++) {
      const f = arena.focal[b];
      for (let n = 0; n < arena.size[b]; n++) {
        const g = b * arena.maxNodes + n;
        if (arena.terminal[g]) continue;
        const view = { states: arena.states, slots: Int32Array.of(g), count: 1 };
        sim.observe(view, obs);
        sim.agentDone(view, done);
        sim.goalsAvailable(view, avail);
        const goals: number[] = [];
        for (let j = 0; j < P; j++) {
          let goal = -1;
          if (j !== f && !done[j])
            for (let k = 0; k < G; k++) {
              const c = input.goalOrders[(b * P + j) * G + k];
              if (c < 0) break;
              if (avail[c]) {
                goal = c;
                break;
              }
            }
          goals.push(goal);
          if (j !== f) goal >= 0 ? withGoal++ : withoutGoal++;
        }
        expected.push(`${f}|${Array.from(obs.subarray(f * O, (f + 1) * O)).join(',')}|${goals.join(',')}`);
      }
    }
    expect(seen.sort()).toEqual(expected.sort());
    // the case covers co-players with a goal and (after a catch) done or goal-less ones
    expect(withGoal).toBeGreaterThan(0);
    expect(withoutGoal).toBeGreaterThan(0);
  });

  it('off, the evaluator gets no coGoals; on, a goal-blind evaluator gives the same search (cache off and on)', async () => {
    let sawGoals = false;
    const base = hashedEvaluator(4, new LineWorld(threePlayers).observationSize);
    const spy = (i: ObservationBatch, o: RowOwners) => {
      if (o.coGoals !== undefined) sawGoals = true;
      return base(i, o);
    };
    const off = run({}, spy);
    const a = results(await off.planner.plan(off.input));
    expect(sawGoals).toBe(false);
    for (const cache of [false, true]) {
      const on = run({ evaluatorCoPlayerGoals: true, cache }, base);
      expect(results(await on.planner.plan(on.input))).toEqual(a);
    }
  });

  it('a goal-conditioned value changes the search, and the cache keys it by the goals (cache on = cache off)', async () => {
    const sim = new LineWorld(threePlayers);
    const blind = run({ evaluatorCoPlayerGoals: true }, hashedEvaluator(sim.numActions, sim.observationSize));
    const cached = run({ evaluatorCoPlayerGoals: true, cache: true }, goalEvaluator(sim));
    const uncached = run({ evaluatorCoPlayerGoals: true, cache: false }, goalEvaluator(sim));
    const b = results(await blind.planner.plan(blind.input));
    const c = await cached.planner.plan(cached.input);
    const u = results(await uncached.planner.plan(uncached.input));
    expect(results(c)).toEqual(u);
    expect(u.rootQPerTree).not.toEqual(b.rootQPerTree);
    expect(c.counts.evaluatorCacheHits).toBeGreaterThan(0);
  });

  it('refuses a world whose goal combinations do not fit the cache key', () => {
    const sim = new LineWorld({ ...threePlayers, numAgents: 3 });
    const big = Object.create(sim, { numGoals: { value: 2000 } }) as LineWorld;
    const planner = new HopPlanner({
      simulator: big,
      evaluator: hashedEvaluator(4, sim.observationSize),
      coPlayerModel: hashedCoPlayer(4, sim.observationSize),
      config: { numSimulations: 2, treeNum: 1, evaluatorCoPlayerGoals: true },
    });
    const input = lineInput(sim, decisions.slice(0, 1), 1);
    const err = (async () => {
      try {
        await planner.plan({ ...input, goalOrders: new Int32Array(3 * 2000).fill(-1) });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    return err.then((e) => {
      expect(e).toBeInstanceOf(HopError);
      expect((e as HopError).message).toMatch(/evaluatorCoPlayerGoals/);
    });
  });
});

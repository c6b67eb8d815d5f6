import { HopError, Rng } from '@hop/core';
import type { GoalBatch } from '@hop/core';
import { describe, expect, it } from 'vitest';
import { HopPlanner, mctsConfig, sampleGoalOrders } from '../src/index';
import type { SearchOutput, TreeArena } from '../src/index';
import { treeViolations } from './helpers/invariants';
import { lineInput, linePlanner, threePlayers } from './helpers/setup';
import type { Decision } from './helpers/setup';
import { CATCH, LEFT, LineWorld, RIGHT, STAY } from './sims/lineWorld';
import { asAsync, flatEvaluator, hashedCoPlayer, hashedEvaluator } from './sims/models';

/** A co-player that catches whenever it can and otherwise moves uniformly. */
function catcher(input: GoalBatch) {
  const probs = new Float32Array(input.batch * 4);
  for (let r = 0; r < input.batch; r++) {
    if (input.masks[r * 4 + CATCH]) probs[r * 4 + CATCH] = 1;
    else {
      let n = 0;
      for (let a = 0; a < 4; a++) n += input.masks[r * 4 + a];
      for (let a = 0; a < 4; a++) probs[r * 4 + a] = input.masks[r * 4 + a] / n;
    }
  }
  return { probs };
}

const decisions: Decision[] = [
  { positions: [2, 4, 1], focal: 0, seed: 11 },
  { positions: [2, 4, 1], focal: 1, seed: 12 },
  { positions: [0, 0, 5], focal: 2, seed: 13 },
  { positions: [3, 3, 3], focal: 1, seed: 14 },
];

/** The per-decision parts of an output (timings differ from run to run). */
function results(o: SearchOutput) {
  return {
    action: Array.from(o.action),
    policy: Array.from(o.policy),
    rootQPerTree: Array.from(o.rootQPerTree),
    visitsPerTree: Array.from(o.visitsPerTree),
    maxDepth: Array.from(o.maxDepth),
    meanLeafDepth: Array.from(o.meanLeafDepth),
    treeSizes: Array.from(o.treeSizes),
  };
}

/** Splits the result of a batched call into its decisions. */
function slice(o: SearchOutput, d: number) {
  const r = results(o);
  const A = o.numActions;
  const T = o.treeNum;
  return {
    action: r.action.slice(d, d + 1),
    policy: r.policy.slice(d * A, (d + 1) * A),
    rootQPerTree: r.rootQPerTree.slice(d * T * A, (d + 1) * T * A),
    visitsPerTree: r.visitsPerTree.slice(d * T * A, (d + 1) * T * A),
    maxDepth: r.maxDepth.slice(d, d + 1),
    meanLeafDepth: r.meanLeafDepth.slice(d, d + 1),
    treeSizes: r.treeSizes.slice(d * T, (d + 1) * T),
  };
}

describe('lock-step batching', () => {
  for (const search of ['puct', 'gumbel'] as const) {
    it(`B trees searched together equal B separate searches with the same seeds (${search})`, async () => {
      const config = { numSimulations: 40, treeNum: 3, search, dirichletFraction: search === 'puct' ? 0.25 : 0 };
      const batched = linePlanner(threePlayers, config);
      const all = await batched.planner.plan(lineInput(batched.sim, decisions, 3));
      expect(all.counts.simulationSteps).toBe(39); // the roots' evaluation is the first of the 40
      expect(all.counts.evaluatorCalls).toBeLessThanOrEqual(40);
      for (let d = 0; d < decisions.length; d++) {
        const alone = linePlanner(threePlayers, config);
        const one = await alone.planner.plan(lineInput(alone.sim, [decisions[d]], 3));
        expect(slice(all, d)).toEqual(slice(one, 0));
      }
    });
  }

  it('every network batch holds rows of many trees, at most one call per simulation step', async () => {
    const { sim, planner, evaluator, coPlayer } = linePlanner(threePlayers, { numSimulations: 20, treeNum: 2, cache: false });
    const out = await planner.plan(lineInput(sim, decisions, 2));
    expect(evaluator.calls.length).toBe(out.counts.evaluatorCalls);
    expect(evaluator.calls.length).toBeLessThanOrEqual(21);
    expect(coPlayer.callCount()).toBeLessThanOrEqual(21);
    // root call: all 8 trees in one batch, each row tagged with its tree's focal agent
    expect(evaluator.calls[0].batch).toBe(8);
    expect(evaluator.calls[0].focal).toEqual([0, 0, 1, 1, 2, 2, 1, 1]);
    expect(out.counts.evaluatorRows).toBe(evaluator.calls.reduce((s, c) => s + c.batch, 0));
  });

  it('each simulation step makes exactly one co-player call (at most), one simulator step and one evaluator call for all trees', async () => {
    // prey nobody can catch (need 4 of 3 agents): no state is terminal, so every tree expands one new
    // non-terminal leaf per step and every co-player keeps a goal (the model is asked)
    const world = {
      length: 6,
      numAgents: 3,
      numGoals: 2,
      timeLimit: 100,
      prey: [
        { cell: 0, reward: 10, goal: 0, need: 4 },
        { cell: 4, reward: 1, goal: 1, need: 4 },
      ],
    };
    class CountingWorld extends LineWorld {
      override step(batch: Parameters<LineWorld['step']>[0]): void {
        log.push(`S${batch.count}`);
        super.step(batch);
      }
    }
    const log: string[] = [];
    const sim = new CountingWorld(world);
    const ev = hashedEvaluator(4, sim.observationSize);
    const co = hashedCoPlayer(4, sim.observationSize);
    const S = 12;
    const T = 2;
    const planner = new HopPlanner({
      simulator: sim,
      evaluator: (input, owners) => {
        log.push(`E${input.batch}`);
        return ev(input, owners);
      },
      coPlayerModel: (input, owners) => {
        log.push(`C${input.batch}`);
        return co(input, owners);
      },
      config: { numSimulations: S, treeNum: T, cache: false },
    });
    const out = await planner.plan(lineInput(sim, decisions, T));
    const B = decisions.length * T;
    // the roots in one evaluator call, then per step: [co-player call] simulator step, evaluator call
    const kinds = log.map((e) => e[0]).join('');
    expect(kinds).toMatch(new RegExp(`^E(C?SE){${S - 1}}$`));
    expect(out.counts.simulationSteps).toBe(S - 1);
    // every call carries one row per tree (co-player: one per live co-player of every node being expanded)
    for (const e of log) if (e[0] !== 'C') expect(e).toBe(`${e[0]}${B}`);
    expect(log[1]).toBe(`C${B * 2}`); // first step: every root is expanded, 2 co-players each
    expect(out.counts.evaluatorCalls).toBe(S);
    expect(out.counts.simulatorSteps).toBe(S - 1);
    expect(out.counts.coPlayerCalls).toBe(log.filter((e) => e[0] === 'C').length);
  });

  it('async models (promises) give the same results as synchronous ones', async () => {
    const sim = new LineWorld(threePlayers);
    const config = { numSimulations: 25, treeNum: 2 };
    const sync = new HopPlanner({
      simulator: sim,
      evaluator: hashedEvaluator(4, sim.observationSize),
      coPlayerModel: hashedCoPlayer(4, sim.observationSize),
      config,
    });
    const async_ = new HopPlanner({
      simulator: sim,
      evaluator: asAsync(hashedEvaluator(4, sim.observationSize)),
      coPlayerModel: asAsync(hashedCoPlayer(4, sim.observationSize)),
      config,
    });
    const a = await sync.plan(lineInput(sim, decisions, 2));
    const b = await async_.plan(lineInput(sim, decisions, 2));
    expect(results(b)).toEqual(results(a));
  });
});

describe('evaluation cache', () => {
  for (const search of ['puct', 'gumbel'] as const) {
    it(`does not change results and saves network rows (${search})`, async () => {
      const on = linePlanner(threePlayers, { numSimulations: 60, treeNum: 3, cache: true, search });
      const off = linePlanner(threePlayers, { numSimulations: 60, treeNum: 3, cache: false, search });
      const a = await on.planner.plan(lineInput(on.sim, decisions, 3));
      const b = await off.planner.plan(lineInput(off.sim, decisions, 3));
      expect(results(a)).toEqual(results(b));
      expect(a.counts.evaluatorCacheHits).toBeGreaterThan(0);
      expect(a.counts.coPlayerCacheHits).toBeGreaterThan(0);
      expect(a.counts.evaluatorRows + a.counts.evaluatorCacheHits).toBe(b.counts.evaluatorRows);
      expect(a.counts.coPlayerRows + a.counts.coPlayerCacheHits).toBe(b.counts.coPlayerRows);
      expect(b.counts.evaluatorCacheHits).toBe(0);
    });
  }

  it('confirms hits on the full state, so hash collisions cannot change results', async () => {
    const world = { ...threePlayers, constantHash: true };
    const colliding = linePlanner(world, { numSimulations: 40, treeNum: 2, cache: true });
    const off = linePlanner(threePlayers, { numSimulations: 40, treeNum: 2, cache: false });
    const a = await colliding.planner.plan(lineInput(colliding.sim, decisions, 2));
    const b = await off.planner.plan(lineInput(off.sim, decisions, 2));
    expect(results(a)).toEqual(results(b));
    expect(a.counts.evaluatorCacheHits).toBeGreaterThan(0);
  });

  it('a shared co-player model (not per focal agent) is called for fewer rows', async () => {
    const perFocal = linePlanner(threePlayers, { numSimulations: 10, treeNum: 2, coPlayerModelPerFocal: true });
    const shared = linePlanner(threePlayers, { numSimulations: 10, treeNum: 2, coPlayerModelPerFocal: false });
    // decisions 0 and 1 share a root state but differ in the focal agent: their root co-player rows for
    // agent 2 are the same question when the model does not depend on the focal agent
    const a = await perFocal.planner.plan(lineInput(perFocal.sim, decisions.slice(0, 2), 2));
    const b = await shared.planner.plan(lineInput(shared.sim, decisions.slice(0, 2), 2));
    expect(b.counts.coPlayerRows).toBeLessThan(a.counts.coPlayerRows);
  });
});

describe('HOP semantics', () => {
  it('co-players pursue the first still-available goal of their ordering; "none" is uniform and never asks the model', async () => {
    const sim = new LineWorld(threePlayers);
    const seen: { goal: number; agent: number; focal: number; tree: number; obs: Float32Array }[] = [];
    const planner = new HopPlanner({
      simulator: sim,
      evaluator: hashedEvaluator(4, sim.observationSize),
      coPlayerModel: (input, owners) => {
        for (let r = 0; r < input.batch; r++)
          seen.push({
            goal: input.goals[r * 2] === 1 ? 0 : 1,
            agent: owners.agent[r],
            focal: owners.focal[r],
            tree: -1,
            obs: input.observations.slice(r * sim.observationSize, (r + 1) * sim.observationSize),
          });
        return catcher(input);
      },
      // the focal agent keeps playing after its own catch, so co-players can outlive both hares
      config: { numSimulations: 80, treeNum: 2, cache: false, focalDoneIsTerminal: false },
    });
    // focal on the hare at 3, agent 1 on the hare at 5 (it catches at once), agent 2 at 1
    const input = lineInput(sim, [{ positions: [3, 5, 1], focal: 0, seed: 9 }], 2);
    // tree 0: agents 1 and 2 want hares first, then the stag. tree 1: nobody has a goal.
    input.goalOrders.set([0, 1, 1, 0, 1, 0, /* tree 1 */ -1, -1, -1, -1, -1, -1]);
    await planner.plan(input);
    let fallbacks = 0;
    for (const s of seen) {
      expect(s.focal).toBe(0);
      expect(s.agent).not.toBe(0);
      // observation channels per cell: [3 agents..., stag, hare]
      let hare = false;
      for (let c = 0; c < threePlayers.length; c++) if (s.obs[c * 5 + 4] > 0) hare = true;
      expect(s.goal).toBe(hare ? 1 : 0);
      if (!hare) fallbacks++;
    }
    expect(fallbacks).toBeGreaterThan(0);
    // tree 1 never asks the model: its nodes' co-player rows are missing from the record. Rows are only
    // asked for nodes that were expanded (co-player actions are sampled when first needed).
    const arena = planner.engine.arena;
    const live = (b: number) => {
      let rows = 0;
      const done = new Uint8Array(3);
      for (let n = 0; n < arena.size[b]; n++) {
        const g = b * arena.maxNodes + n;
        if (arena.terminal[g] || !arena.coReady[g]) continue;
        sim.agentDone({ states: arena.states, slots: Int32Array.of(g), count: 1 }, done);
        rows += (done[1] ? 0 : 1) + (done[2] ? 0 : 1);
      }
      return rows;
    };
    expect(seen.length).toBe(live(0));
    expect(live(1)).toBeGreaterThan(0);
  });

  it('co-player actions follow the model for a goal, uniform over valid actions for "none", the no-op when done', async () => {
    const sim = new LineWorld({ ...threePlayers, numAgents: 4 });
    const model = [0.1, 0.2, 0.3, 0.4];
    const planner = new HopPlanner({
      simulator: sim,
      evaluator: hashedEvaluator(4, sim.observationSize),
      coPlayerModel: (input) => {
        const probs = new Float32Array(input.batch * 4);
        for (let r = 0; r < input.batch; r++) for (let a = 0; a < 4; a++) probs[r * 4 + a] = input.masks[r * 4 + a] * model[a];
        return { probs };
      },
      // the root's evaluation + one descent: every root samples its co-player actions once
      config: { numSimulations: 2, treeNum: 1 },
    });
    // focal 0 at 2; agent 1 on the hare at 3 (all 4 actions valid) wants a hare; agent 2 at 1 has no goal
    // (left, right, stay valid); agent 3 starts done
    const n = 3000;
    const input = lineInput(sim, Array.from({ length: n }, (_, i) => ({ positions: [2, 3, 1, 4], focal: 0, seed: i })), 1);
    for (let d = 0; d < n; d++) {
      input.states[d * sim.stateWords + 1 + 4 + 3] = 1; // agent 3 done
      input.goalOrders.set([0, 1, /* agent 1 */ 1, 0, /* agent 2 */ -1, -1, /* agent 3 */ 1, 0], d * 8);
    }
    await planner.plan(input);
    const arena = planner.engine.arena;
    const counts = [new Array(4).fill(0), new Array(4).fill(0)];
    for (let d = 0; d < n; d++) {
      const g = d * arena.maxNodes;
      expect(arena.coReady[g]).toBe(1);
      counts[0][arena.coActions[g * 4 + 1]]++;
      counts[1][arena.coActions[g * 4 + 2]]++;
      expect(arena.coActions[g * 4 + 3]).toBe(STAY);
    }
    for (let a = 0; a < 4; a++) expect(Math.abs(counts[0][a] / n - model[a])).toBeLessThan(0.03);
    expect(counts[1][CATCH]).toBe(0);
    for (const a of [LEFT, RIGHT, STAY]) expect(Math.abs(counts[1][a] / n - 1 / 3)).toBeLessThan(0.03);
  });

  it('a terminal root returns the no-op', async () => {
    const { sim, planner } = linePlanner(threePlayers, { numSimulations: 5, treeNum: 2 });
    const out = await planner.plan(lineInput(sim, [{ positions: [1, 2, 3], focal: 1, seed: 1, time: 8 }], 2));
    expect(out.action[0]).toBe(STAY);
    expect(out.policy[STAY]).toBe(1);
    expect(out.counts.evaluatorRows).toBe(0);
  });
});

describe('a 1-D corridor: small reward near, large reward far', () => {
  // cells 0..4; the focal agent starts at 1: a hare worth 0.2 at cell 0 (left, catch: 0.95 * 0.2 = 0.19)
  // and a stag worth 10 at cell 4 (3 x right, catch: 0.95^3 * 10 = 8.57). A goal-less co-player starts on
  // the hare and wanders uniformly (it may eat the hare). Flat evaluator: rewards alone guide the search.
  const corridor = {
    length: 5,
    numAgents: 2,
    numGoals: 1,
    timeLimit: 10,
    prey: [
      { cell: 0, reward: 0.2, goal: 0 },
      { cell: 4, reward: 10, goal: 0 },
    ],
  };
  async function decide(numSimulations: number, seed: number) {
    const sim = new LineWorld(corridor);
    const planner = new HopPlanner({
      simulator: sim,
      evaluator: flatEvaluator(4),
      coPlayerModel: hashedCoPlayer(4, sim.observationSize),
      config: { numSimulations, treeNum: 2, greedy: true },
    });
    const input = lineInput(sim, [{ positions: [1, 0], focal: 0, seed }], 2);
    input.goalOrders.fill(-1); // the co-player has no goal: uniform over its valid moves
    return planner.plan(input);
  }

  it('with enough simulations the search walks to the far reward', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const out = await decide(600, seed);
      expect(out.action[0]).toBe(RIGHT);
      expect(out.rootQ[RIGHT]).toBeGreaterThan(out.rootQ[LEFT]);
      expect(out.rootQ[RIGHT]).toBeGreaterThan(out.rootQ[STAY]);
    }
  });

  it('with few simulations it has not seen the far reward yet', async () => {
    const out = await decide(20, 1);
    expect(out.rootQ[RIGHT]).toBe(0);
    expect(out.action[0]).not.toBe(RIGHT);
  });

  it('is deterministic for a seed, and the seed matters', async () => {
    const a = await decide(150, 7);
    const b = await decide(150, 7);
    expect(results(a)).toEqual(results(b));
    const others = await Promise.all([8, 9, 10, 11].map((s) => decide(150, s)));
    const key = (o: SearchOutput) => JSON.stringify(results(o).visitsPerTree);
    expect(others.some((o) => key(o) !== key(a))).toBe(true);
  });
});

describe('subtree reuse', () => {
  /** Searches from [2, 4, 1] (focal 0), then steps the real game with the chosen action and the root's co-player actions. */
  async function firstDecision(config: Record<string, unknown>) {
    const { sim, planner } = linePlanner(threePlayers, { numSimulations: 50, treeNum: 1, reuseSubtree: true, greedy: true, ...config });
    const input = lineInput(sim, [{ positions: [2, 4, 1], focal: 0, seed: 4 }], 1);
    const first = await planner.plan(input);
    const arena = planner.engine.arena;
    const a = first.action[0];
    const joint = Int32Array.from(arena.coActions.subarray(0, 3));
    joint[0] = a;
    const next = new Int32Array(sim.stateWords * 2);
    next.set(input.states.subarray(0, sim.stateWords));
    sim.step({ states: next, from: Int32Array.of(0), to: Int32Array.of(1), actions: joint, count: 1,
      rewards: new Float32Array(3), terminal: new Uint8Array(1) });
    return { sim, planner, arena, input, child: arena.children[a], next };
  }

  /** Every node of the subtree under local node `root`, keyed by its action path. */
  function snapshot(arena: TreeArena, root: number) {
    const A = arena.numActions;
    const W = arena.stateWords;
    const P = arena.numAgents;
    const nodes = new Map<string, unknown>();
    const walk = (n: number, path: string) => {
      nodes.set(path, {
        visits: arena.visits[n],
        valueSum: path === '' ? undefined : arena.valueSum[n],
        reward: path === '' ? undefined : arena.reward[n],
        rawValue: arena.rawValue[n],
        terminal: arena.terminal[n],
        coReady: arena.coReady[n],
        coActions: arena.coReady[n] ? Array.from(arena.coActions.subarray(n * P, (n + 1) * P)) : null,
        prior: Array.from(arena.prior.subarray(n * A, (n + 1) * A)),
        legal: Array.from(arena.legal.subarray(n * A, (n + 1) * A)),
        state: Array.from(arena.states.subarray(n * W, (n + 1) * W)),
      });
      for (let a = 0; a < A; a++) {
        const c = arena.children[n * A + a];
        if (c >= 0) walk(c, `${path}${a}`);
      }
    };
    walk(root, '');
    return nodes;
  }

  it('re-rooting keeps exactly the subtree under the new root, every node field intact', async () => {
    const { arena, child } = await firstDecision({});
    const before = snapshot(arena, child);
    const size = arena.subtreeSize(0, child);
    let w = arena.rawValue[child];
    for (let a = 0; a < arena.numActions; a++) w += arena.childValueSum(0, child, a);
    arena.reroot(0, child);
    expect(arena.size[0]).toBe(size);
    expect(snapshot(arena, 0)).toEqual(before);
    // as a root it sums its evaluation and its children's returns, without its old edge's reward
    expect(arena.valueSum[0]).toBeCloseTo(w, 9);
    expect(arena.parent[0]).toBe(-1);
    for (let n = 1; n < size; n++) {
      expect(arena.parent[n]).toBeLessThan(n);
      expect(arena.depth[n]).toBe(arena.depth[arena.parent[n]] + 1);
    }
  });

  it('the next decision continues the subtree under the state actually reached, and only that', async () => {
    const { sim, planner, arena, input, child, next } = await firstDecision({});
    const keptVisits = arena.visits[child];
    const keptSize = arena.subtreeSize(0, child);
    const second = await planner.plan({ ...input, states: next, slots: Int32Array.of(1), seeds: [5] });
    expect(second.counts.reusedTrees).toBe(1);
    // a reused root gets numSimulations new visits (it needs no evaluation)
    expect(arena.visits[0]).toBe(keptVisits + 50);
    expect(arena.size[0]).toBeGreaterThanOrEqual(keptSize);
    expect(arena.size[0]).toBeLessThanOrEqual(keptSize + 50);
    expect(arena.depth[0]).toBe(0);
    expect(treeViolations(arena, sim, planner.config, false)).toEqual([]);
    // a state the tree never saw: no reuse
    const elsewhere = lineInput(sim, [{ positions: [5, 5, 5], focal: 0, seed: 6 }], 1);
    const third = await planner.plan(elsewhere);
    expect(third.counts.reusedTrees).toBe(0);
    expect(treeViolations(arena, sim, planner.config, true)).toEqual([]);
  });

  it('a tree whose co-player goal orderings changed is searched afresh (its nodes were built for other goals)', async () => {
    const { planner, input, next } = await firstDecision({});
    const changed = Int32Array.from(input.goalOrders);
    // co-player 1 swaps its two goals
    const o = 1 * 2;
    [changed[o], changed[o + 1]] = [changed[o + 1], changed[o]];
    const second = await planner.plan({ ...input, states: next, slots: Int32Array.of(1), goalOrders: changed, seeds: [5] });
    expect(second.counts.reusedTrees).toBe(0);
    expect(planner.engine.arena.visits[0]).toBe(50);
  });

  it('same results with and without reuse when nothing can be reused', async () => {
    const a = linePlanner(threePlayers, { numSimulations: 30, treeNum: 2, reuseSubtree: true });
    const b = linePlanner(threePlayers, { numSimulations: 30, treeNum: 2, reuseSubtree: false });
    const x = await a.planner.plan(lineInput(a.sim, decisions, 2));
    const y = await b.planner.plan(lineInput(b.sim, decisions, 2));
    expect(results(x)).toEqual(results(y));
  });
});

describe('inputs and config', () => {
  it('rejects bad configs with HopError E_CONFIG naming the field', () => {
    expect(() => mctsConfig({ numSimulations: 0 })).toThrow(/numSimulations/);
    expect(() => mctsConfig({ search: 'gumbel', reuseSubtree: true })).toThrow(HopError);
    expect(() => mctsConfig({ numSimulations: 10, maxNodes: 5 })).not.toThrow();
    expect(() => mctsConfig({ bogus: 1 } as never)).toThrow(/E_CONFIG|bogus|Unrecognized/);
    expect(mctsConfig().gamma).toBe(0.95);
    expect(mctsConfig().treeNum).toBe(5);
  });

  it('rejects malformed search inputs with a message saying what to fix', async () => {
    const { sim, planner } = linePlanner(threePlayers, { numSimulations: 3, treeNum: 2 });
    const input = lineInput(sim, decisions.slice(0, 1), 2);
    await expect(planner.plan({ ...input, goalOrders: new Int32Array(3) })).rejects.toThrow(/goalOrders has 3 entries/);
    await expect(planner.plan({ ...input, focal: Int32Array.of(7) })).rejects.toThrow(/focal\[0\] = 7/);
    await expect(planner.plan({ ...input, slots: Int32Array.of(9) })).rejects.toThrow(/outside the state arena/);
    await expect(planner.plan({ ...input, seeds: [] })).rejects.toThrow(/seeds/);
    const bad = new HopPlanner({
      simulator: sim,
      evaluator: () => ({ logits: new Float32Array(1), values: new Float32Array(1) }),
      coPlayerModel: hashedCoPlayer(4, sim.observationSize),
      config: { numSimulations: 3, treeNum: 2 },
    });
    await expect(bad.plan(input)).rejects.toThrow(/evaluator returned/);
    // one search at a time per planner
    const first = planner.plan(input);
    await expect(planner.plan(input)).rejects.toThrow(/while a search is running/);
    await first;
  });
});

describe('sampleGoalOrders', () => {
  it('draws permutations whose first goal follows the belief, zero-belief goals last', () => {
    const rng = new Rng(3);
    const beliefs = Float32Array.from([0.8, 0.2, 0, /* agent 1 */ 0, 0, 1]);
    const n = 4000;
    const orders = sampleGoalOrders(beliefs, 2, 3, n, rng);
    let firstIs0 = 0;
    for (let t = 0; t < n; t++) {
      const a0 = Array.from(orders.subarray(t * 6, t * 6 + 3));
      const a1 = Array.from(orders.subarray(t * 6 + 3, t * 6 + 6));
      expect([...a0].sort()).toEqual([0, 1, 2]);
      expect([...a1].sort()).toEqual([0, 1, 2]);
      expect(a0[2]).toBe(2);
      expect(a1[0]).toBe(2);
      if (a0[0] === 0) firstIs0++;
    }
    expect(firstIs0 / n).toBeGreaterThan(0.77);
    expect(firstIs0 / n).toBeLessThan(0.83);
  });
});

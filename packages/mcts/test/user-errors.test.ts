import { HopError, Rng, createGameSimulator, sampleGoalOrders } from '@hop/core/base';
import type { GoalBatch } from '@hop/core/base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HopPlanner } from '../src/index';
import type { MctsConfigInput, RowOwners, SearchCoPlayerModel, SearchInput } from '../src/index';
import { hashedCoPlayer, hashedEvaluator } from './sims/models';

/**
 * Errors an outside user meets (issue 27), each with the mistake made on purpose. Every test here failed on
 * the engine before the fix: co-player rows without valid mass were silently uniform, a ragged `states`
 * passed, a game's own TypeError came out bare, a [numAgents, G] belief gave a goalOrders length error.
 */

/**
 * 3 agents on a line of 5 cells, actions 0 stay, 1 left, 2 right (left / right invalid at the ends), goals
 * "reach cell 0" and "reach cell 4". `trap` makes the game's own code throw a TypeError: in `step` from a
 * state whose trap word is 1, in `observe` of a state whose trap word is 2.
 */
function lineGame() {
  return createGameSimulator({
    numAgents: 3,
    numActions: 3,
    state: { pos: 3, trap: 1 },
    observationShape: [4],
    maxSteps: 4,
    reset() {},
    step(s, actions, rewards) {
      const bonus = s.trap[0] === 1 ? undefined : { cell0: 1 };
      for (let i = 0; i < 3; i++) {
        if (actions[i] === 1) s.pos[i]--;
        if (actions[i] === 2) s.pos[i]++;
        if (s.pos[i] === 0) rewards[i] += bonus!.cell0; // a TypeError on a trapped state
      }
    },
    legalActions(s, i, mask) {
      mask[0] = 1;
      mask[1] = s.pos[i] > 0 ? 1 : 0;
      mask[2] = s.pos[i] < 4 ? 1 : 0;
    },
    observe(s, i, out) {
      const names = s.trap[0] === 2 ? undefined : ['me'];
      out[0] = s.pos[i] + names!.length; // a TypeError on a trapped state
      out[1] = s.pos[(i + 1) % 3];
      out[2] = s.pos[(i + 2) % 3];
      out[3] = i;
    },
    goals: { count: 2 },
  });
}

type Game = ReturnType<typeof lineGame>;

function setup(coPlayerModel: SearchCoPlayerModel, config: MctsConfigInput = {}, traps = [0, 0]) {
  const sim = lineGame();
  const planner = new HopPlanner({
    simulator: sim,
    evaluator: hashedEvaluator(3, 4),
    coPlayerModel,
    config: { numSimulations: 6, numTrees: 2, ...config },
  });
  return { sim, planner, input: inputFor(sim, planner.config.numTrees, traps) };
}

/** Two decisions at positions [0, 2, 4] (agent 0 at the left end), focal 0 and 1; beliefs [co-players, goals]. */
function inputFor(sim: Game, T: number, traps: number[]): SearchInput {
  const D = traps.length;
  const states = sim.allocate(D);
  traps.forEach((trap, d) => sim.write(states, d, { pos: [0, 2, 4], trap: [trap] }));
  const goalOrders = new Int32Array(D * T * 3 * 2);
  for (let d = 0; d < D; d++)
    sampleGoalOrders([0.3, 0.7, 0.6, 0.4], { focal: d % 2, numGoals: 2, numTrees: T, rng: new Rng(d), out: goalOrders, outOffset: d * T * 6 });
  return {
    states,
    slots: Int32Array.from({ length: D }, (_, d) => d),
    focal: Int32Array.from({ length: D }, (_, d) => d % 2),
    goalOrders,
    seeds: Array.from({ length: D }, (_, d) => 10 + d),
  };
}

/** A co-player model that answers rows whose agent is `badAgent` with `bad(mask)`, the others as `hashedCoPlayer`. */
function partlyBad(badAgent: number, bad: (mask: Uint8Array) => number[]) {
  const good = hashedCoPlayer(3, 4);
  const badRows: number[][] = [];
  const model = (input: GoalBatch, owners: RowOwners) => {
    const out = good(input, owners);
    for (let r = 0; r < input.batch; r++) {
      if (owners.agent[r] !== badAgent) continue;
      const row = bad(input.masks.subarray(r * 3, r * 3 + 3));
      badRows.push(row);
      out.probs.set(row, r * 3);
    }
    return out;
  };
  return Object.assign(model, { badRows, good });
}

const errorOf = async (p: Promise<unknown>): Promise<HopError> => {
  try {
    await p;
  } catch (e) {
    return e as HopError;
  }
  throw new Error('expected the search to fail');
};

// The ways a co-player row can miss its valid actions; agent 0 starts at cell 0, so "left" (1) is invalid for it
const noValidMass: [string, (mask: Uint8Array) => number[]][] = [
  ['all zero', () => [0, 0, 0]],
  ['negative', () => [-0.2, -0.3, -0.5]],
  ['mass only on invalid actions (wrong mask)', (m) => Array.from(m, (v) => (v ? 0 : 1))],
  ['reversed action order onto the invalid action', (m) => [0, m[1] ? 0 : 1, 0]],
];

describe('co-player rows without probability on valid actions', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each(noValidMass)('%s: strict mode is E_MODEL_OUTPUT naming the row, the agent and the values', async (_, bad) => {
    const model = partlyBad(0, bad);
    const { planner, input } = setup(model, { strict: true });
    const err = await errorOf(planner.plan({ ...input, focal: Int32Array.of(1, 1) }));
    expect(err).toBeInstanceOf(HopError);
    expect(err.code).toBe('E_MODEL_OUTPUT');
    const row = model.badRows[0];
    expect(err.message).toMatch(/co-player model put no probability on the valid actions of row \d+ \(agent 0 modelled by agent 1, goal [01], time 0\)/);
    expect(err.message).toContain(`probabilities [${Array.from(Float32Array.from(row)).join(', ')}]`);
  });

  it('a negative probability of one valid action is an error in strict mode only', async () => {
    const bad = (m: Uint8Array) => Array.from(m, (v, a) => (a === 0 ? -0.1 : v ? 0.6 : 0));
    const strict = setup(partlyBad(0, bad), { strict: true });
    const err = await errorOf(strict.planner.plan({ ...strict.input, focal: Int32Array.of(1, 1) }));
    expect(err.code).toBe('E_MODEL_OUTPUT');
    expect(err.message).toMatch(/gave valid action 0 of row \d+ \(agent 0 modelled by agent 1.*probability -0\.1/);
    // otherwise the negative entry counts as 0 and the row still has mass: nothing to fall back from
    const loose = setup(partlyBad(0, bad));
    const out = await loose.planner.plan({ ...loose.input, focal: Int32Array.of(1, 1) });
    expect(out.counts.coPlayerFallbackRows).toBe(0);
  });

  it('otherwise every such row is counted in counts.coPlayerFallbackRows and warned about once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const model = partlyBad(2, () => [0, 0, 0]);
    const { planner, input } = setup(model);
    const out = await planner.plan(input);
    // exactly the rows the model answered badly (agent 2's), not the others
    expect(model.badRows.length).toBeGreaterThan(0);
    expect(out.counts.coPlayerRows).toBeGreaterThan(model.badRows.length);
    expect(out.counts.coPlayerFallbackRows).toBe(model.badRows.length);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/agent 2 modelled by agent [01].*probabilities \[0, 0, 0\].*coPlayerFallbackRows.*strict: true/);
    // a second call counts its own rows and does not warn again
    const again = await planner.plan({ ...input, seeds: [20, 21] });
    expect(again.counts.coPlayerFallbackRows).toBeGreaterThan(0);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('a valid model in strict mode searches exactly as without it (control)', async () => {
    const a = setup(hashedCoPlayer(3, 4), { strict: true });
    const b = setup(hashedCoPlayer(3, 4));
    const [oa, ob] = [await a.planner.plan(a.input), await b.planner.plan(b.input)];
    expect(oa.counts.coPlayerRows).toBeGreaterThan(0);
    expect(oa.counts.coPlayerFallbackRows).toBe(0);
    expect(Array.from(oa.visitsPerTree)).toEqual(Array.from(ob.visitsPerTree));
    expect(Array.from(oa.policy)).toEqual(Array.from(ob.policy));
  });

  it('strict mode refuses a co-player output longer than its batch (another number of actions)', async () => {
    const four = (input: GoalBatch) => ({ probs: new Float32Array(input.batch * 4).fill(0.25) });
    const { planner, input } = setup(four, { strict: true });
    await expect(planner.plan(input)).rejects.toThrow(/co-player model returned \d+ probabilities for a batch of \d+ rows and 3 actions; strict mode expects exactly/);
    // without strict mode the first 3 of every 4 values are read as the row (the old behaviour)
    const loose = setup(four);
    await expect(loose.planner.plan(loose.input)).resolves.toBeDefined();
  });
});

describe('search input', () => {
  it('a states buffer that is not a whole number of states is E_SEARCH_INPUT', async () => {
    const { sim, planner, input } = setup(hashedCoPlayer(3, 4));
    const ragged = new Int32Array(input.states.length + 1);
    ragged.set(input.states);
    await expect(planner.plan({ ...input, states: ragged })).rejects.toThrow(
      new RegExp(`states has ${2 * sim.stateWords + 1} words, not a whole number of states of stateWords = ${sim.stateWords}`),
    );
    await expect(planner.plan(input)).resolves.toBeDefined(); // the same input, whole, searches
  });

  it('goal orderings sampled from a [numAgents, numGoals] belief are named as the wrong belief layout', async () => {
    const { planner, input } = setup(hashedCoPlayer(3, 4));
    const T = planner.config.numTrees;
    // the mistake: a row per agent (the focal one included) instead of one per co-player
    const perAgent = [0.5, 0.5, 0.3, 0.7, 0.6, 0.4];
    const orders = [0, 1].map((d) => sampleGoalOrders(perAgent, { focal: d, numGoals: 2, numTrees: T, rng: new Rng(d) }));
    const goalOrders = new Int32Array(orders[0].length * 2);
    goalOrders.set(orders[0]);
    goalOrders.set(orders[1], orders[0].length);
    const err = await errorOf(planner.plan({ ...input, goalOrders }));
    expect(err.code).toBe('E_SEARCH_INPUT');
    expect(err.message).toMatch(/wrong layout, \[numAgents=3, numGoals=2\] \(a row per agent\).*\[numAgents - 1 = 2, numGoals=2\]/);
  });

  it('the same length from another numTrees (right beliefs) is named as the other possible cause, with the expected shape', async () => {
    // 3 agents: [numTrees=3, 4 rows] and [numTrees=4, 3 rows] have the same length
    const { planner, input } = setup(hashedCoPlayer(3, 4), { numTrees: 3 });
    const perCoPlayer = [0.3, 0.7, 0.6, 0.4];
    const goalOrders = new Int32Array(2 * 4 * 3 * 2);
    for (let d = 0; d < 2; d++)
      sampleGoalOrders(perCoPlayer, { focal: d, numGoals: 2, numTrees: 4, rng: new Rng(d), out: goalOrders, outOffset: d * 24 });
    const err = await errorOf(planner.plan({ ...input, goalOrders }));
    expect(err.code).toBe('E_SEARCH_INPUT');
    expect(err.message).toMatch(
      /another number of trees or decisions: expected \[D=2, numTrees=3, numAgents=3, numGoals=2\] = 36$/,
    );
    // the control: sampled for numTrees 3, the same beliefs search
    await expect(planner.plan(input)).resolves.toBeDefined();
  });
});

describe("errors thrown by the game's own code", () => {
  it('a TypeError in step names the call, the batch row and its tree, with the TypeError as cause', async () => {
    // decision 1's root is trapped: the first simulation steps one edge per tree (rows 0-1 decision 0, 2-3 decision 1)
    const { planner, input } = setup(hashedCoPlayer(3, 4), {}, [0, 1]);
    const err = await errorOf(planner.plan(input));
    expect(err).toBeInstanceOf(HopError);
    expect(err.code).toBe('E_SIMULATOR');
    expect(err.message).toMatch(
      /^the simulator's step threw on row 2 \(from decision 1, tree 0, node at depth 0, joint action \[\d, \d, \d\]\) of a batch of 4: TypeError: /,
    );
    expect(err.cause).toBeInstanceOf(TypeError);
  });

  it('a TypeError in observe names the call and the row (the fresh roots: one observed state per decision, the cache merges its trees)', async () => {
    const { planner, input } = setup(hashedCoPlayer(3, 4), {}, [0, 2]);
    const err = await errorOf(planner.plan(input));
    expect(err.code).toBe('E_SIMULATOR');
    expect(err.message).toMatch(/^the simulator's observe threw on row 1 \(decision 1, tree 0, node at depth 0\) of a batch of 2: TypeError: /);
    expect(err.cause).toBeInstanceOf(TypeError);
    // the control: the same decisions untrapped search
    const ok = setup(hashedCoPlayer(3, 4), {}, [0, 0]);
    await expect(ok.planner.plan(ok.input)).resolves.toBeDefined();
  });
});

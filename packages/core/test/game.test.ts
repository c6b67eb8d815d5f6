import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, createGameSimulator, type GameDefinition, type GameState, type StateLayout } from '../src/index';

/**
 * Two test games written as plain rules over one state:
 * - coins: 2 players on a 3x3 grid, 4 moves and no stay, 3 coins (the goals); a coin pays 1 to the players
 *   who step onto it (split), the episode ends when the coins are gone or after 6 steps. No agent is ever
 *   done on its own, so the no-op only matters at the end.
 * - race: 3 runners on a line of 4 cells, actions 0 stay / 1 forward; reaching cell 3 pays 1 and makes the
 *   runner done (its later actions must arrive as -1), everybody done ends the episode.
 */
const N = 3;
const coinLayout = { pos: 2, coin: 3 };
type Coins = GameState<typeof coinLayout>;
const MOVES = [
  [-1, 0],
  [1, 0],
  [0, -1],
  [0, 1],
];
const target = (cell: number, a: number) => {
  const r = Math.floor(cell / N) + MOVES[a][0];
  const c = (cell % N) + MOVES[a][1];
  return r >= 0 && r < N && c >= 0 && c < N ? r * N + c : -1;
};
const coins: GameDefinition<typeof coinLayout> = {
  numAgents: 2,
  numActions: 4,
  state: coinLayout,
  observationShape: [3 * N * N],
  maxSteps: 6,
  reset(s, rng) {
    const cells = rng.permutation(N * N);
    s.coin.set(cells.subarray(0, 3));
    s.pos.set(cells.subarray(3, 5));
  },
  step(s, actions, rewards) {
    for (let i = 0; i < 2; i++) {
      const to = target(s.pos[i], actions[i]);
      if (to >= 0) s.pos[i] = to;
    }
    for (let g = 0; g < 3; g++) {
      if (s.coin[g] < 0) continue;
      const on = [0, 1].filter((i) => s.pos[i] === s.coin[g]);
      for (const i of on) rewards[i] += 1 / on.length;
      if (on.length) s.coin[g] = -1;
    }
  },
  legalActions(s, agent, mask) {
    for (let a = 0; a < 4; a++) mask[a] = target(s.pos[agent], a) >= 0 ? 1 : 0;
  },
  observe(s, agent, out) {
    out[s.pos[agent]] = 1;
    out[N * N + s.pos[1 - agent]] = 1;
    for (let g = 0; g < 3; g++) if (s.coin[g] >= 0) out[2 * N * N + s.coin[g]] = 1;
  },
  terminal: (s) => s.coin.every((c) => c < 0),
  goals: {
    count: 3,
    available(s, out) {
      for (let g = 0; g < 3; g++) out[g] = s.coin[g] >= 0 ? 1 : 0;
    },
  },
};

const raceLayout = { at: 3 };
const race: GameDefinition<typeof raceLayout> = {
  numAgents: 3,
  numActions: 2,
  state: raceLayout,
  observationShape: [2],
  maxSteps: 8,
  reset(s, rng) {
    for (let i = 0; i < 3; i++) s.at[i] = rng.int(2);
  },
  step(s, actions, rewards) {
    for (let i = 0; i < 3; i++) {
      if (actions[i] < 0) continue; // done: nothing to do
      if (actions[i] === 1) s.at[i]++;
      if (s.at[i] === 3) rewards[i] = 1;
    }
  },
  legalActions(_s, _agent, mask) {
    mask[0] = 1;
    mask[1] = 1;
  },
  observe(s, agent, out) {
    out[0] = s.at[agent];
    out[1] = s.time;
  },
  agentDone: (s, agent) => s.at[agent] >= 3,
};

/**
 * The plain definition run one state at a time, with the documented semantics restated: time +1 per
 * step, done agents' actions -1, a finished episode does not move, every agent done once it is over.
 * Mutations this catches: done agents' actions passed through to the rules (race fails), a finished
 * episode stepped like a live one (both games and the hand-worked case fail).
 */
type Plain = { fields: Record<string, Int32Array>; time: number };
function asState<L extends StateLayout>(p: Plain): GameState<L> {
  return { ...p.fields, get time() {
    return p.time;
  } } as unknown as GameState<L>;
}
function plainOver<L extends StateLayout>(def: GameDefinition<L>, p: Plain): boolean {
  const s = asState<L>(p);
  if (p.time >= def.maxSteps || (def.terminal && def.terminal(s))) return true;
  return def.agentDone !== undefined && Array.from({ length: def.numAgents }, (_, i) => def.agentDone!(s, i)).every(Boolean);
}
function plainDone<L extends StateLayout>(def: GameDefinition<L>, p: Plain, i: number): boolean {
  return plainOver(def, p) || (def.agentDone !== undefined && def.agentDone(asState<L>(p), i));
}
function plainStep<L extends StateLayout>(def: GameDefinition<L>, p: Plain, actions: number[]): { next: Plain; rewards: number[] } {
  const next: Plain = { fields: Object.fromEntries(Object.entries(p.fields).map(([k, v]) => [k, v.slice()])), time: p.time };
  const rewards = new Float32Array(def.numAgents);
  if (!plainOver(def, p)) {
    const acts = Int32Array.from(actions, (a, i) => (plainDone(def, p, i) ? -1 : a));
    def.step(asState<L>(next), acts, rewards);
    next.time++;
  }
  return { next, rewards: [...rewards] };
}
function plainReset<L extends StateLayout>(def: GameDefinition<L>, seed: number): Plain {
  const p: Plain = { fields: Object.fromEntries(Object.entries(def.state).map(([k, n]) => [k, new Int32Array(n)])), time: 0 };
  def.reset(asState<L>(p), new Rng(seed));
  return p;
}
function plainLegal<L extends StateLayout>(def: GameDefinition<L>, p: Plain, i: number): number[] {
  const mask = new Uint8Array(def.numActions);
  if (plainDone(def, p, i)) mask[def.noopAction ?? 0] = 1;
  else def.legalActions(asState<L>(p), i, mask);
  return [...mask];
}

function checkAgreement<L extends StateLayout>(def: GameDefinition<L>, name: string): void {
  const sim = createGameSimulator(def);
  const P = def.numAgents;
  const A = def.numActions;
  const O = sim.observationSize;
  const G = sim.numGoals;
  const seen = { inPlace: 0, terminal: 0, doneAgents: 0, steps: 0 };
  fc.assert(
    fc.property(
      fc.array(fc.record({ seed: fc.integer({ min: 0, max: 1e6 }), walk: fc.integer({ min: 0, max: 5 }) }), { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 0, max: 1e6 }),
      fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      (starts, actionSeed, inPlace) => {
        // states reached by random legal play from reset, in both engines
        const rng = new Rng(actionSeed);
        const pick = (p: Plain) => Array.from({ length: P }, (_, i) => {
          const legal = plainLegal(def, p, i);
          const w = Float64Array.from(legal);
          return rng.categorical(w);
        });
        const D = starts.length;
        const arena = sim.allocate(2 * D);
        const plains: Plain[] = [];
        starts.forEach(({ seed, walk }, d) => {
          let p = plainReset(def, seed);
          sim.reset(arena, d, seed);
          for (let w = 0; w < walk; w++) p = plainStep(def, p, pick(p)).next;
          plains.push(p);
          sim.write(arena, d, p.fields as never, p.time);
        });
        // one batched step: decision d from slot d into slot d (in place) or slot D + d
        const joint = plains.map(pick);
        const from = Int32Array.from({ length: D }, (_, d) => d);
        const to = Int32Array.from({ length: D }, (_, d) => (inPlace[d] ? d : D + d));
        const rewards = new Float32Array(D * P);
        const terminal = new Uint8Array(D);
        sim.step({ states: arena, from, to, actions: Int32Array.from(joint.flat()), count: D, rewards, terminal });
        const view = { states: arena, slots: to, count: D };
        const legal = new Uint8Array(D * P * A);
        const done = new Uint8Array(D * P);
        const obs = new Float32Array(D * P * O);
        const time = new Float32Array(D);
        const term = new Uint8Array(D);
        const goals = new Uint8Array(D * G);
        sim.legalActions(view, legal);
        sim.agentDone(view, done);
        sim.observe(view, obs);
        sim.time(view, time);
        sim.terminal(view, term);
        sim.goalsAvailable(view, goals);
        for (let d = 0; d < D; d++) {
          const { next, rewards: r } = plainStep(def, plains[d], joint[d]);
          const got = sim.read(arena, to[d]);
          expect(got.time).toBe(next.time);
          for (const k of Object.keys(def.state)) expect(got.values[k]).toEqual([...next.fields[k]]);
          expect([...rewards.subarray(d * P, d * P + P)]).toEqual(r);
          expect(terminal[d]).toBe(plainOver(def, next) ? 1 : 0);
          expect(term[d]).toBe(terminal[d]);
          expect(time[d]).toBe(next.time);
          for (let i = 0; i < P; i++) {
            expect([...legal.subarray((d * P + i) * A, (d * P + i + 1) * A)]).toEqual(plainLegal(def, next, i));
            expect(done[d * P + i]).toBe(plainDone(def, next, i) ? 1 : 0);
            const o = new Float32Array(O);
            def.observe(asState(next), i, o);
            expect([...obs.subarray((d * P + i) * O, (d * P + i + 1) * O)]).toEqual([...o]);
            seen.doneAgents += done[d * P + i];
          }
          if (G > 0) {
            const g = new Uint8Array(G).fill(1);
            def.goals!.available!(asState(next), g);
            expect([...goals.subarray(d * G, d * G + G)]).toEqual([...g]);
          }
          seen.inPlace += inPlace[d] ? 1 : 0;
          seen.terminal += terminal[d];
          seen.steps++;
        }
        // equal states hash equally, different ones (almost surely) not
        const hashes = new Uint32Array(D);
        sim.hash(view, hashes);
        const keys = Array.from(to, (s) => JSON.stringify(sim.read(arena, s)));
        for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) if (keys[a] === keys[b]) expect(hashes[a]).toBe(hashes[b]);
        expect(new Set(hashes).size).toBe(new Set(keys).size); // a 32-bit collision among <= 6 states: p < 1e-8
      },
    ),
    { numRuns: 150 },
  );
  console.log(`game simulator vs plain ${name}: ${JSON.stringify(seen)}`);
  expect(seen.inPlace).toBeGreaterThan(50);
  expect(seen.steps - seen.inPlace).toBeGreaterThan(50);
  expect(seen.terminal).toBeGreaterThan(10);
  if (def.agentDone) expect(seen.doneAgents).toBeGreaterThan(20);
}

describe('createGameSimulator', () => {
  it('agrees with the plain coin game one state at a time (fast-check: batches, slots, in-place steps)', () => {
    checkAgreement(coins, 'coins');
  });

  it('agrees with the plain race game, where agents finish one by one and the no-op stands in for them', () => {
    checkAgreement(race, 'race');
  });

  it('hand-worked coin step: time, split reward, goals, terminal, and the no-op once it is over', () => {
    const sim = createGameSimulator(coins);
    expect(sim.stateWords).toBe(1 + 2 + 3);
    expect(sim.offsets).toEqual({ pos: 1, coin: 3 });
    expect(sim.numGoals).toBe(3);
    expect(sim.noopAction).toBe(0);
    const arena = sim.allocate(2);
    // players on cells 1 and 5; coins on 2 (both can reach it), 8, and one already taken
    sim.write(arena, 0, { pos: [1, 5], coin: [2, 8, -1] }, 3);
    const rewards = new Float32Array(2);
    const terminal = new Uint8Array(1);
    // player 0 right (1 -> 2), player 1 up (5 -> 2): both on coin 0
    sim.step({ states: arena, from: Int32Array.of(0), to: Int32Array.of(1), actions: Int32Array.of(3, 0), count: 1, rewards, terminal });
    expect(sim.read(arena, 1)).toEqual({ time: 4, values: { pos: [2, 2], coin: [-1, 8, -1] } });
    expect([...rewards]).toEqual([0.5, 0.5]);
    expect(terminal[0]).toBe(0);
    expect(sim.read(arena, 0).time).toBe(3); // the source slot is untouched
    const goals = new Uint8Array(3);
    sim.goalsAvailable({ states: arena, slots: Int32Array.of(1), count: 1 }, goals);
    expect([...goals]).toEqual([0, 1, 0]);
    // player 1 walks 2 -> 5 -> 8 and takes the last coin: over; after that only the no-op is legal
    sim.step({ states: arena, from: Int32Array.of(1), to: Int32Array.of(1), actions: Int32Array.of(2, 1), count: 1, rewards, terminal });
    sim.step({ states: arena, from: Int32Array.of(1), to: Int32Array.of(1), actions: Int32Array.of(3, 1), count: 1, rewards, terminal });
    expect([...rewards]).toEqual([0, 1]);
    expect(terminal[0]).toBe(1);
    const legal = new Uint8Array(2 * 4);
    sim.legalActions({ states: arena, slots: Int32Array.of(1), count: 1 }, legal);
    expect([...legal]).toEqual([1, 0, 0, 0, 1, 0, 0, 0]);
    // stepping a finished episode changes nothing
    const before = sim.read(arena, 1);
    sim.step({ states: arena, from: Int32Array.of(1), to: Int32Array.of(0), actions: Int32Array.of(1, 1), count: 1, rewards, terminal });
    expect(sim.read(arena, 0)).toEqual(before);
    expect([...rewards, terminal[0]]).toEqual([0, 0, 1]);
  });

  it('reset is seeded: the same seed gives the same state, another seed another one', () => {
    const sim = createGameSimulator(coins);
    const arena = sim.allocate(3);
    sim.reset(arena, 0, 11);
    sim.reset(arena, 1, 11);
    sim.reset(arena, 2, 12);
    expect(sim.read(arena, 1)).toEqual(sim.read(arena, 0));
    expect(sim.read(arena, 2)).not.toEqual(sim.read(arena, 0));
  });

  it('strict definitions reject illegal actions; a live agent without a legal action is named', () => {
    const sim = createGameSimulator({ ...coins, strict: true });
    const arena = sim.allocate(1);
    sim.write(arena, 0, { pos: [0, 4], coin: [8, -1, -1] });
    const batch = { states: arena, from: Int32Array.of(0), to: Int32Array.of(0), actions: Int32Array.of(0, 0), count: 1, rewards: new Float32Array(2), terminal: new Uint8Array(1) };
    expect(() => sim.step(batch)).toThrow(/agent 0 chose action 0 at time 0, but its valid actions are \[1, 3\]/);
    // the lenient default leaves the rules to decide (here: the move off the grid is ignored)
    createGameSimulator(coins).step(batch);
    expect(createGameSimulator(coins).read(arena, 0).values.pos).toEqual([0, 1]);
    const stuck = createGameSimulator({ ...coins, legalActions: () => {} });
    expect(() => stuck.legalActions({ states: arena, slots: Int32Array.of(0), count: 1 }, new Uint8Array(8))).toThrow(
      /legalActions left agent 0 without a valid action at time 1/,
    );
  });

  it('bad definitions and bad hand-written states are errors that say what to fix', () => {
    expect(() => createGameSimulator({ ...coins, state: { time: 1, pos: 2 } as never })).toThrow(/"time" is reserved/);
    expect(() => createGameSimulator({ ...coins, numAgents: 0 })).toThrow(/numAgents must be a positive integer, got 0/);
    expect(() => createGameSimulator({ ...coins, noopAction: 4 })).toThrow(/noopAction 4 is not an action in \[0, 4\)/);
    expect(() => createGameSimulator({ ...coins, observationShape: [] })).toThrow(/observationShape must be a non-empty array/);
    expect(() => createGameSimulator({ ...coins, state: { pos: 1.5 } as never })).toThrow(/state\.pos must be a positive integer/);
    const sim = createGameSimulator(coins);
    const arena = sim.allocate(1);
    expect(() => sim.write(arena, 0, { pos: [0], coin: [1, 2, 3] })).toThrow(/field "pos" has 1 values, expected 2/);
    expect(() => sim.write(arena, 0, { pos: [0, 1] } as never)).toThrow(/field "coin" is missing/);
    expect(() => sim.write(arena, 0, { pos: [0, 1], coin: [1, 2, 3], coins: [1] } as never)).toThrow(/"coins" is not a state field/);
    expect(() => sim.write(arena, 0, { pos: [0, 0.5], coin: [1, 2, 3] })).toThrow(/pos\[1\] = 0.5 is not an int32/);
    expect(() => sim.write(arena, 1, { pos: [0, 1], coin: [1, 2, 3] })).toThrow(/slot 1 is outside an arena of 1 slots/);
  });
});

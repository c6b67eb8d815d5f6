import { expect, it } from 'vitest';
import { Rng, type BatchedSimulator } from '@hop/core';

/**
 * The `BatchedSimulator` contract as tests, for any implementation (the true environment, a learned world
 * model, a reference world). `start(rng, arena, slot)` writes a start state into a slot.
 */
export interface ContractSubject {
  sim: BatchedSimulator;
  start(rng: Rng, arena: Int32Array, slot: number): void;
  /** Every random episode must end within this many steps. */
  maxSteps: number;
  /** The sizes the simulator must report, worked out by hand from its configuration (see each subject). */
  sizes: ContractSizes;
}

export interface ContractSizes {
  numAgents: number;
  numActions: number;
  noopAction: number;
  numGoals: number;
  observationShape: readonly number[];
  stateWords: number;
}

/**
 * Sizes worked out by hand for the contract. Stag-hunt layout of 4x4 with 2 players: channels = 2 players +
 * obstacle + stag + hare = 5, actions up/down/left/right/stay/hunt-stag/hunt-hare = 7 (no-op: stay = 4), 2
 * goals (stag, hare).
 *  - true game small-2p: words [t, end, first] + 2 positions + 1 stag + 2 hares + ceil(16 / 32) = 1
 *    obstacle bitset word = 9;
 *  - the adapter's StateCodec: [time, terminal] + 2 positions + one word (16 cells) for each of the
 *    obstacle, stag and hare bitsets = 7;
 *  - tinyLayout() (3x3, 2 players, 1 prey): channels 2 + 1 + 1 = 4, actions 5 + 1 = 6 (no-op 4), 1 goal;
 *    words [time, terminal] + 2 positions + one word (9 cells) for the static and the prey bitsets = 6.
 */
export const STAG_HUNT_2P_SIZES: ContractSizes = { numAgents: 2, numActions: 7, noopAction: 4, numGoals: 2, observationShape: [4, 4, 5], stateWords: 9 };
export const ADAPTER_2P_SIZES: ContractSizes = { ...STAG_HUNT_2P_SIZES, stateWords: 7 };
export const TINY_WORLD_SIZES: ContractSizes = { numAgents: 2, numActions: 6, noopAction: 4, numGoals: 1, observationShape: [3, 3, 4], stateWords: 6 };

const step = async (
  sim: BatchedSimulator,
  states: Int32Array,
  from: number[],
  to: number[],
  actions: Int32Array,
): Promise<{ rewards: Float32Array; terminal: Uint8Array }> => {
  const count = from.length;
  const rewards = new Float32Array(count * sim.numAgents).fill(NaN);
  const terminal = new Uint8Array(count).fill(7);
  await sim.step({ states, from: Int32Array.from(from), to: Int32Array.from(to), actions, count, rewards, terminal });
  return { rewards, terminal };
};

function views(sim: BatchedSimulator, states: Int32Array, slots: number[]) {
  const v = { states, slots: Int32Array.from(slots), count: slots.length };
  const n = slots.length;
  const P = sim.numAgents;
  const legal = new Uint8Array(n * P * sim.numActions);
  const done = new Uint8Array(n * P);
  const obs = new Float32Array(n * P * sim.observationSize);
  const time = new Float32Array(n);
  const terminal = new Uint8Array(n);
  const hash = new Uint32Array(n);
  const goals = new Uint8Array(n * sim.numGoals);
  sim.legalActions(v, legal);
  sim.agentDone(v, done);
  sim.observe(v, obs);
  sim.time(v, time);
  sim.terminal(v, terminal);
  sim.hash(v, hash);
  sim.goalsAvailable(v, goals);
  return { legal, done, obs, time, terminal, hash, goals };
}

/** Random legal joint actions (done agents: the no-op) for the given slots. */
function legalActions(sim: BatchedSimulator, states: Int32Array, slots: number[], rng: Rng): Int32Array {
  const { legal } = views(sim, states, slots);
  const A = sim.numActions;
  const out = new Int32Array(slots.length * sim.numAgents);
  for (let i = 0; i < out.length; i++) {
    const valid: number[] = [];
    for (let a = 0; a < A; a++) if (legal[i * A + a]) valid.push(a);
    out[i] = valid[rng.int(valid.length)];
  }
  return out;
}

const slotWords = (sim: BatchedSimulator, arena: Int32Array, slot: number) =>
  Array.from(arena.subarray(slot * sim.stateWords, (slot + 1) * sim.stateWords));

/**
 * Registers the contract tests (call inside a `describe`). `make` is called once per test; it may be
 * async (a model to build or train).
 */
export function simulatorContractTests(make: () => ContractSubject | Promise<ContractSubject>, opts: { episodes?: number } = {}): void {
  const episodes = opts.episodes ?? 6;

  it('describes itself consistently', async () => {
    // Mutation audit (issue 17): only ranges were checked, so a state record one word too long
    // (StateCodec's `stateWords = off + 1`) or the no-op moved to another legal action passed; the sizes
    // are now pinned per subject.
    const { sim, sizes } = await make();
    expect({
      numAgents: sim.numAgents,
      numActions: sim.numActions,
      noopAction: sim.noopAction,
      numGoals: sim.numGoals,
      observationShape: [...sim.observationShape],
      stateWords: sim.stateWords,
    }).toEqual({ ...sizes, observationShape: [...sizes.observationShape] });
    expect(sim.observationShape.reduce((a, b) => a * b, 1)).toBe(sim.observationSize);
    expect(sim.stateWords).toBeGreaterThan(0);
    expect(sim.numAgents).toBeGreaterThan(0);
    expect(sim.noopAction).toBeGreaterThanOrEqual(0);
    expect(sim.noopAction).toBeLessThan(sim.numActions);
    expect(sim.numGoals).toBeGreaterThanOrEqual(0);
  });

  it('plays random legal episodes to the end, keeping every invariant of the contract', async () => {
    const { sim, start, maxSteps } = await make();
    const rng = new Rng(11);
    const P = sim.numAgents;
    const A = sim.numActions;
    // Slots 0..n-1 live states, n..2n-1 step targets, 2n..3n-1 untouched sentinels.
    const n = episodes;
    const arena = new Int32Array(3 * n * sim.stateWords);
    for (let k = 0; k < n; k++) start(rng, arena, k);
    for (let k = 0; k < n; k++) start(rng, arena, 2 * n + k);
    const sentinel = arena.slice(2 * n * sim.stateWords);
    const live = Array.from({ length: n }, (_, k) => k);
    let steps = 0;
    while (live.length) {
      expect(steps++).toBeLessThanOrEqual(maxSteps);
      const before = views(sim, arena, live);
      const sources = live.map((s) => slotWords(sim, arena, s));
      const actions = legalActions(sim, arena, live, rng);
      const targets = live.map((s) => n + s);
      const { rewards, terminal } = await step(sim, arena, live, targets, actions);
      const after = views(sim, arena, targets);
      live.forEach((s, k) => {
        // the source slot is a snapshot: stepping out of it leaves it alone
        expect(slotWords(sim, arena, s)).toEqual(sources[k]);
        expect(after.terminal[k]).toBe(terminal[k]);
        expect(after.time[k]).toBe(before.time[k] + 1);
        for (let p = 0; p < P; p++) {
          const r = rewards[k * P + p];
          expect(Number.isFinite(r)).toBe(true);
          if (before.done[k * P + p]) {
            expect(r).toBe(0); // done agents earn nothing
            expect(after.done[k * P + p]).toBe(1); // and stay done
          }
          if (terminal[k]) expect(after.done[k * P + p]).toBe(1);
          // the no-op is always legal; a done agent has nothing else
          const legal = Array.from(after.legal.subarray((k * P + p) * A, (k * P + p + 1) * A));
          expect(legal[sim.noopAction]).toBe(1);
          expect(legal.every((v) => v === 0 || v === 1)).toBe(true);
          if (after.done[k * P + p]) expect(legal.reduce((a, b) => a + b, 0)).toBe(1);
        }
        for (let g = 0; g < sim.numGoals; g++) {
          expect([0, 1]).toContain(after.goals[k * sim.numGoals + g]);
          // goals only disappear
          if (!before.goals[k * sim.numGoals + g]) expect(after.goals[k * sim.numGoals + g]).toBe(0);
        }
      });
      expect(after.obs.every(Number.isFinite)).toBe(true);
      expect(arena.slice(2 * n * sim.stateWords)).toEqual(sentinel); // slots not named in `to` are untouched
      // continue from the targets: copy back, keep the ones still running
      live.forEach((s) => arena.copyWithin(s * sim.stateWords, (n + s) * sim.stateWords, (n + s + 1) * sim.stateWords));
      for (let k = live.length - 1; k >= 0; k--) if (terminal[k]) live.splice(k, 1);
    }
  });

  it('is deterministic, steps in place like out of place, and a batch like single steps', async () => {
    const { sim, start } = await make();
    const rng = new Rng(5);
    const n = 5;
    const W = sim.stateWords;
    const arena = new Int32Array(4 * n * W);
    for (let k = 0; k < n; k++) start(rng, arena, k);
    // advance a few random steps so states differ from starts (some agents done, prey gone)
    for (let t = 0; t < 3; t++) {
      const slots = Array.from({ length: n }, (_, k) => k);
      await step(sim, arena, slots, slots, legalActions(sim, arena, slots, rng));
    }
    const slots = Array.from({ length: n }, (_, k) => k);
    const actions = legalActions(sim, arena, slots, rng);
    const a = await step(sim, arena, slots, slots.map((k) => n + k), actions);
    const b = await step(sim, arena, slots, slots.map((k) => 2 * n + k), actions);
    expect(arena.slice(n * W, 2 * n * W)).toEqual(arena.slice(2 * n * W, 3 * n * W));
    expect(a.rewards).toEqual(b.rewards);
    expect(a.terminal).toEqual(b.terminal);
    // single steps of each transition
    for (let k = 0; k < n; k++) {
      const one = await step(sim, arena, [k], [3 * n + k], actions.slice(k * sim.numAgents, (k + 1) * sim.numAgents));
      expect(slotWords(sim, arena, 3 * n + k)).toEqual(slotWords(sim, arena, n + k));
      expect(one.terminal[0]).toBe(a.terminal[k]);
      for (let p = 0; p < sim.numAgents; p++) expect(one.rewards[p]).toBeCloseTo(a.rewards[k * sim.numAgents + p], 4);
    }
    // in place
    const c = await step(sim, arena, slots, slots, actions);
    expect(arena.slice(0, n * W)).toEqual(arena.slice(n * W, 2 * n * W));
    expect(c.terminal).toEqual(a.terminal);
  });

  it('hashes and observes equal states equally', async () => {
    const { sim, start } = await make();
    const rng = new Rng(9);
    const W = sim.stateWords;
    const arena = new Int32Array(6 * W);
    for (let k = 0; k < 3; k++) start(rng, arena, k);
    for (let k = 0; k < 3; k++) arena.copyWithin((3 + k) * W, k * W, (k + 1) * W);
    const v = views(sim, arena, [0, 1, 2, 3, 4, 5]);
    const G = sim.observationSize * sim.numAgents;
    for (let k = 0; k < 3; k++) {
      expect(v.hash[k + 3]).toBe(v.hash[k]);
      expect(v.obs.slice((k + 3) * G, (k + 4) * G)).toEqual(v.obs.slice(k * G, (k + 1) * G));
    }
    // different states: the hashes differ (32-bit collisions on 3 random states are ~1e-9)
    if (slotWords(sim, arena, 0).join() !== slotWords(sim, arena, 1).join()) expect(v.hash[0]).not.toBe(v.hash[1]);
  });
}

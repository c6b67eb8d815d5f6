import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, initBackend, type CatchRewards, type SimStepBatch } from '@hop/core';
import { StagHuntSimulator, VecStagHunt, stagHuntRewards, type PresetName } from '@hop/env-staghunt';
import { stagHuntLayout, stagHuntRules } from '../src/layout';
import { WorldModel } from '../src/model/world-model';
import { WorldModelSimulator } from '../src/sim/adapter';
import { ADAPTER_2P_SIZES, STAG_HUNT_2P_SIZES, TINY_WORLD_SIZES, simulatorContractTests, type ContractSubject } from './helpers/contract';
import { TinyWorld, tinyLayout } from './helpers/tiny-world';

beforeAll(async () => {
  await initBackend();
});

/** Start states of the true game: a pool of generated episodes, picked at random. */
function stagHuntStarts(preset: PresetName, n = 16): { sim: StagHuntSimulator; pool: Int32Array; pick: (rng: Rng) => number } {
  const sim = new StagHuntSimulator(preset);
  const vec = new VecStagHunt(preset, { numEnvs: n, seed: 3, observations: 'none' });
  const pool = sim.allocate(n);
  for (let k = 0; k < n; k++) vec.snapshot(k, pool, k);
  return { sim, pool, pick: (rng) => rng.int(n) };
}

/**
 * A world model with random weights everywhere (the output layer included): its predictions are arbitrary,
 * so decoding must still produce valid states and the contract must hold whatever the network says.
 */
function randomModel(seed: number): WorldModel {
  const model = new WorldModel({
    layout: stagHuntLayout({ height: 4, width: 4, players: 2 }),
    finalTime: 20,
    seed,
    direct: { layers: [{ filters: 8, kernel: 3 }, { filters: 8, kernel: 1 }] },
    headUnits: 8,
  });
  const rng = new Rng(seed);
  model.network.setWeights(
    model.network.getWeights().map((w) => tf.tidy(() => tf.randomNormal(w.shape, 0, 0.6, 'float32', rng.uint32()))),
  );
  return model;
}

/** The adapter started from the true game's start positions (encoded from player 0's observation). */
function adapterSubject(seed: number): ContractSubject & { adapter: WorldModelSimulator } {
  const adapter = new WorldModelSimulator(randomModel(seed), { ownsModel: true, rewards: stagHuntRewards({ players: 2 }) });
  const env = stagHuntStarts('small-2p');
  const grid = new Float32Array(env.sim.numAgents * env.sim.observationSize);
  return {
    sim: adapter,
    adapter,
    maxSteps: 20,
    sizes: ADAPTER_2P_SIZES,
    start: (rng, arena, slot) => {
      env.sim.observe({ states: env.pool, slots: Int32Array.of(env.pick(rng)), count: 1 }, grid);
      adapter.encodeObservation(grid, 0, 0, arena, slot);
    },
  };
}

describe('simulator contract: the true stag hunt (small-2p)', () => {
  simulatorContractTests(() => {
    const env = stagHuntStarts('small-2p');
    return { sim: env.sim, maxSteps: 20, sizes: STAG_HUNT_2P_SIZES, start: (rng, arena, slot) => env.sim.copy(env.pool, env.pick(rng), slot, arena) };
  });
});

describe('simulator contract: the reference tiny world of the tests', () => {
  simulatorContractTests(() => {
    const world = new TinyWorld(tinyLayout(), { minHunters: [1], reward: [1], finalTime: 12 });
    return { sim: world, maxSteps: 12, sizes: TINY_WORLD_SIZES, start: (rng, arena, slot) => world.randomState(rng, arena, slot, { obstacles: 1, prey: [2] }) };
  });
});

describe('simulator contract: the world-model adapter (random weights, stag-hunt layout)', () => {
  simulatorContractTests(() => adapterSubject(1));
});

describe('WorldModelSimulator', () => {
  it('renders encoded observations exactly as the true game does, for every player', () => {
    const env = stagHuntStarts('hop-msh');
    const model = new WorldModel({ layout: stagHuntLayout({ height: 8, width: 8, players: 4 }), finalTime: 35 });
    const adapter = new WorldModelSimulator(model, { ownsModel: true, rewards: stagHuntRewards({ players: 4 }) });
    const P = 4;
    const G = adapter.observationSize;
    expect(env.sim.observationSize).toBe(G);
    const trueObs = new Float32Array(16 * P * G);
    const slots = Int32Array.from({ length: 16 }, (_, k) => k);
    env.sim.observe({ states: env.pool, slots, count: 16 }, trueObs);
    const arena = adapter.allocate(16);
    // encode from a different observer each time: the rotation must come out right
    for (let k = 0; k < 16; k++) adapter.encodeObservation(trueObs.subarray((k * P + (k % P)) * G, (k * P + (k % P) + 1) * G), 0, k % P, arena, k);
    const mine = new Float32Array(16 * P * G);
    adapter.observe({ states: arena, slots, count: 16 }, mine);
    expect(mine).toEqual(trueObs);
    // and the legal actions and goals agree with the game's
    const la = new Uint8Array(16 * P * 7);
    const lb = new Uint8Array(16 * P * 7);
    env.sim.legalActions({ states: env.pool, slots, count: 16 }, la);
    adapter.legalActions({ states: arena, slots, count: 16 }, lb);
    expect(lb).toEqual(la);
    const ga = new Uint8Array(32);
    const gb = new Uint8Array(32);
    env.sim.goalsAvailable({ states: env.pool, slots, count: 16 }, ga);
    adapter.goalsAvailable({ states: arena, slots, count: 16 }, gb);
    expect(gb).toEqual(ga);
    adapter.dispose();
  });

  it('decodes any prediction into a physically possible state', async () => {
    const s = adapterSubject(4);
    const { adapter } = s;
    const c = adapter.codec;
    const rng = new Rng(2);
    const n = 24;
    const W = adapter.stateWords;
    const arena = adapter.allocate(2 * n);
    for (let k = 0; k < n; k++) s.start(rng, arena, k);
    let moved = 0;
    let left = 0;
    for (let t = 0; t < 6; t++) {
      const actions = new Int32Array(n * 2).map(() => rng.int(7));
      const from = Int32Array.from({ length: n }, (_, k) => k);
      const to = Int32Array.from({ length: n }, (_, k) => n + k);
      await adapter.step({ states: arena, from, to, actions, count: n, rewards: new Float32Array(2 * n), terminal: new Uint8Array(n) });
      for (let k = 0; k < n; k++) {
        const a = k * W;
        const b = (n + k) * W;
        for (let p = 0; p < 2; p++) {
          const before = arena[a + c.POS + p];
          const after = arena[b + c.POS + p];
          if (before < 0 || c.isTerminal(arena, a)) {
            expect(after).toBe(before);
            continue;
          }
          if (after < 0) {
            // left the grid: only by hunting prey it stood on
            left++;
            const hunt = [5, 6].indexOf(actions[k * 2 + p]);
            expect(hunt).toBeGreaterThanOrEqual(0);
            expect(c.bit(arena, a, c.preyOff[hunt], before)).toBe(1);
          } else {
            const dist = Math.abs(Math.floor(before / 4) - Math.floor(after / 4)) + Math.abs((before % 4) - (after % 4));
            expect(dist).toBeLessThanOrEqual(1);
            expect(c.blocked(arena, b, after)).toBe(0);
            if (dist) moved++;
          }
        }
        // obstacles copied, prey only removed
        for (let w = 0; w < c.bitWords; w++) {
          expect(arena[b + c.staticOff[0] + w]).toBe(arena[a + c.staticOff[0] + w]);
          for (let q = 0; q < 2; q++) expect(arena[b + c.preyOff[q] + w] & ~arena[a + c.preyOff[q] + w]).toBe(0);
        }
      }
      arena.copyWithin(0, n * W, 2 * n * W);
    }
    expect(moved).toBeGreaterThan(0); // the random network does move players: the checks above were exercised
    expect(left + moved).toBeGreaterThan(0);
    adapter.dispose();
  });

  it('does not leak tensors over many steps', async () => {
    const s = adapterSubject(6);
    const rng = new Rng(1);
    const arena = s.adapter.allocate(8);
    for (let k = 0; k < 8; k++) s.start(rng, arena, k);
    const slots = Int32Array.from({ length: 8 }, (_, k) => k);
    const run = async () =>
      s.adapter.step({ states: arena, from: slots, to: slots, actions: new Int32Array(16).fill(4), count: 8, rewards: new Float32Array(16), terminal: new Uint8Array(8) });
    await run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 30; i++) await run();
    expect(tf.memory().numTensors).toBe(before);
    s.adapter.dispose();
  });

  it('rejects bad slots and grids with a clear error', () => {
    const s = adapterSubject(3);
    expect(() => s.adapter.encodeObservation(new Float32Array(80), 0, 0, s.adapter.allocate(1), 1)).toThrow(/slot 1 is outside/);
    expect(() => s.adapter.encodeObservation(new Float32Array(3), 0, 0, s.adapter.allocate(1), 0)).toThrow(/expected 80/);
    s.adapter.dispose();
  });
});

describe('WorldModelSimulator rewards and ends: the handed rule applied to the predicted hunt outcome', () => {
  /**
   * 3 players on 3x3 (tiny layout), one prey, end 2 steps after the first catch. The outcome head is pinned
   * to "caught" (or "not caught") whatever it sees, and the direct model starts at "nothing changes". The
   * reward rule handed in records what the adapter tells it (who acted, who caught what, the groups) and
   * writes `10 * (caught + 1) + group + 1` for acting players, so what reaches the rewards is worked out by hand.
   * Mutations caught: done players passed as acting, the group not the cell, the end after the catch dropped.
   */
  type Call = { acting: number[]; caught: number[]; group: number[] };
  function pinned(caught: boolean): { sim: WorldModelSimulator; calls: Call[] } {
    const calls: Call[] = [];
    const rewards: CatchRewards = {
      players: 3,
      write(acting, by, group, out, off) {
        calls.push({ acting: Array.from(acting), caught: Array.from(by), group: Array.from(group) });
        for (let p = 0; p < 3; p++) out[off + p] = acting[p] ? 10 * (by[p] + 1) + group[p] + 1 : 0;
      },
    };
    const base = tinyLayout({ players: 3 });
    const layout = { ...base, rules: { preyRewards: [6], endAfterFirstCatch: 2 } };
    const model = new WorldModel({ layout, finalTime: 10, direct: { layers: [{ filters: 4, kernel: 3 }] }, headUnits: 4 });
    const head = model.network.outputs[1].sourceLayer;
    const [kernel] = head.getWeights(); // the layer's own variable: not ours to dispose
    const pins = [tf.zerosLike(kernel), tf.tensor1d(caught ? [-20, 20] : [20, -20])];
    head.setWeights(pins);
    tf.dispose(pins);
    return { sim: new WorldModelSimulator(model, { ownsModel: true, rewards }), calls };
  }

  /** p0 and p1 hunt the prey on the centre cell together, p2 stays in the corner. */
  async function huntStep(sim: WorldModelSimulator) {
    const c = sim.codec;
    const arena = sim.allocate(2);
    // t 0, no end time; p0 and p1 on the centre cell 4, p2 in the corner 0
    arena.set([4, 4, 0], c.POS);
    c.setBit(arena, 0, c.preyOff[0], 4);
    const rewards = new Float32Array(3);
    const terminal = new Uint8Array(1);
    const step = (from: number, to: number, actions: number[]) =>
      sim.step({ states: arena, from: Int32Array.of(from), to: Int32Array.of(to), actions: Int32Array.from(actions), count: 1, rewards, terminal });
    await step(0, 1, [5, 5, 4]);
    return { arena, rewards: Array.from(rewards), terminal: terminal[0], step, read: () => ({ rewards: Array.from(rewards), terminal: terminal[0] }) };
  }

  it('hands the rule the catch of the group on its cell, and ends the episode 2 steps after the catch', async () => {
    const { sim, calls } = pinned(true);
    const c = sim.codec;
    const W = sim.stateWords;
    const s = await huntStep(sim);
    expect(calls).toEqual([{ acting: [1, 1, 1], caught: [0, 0, -1], group: [4, 4, 0] }]);
    expect(s.rewards).toEqual([15, 15, 1]);
    expect(s.terminal).toBe(0);
    expect(Array.from(s.arena.subarray(W + c.POS, W + c.POS + 3))).toEqual([-1, -1, 0]);
    expect(c.bit(s.arena, W, c.preyOff[0], 4)).toBe(0);
    expect(s.arena[W + c.T]).toBe(1);
    expect(s.arena[W + c.END]).toBe(3); // caught at t = 0: 0 + 1 + 2
    await s.step(1, 1, [4, 4, 4]);
    expect(calls[1]).toEqual({ acting: [0, 0, 1], caught: [-1, -1, -1], group: [-1, -1, 0] });
    expect(s.read()).toEqual({ rewards: [0, 0, 1], terminal: 0 }); // done players get nothing
    await s.step(1, 1, [4, 4, 4]);
    expect(s.read()).toEqual({ rewards: [0, 0, 1], terminal: 1 }); // t = 3: the rules' end
    sim.dispose();
  });

  it('keeps the hunters and the prey and sets no end, when the head says not caught', async () => {
    const { sim, calls } = pinned(false);
    const c = sim.codec;
    const W = sim.stateWords;
    const s = await huntStep(sim);
    expect(calls).toEqual([{ acting: [1, 1, 1], caught: [-1, -1, -1], group: [4, 4, 0] }]);
    expect(s.rewards).toEqual([5, 5, 1]);
    expect(Array.from(s.arena.subarray(W + c.POS, W + c.POS + 3))).toEqual([4, 4, 0]);
    expect(c.bit(s.arena, W, c.preyOff[0], 4)).toBe(1);
    expect(s.arena[W + c.END]).toBe(0);
    expect(s.terminal).toBe(0);
    sim.dispose();
  });

  it('refuses a rule for another number of players', () => {
    const model = new WorldModel({ layout: tinyLayout({ players: 3 }), finalTime: 10, direct: { layers: [{ filters: 4, kernel: 3 }] }, headUnits: 4 });
    expect(() => new WorldModelSimulator(model, { rewards: stagHuntRewards({ players: 2 }) })).toThrow(/reward rule is for 2 players, the world model for 3/);
    model.dispose();
  });
});

describe('WorldModelSimulator rewards agree with @hop/env-staghunt', () => {
  /**
   * A hand-built position on 4x4 with 5 players of strength [1, 2, 3, 4, 5]: p0 and p1 hunt the stag
   * together, p2 and p3 share a hare, p4 is done. The outcome head is pinned to "caught" for both prey
   * (stag and hare 0.5 each), so the adapter's rewards are the rules' arithmetic alone: they must equal the
   * true game's word for word (the stag split by strength, the hare equally), prosocial or not.
   */
  it('the rules name the strength split only when there are strengths (world models saved before it keep matching)', () => {
    expect(stagHuntRules({ playerStrength: [1, 2] }).strengthPrey).toEqual([true, false]);
    expect(stagHuntRules({}).strengthPrey).toBeNull();
  });

  for (const prosocial of [false, true]) {
    it(`a stag group, a shared hare and a done player with playerStrength${prosocial ? ', prosocial' : ''}`, async () => {
      const config = {
        players: 5, height: 4, width: 4, stags: 1, hares: 1, obstacles: 0, finalTime: 20,
        stagReward: 10, hareReward: 3, timeReward: -0.25, playerStrength: [1, 2, 3, 4, 5], prosocial,
        dynamicFinalTime: true, finalTimeAfterFirstHunt: 2,
      };
      const env = new StagHuntSimulator(config);
      const arena = env.allocate(2);
      env.writeState(arena, 0, { players: [[1, 1], [1, 1], [2, 3], [2, 3], null], stags: [[1, 1]], hares: [[2, 3]] });
      const model = new WorldModel({ layout: stagHuntLayout({ height: 4, width: 4, players: 5, rules: config }), finalTime: 20, direct: { layers: [{ filters: 4, kernel: 3 }] }, headUnits: 4 });
      const head = model.network.outputs[1].sourceLayer;
      const [kernel] = head.getWeights();
      const pins = [tf.zerosLike(kernel), tf.tensor1d([-20, 20, 20])];
      head.setWeights(pins);
      tf.dispose(pins);
      const sim = new WorldModelSimulator(model, { ownsModel: true, rewards: stagHuntRewards(config) });
      const grid = new Float32Array(5 * env.observationSize);
      env.observe({ states: arena, slots: Int32Array.of(0), count: 1 }, grid);
      const mine = sim.allocate(2);
      sim.encodeObservation(grid, 0, 0, mine, 0);
      const actions = Int32Array.of(5, 5, 6, 6, 4);
      const step = async (s: { step: (b: SimStepBatch) => void | Promise<void> }, states: Int32Array) => {
        const rewards = new Float32Array(5);
        const terminal = new Uint8Array(1);
        await s.step({ states, from: Int32Array.of(0), to: Int32Array.of(1), actions, count: 1, rewards, terminal });
        return { rewards, terminal: terminal[0] };
      };
      const truth = await step(env, arena);
      const got = await step(sim, mine);
      expect(got).toEqual(truth);
      // the split the test is about, by hand: stag 10 by strength 1:2, hare 3 equally, -0.25 each acting player
      const raw = [10 / 3, 20 / 3, 1.5, 1.5].map((v) => v - 0.25);
      const total = raw.reduce((a, b) => a + b, 0);
      expect(Array.from(truth.rewards)).toEqual([...raw.map((v) => Math.fround(prosocial ? total / 5 : v)), 0]);
      // and the same next position: hunters done, both prey gone, the end 2 steps after the catch
      expect(env.readState(arena, 1)).toMatchObject({ players: [null, null, null, null, null], stags: [], hares: [], endTime: 3 });
      const c = sim.codec;
      const W = sim.stateWords;
      expect(Array.from(mine.subarray(W + c.POS, W + c.POS + 5))).toEqual([-1, -1, -1, -1, -1]);
      expect(mine[W + c.END]).toBe(3);
      sim.dispose();
    });
  }
});

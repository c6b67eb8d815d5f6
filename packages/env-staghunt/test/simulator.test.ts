import { describe, expect, it } from 'vitest';
import type { BatchedSimulator } from '@hop/core';
import { createStagHuntSimulator } from '../src/sim/simulator';
import { StagHuntEnv } from '../src/env/parallel';
import { VecStagHunt } from '../src/env/vec';
import { expectSame, tiny } from './helpers';

describe('StagHuntSimulator (BatchedSimulator contract)', () => {
  const config = tiny();
  const sim: BatchedSimulator = createStagHuntSimulator(config);
  const s = createStagHuntSimulator(config);

  it('describes itself', () => {
    expect(sim.numAgents).toBe(3);
    expect(sim.numActions).toBe(7);
    expect(sim.observationShape).toEqual([3, 4, 6]);
    expect(sim.observationSize).toBe(72);
    expect(sim.noopAction).toBe(4);
    expect(sim.numGoals).toBe(2);
    expect(sim.stateWords).toBe(3 + 3 + 1 + 2 + 1);
  });

  it('steps a batch from slots to slots, leaving the sources untouched, in place too', () => {
    const arena = s.allocate(4);
    s.parse(`01S . . .\n. . . .\n2 . . H`, arena, 0);
    s.parse(`0H 1 . S\n. . . .\n2 . . H`, arena, 1);
    const before = arena.slice();
    const rewards = new Float32Array(2 * 3);
    const terminal = new Uint8Array(2);
    sim.step({
      states: arena,
      from: Int32Array.of(0, 1),
      to: Int32Array.of(2, 3),
      actions: Int32Array.of(5, 5, 4, 6, 1, 0),
      count: 2,
      rewards,
      terminal,
    });
    expect(arena.subarray(0, 2 * sim.stateWords)).toEqual(before.subarray(0, 2 * sim.stateWords));
    expect([...rewards]).toEqual([5, 5, 0, 1, 0, 0]);
    expect([...terminal]).toEqual([0, 0]);
    expect(s.render(arena, 2)).toBe('t=1/20  done: 0 1\n. . . .\n. . . .\n2 . . H');
    expect(s.render(arena, 3)).toBe('t=1/20  done: 0\n. . . S\n2 1 . .\n. . . H');

    const view = { states: arena, slots: Int32Array.of(2, 3), count: 2 };
    const done = new Uint8Array(6);
    sim.agentDone(view, done);
    expect([...done]).toEqual([1, 1, 0, 1, 0, 0]);
    const legal = new Uint8Array(2 * 3 * 7);
    sim.legalActions(view, legal);
    expect([...legal.subarray(0, 7)]).toEqual([0, 0, 0, 0, 1, 0, 0]); // done: noop only
    expect([...legal.subarray(14, 21)]).toEqual([1, 0, 0, 1, 1, 0, 0]); // player 2 at bottom-left
    const goals = new Uint8Array(4);
    sim.goalsAvailable(view, goals);
    expect([...goals]).toEqual([0, 1, 1, 1]);
    const time = new Float32Array(2);
    sim.time(view, time);
    expect([...time]).toEqual([1, 1]);

    // in place: the remaining player hunts the last hare -> everybody done, terminal
    s.parse(`. . . .\n. . . .\n2H . . .`, arena, 0);
    const actions = Int32Array.of(0, 0, 6);
    sim.step({ states: arena, from: Int32Array.of(0), to: Int32Array.of(0), actions, count: 1, rewards, terminal });
    expect(terminal[0]).toBe(1);
    const t = new Uint8Array(1);
    sim.terminal({ states: arena, slots: Int32Array.of(0), count: 1 }, t);
    expect(t[0]).toBe(1);
    // stepping a terminal state changes nothing
    const frozen = arena.slice(0, sim.stateWords);
    sim.step({ states: arena, from: Int32Array.of(0), to: Int32Array.of(0), actions, count: 1, rewards, terminal });
    expect(arena.subarray(0, sim.stateWords)).toEqual(frozen);
    expect([...rewards.subarray(0, 3)]).toEqual([0, 0, 0]);
  });

  it('observes what the environment shows each agent', () => {
    const env = new StagHuntEnv('hop-msh', { seed: 7 });
    env.reset();
    const hs = createStagHuntSimulator('hop-msh');
    const arena = hs.allocate(3);
    env.snapshot(arena, 2);
    const out = new Float32Array(4 * hs.observationSize);
    hs.observe({ states: arena, slots: Int32Array.of(2), count: 1 }, out);
    for (let p = 0; p < 4; p++) {
      expect(out.subarray(p * hs.observationSize, (p + 1) * hs.observationSize)).toEqual(env.observe(`player_${p}`).grid);
    }
  });

  it('hash: equal for equal states regardless of prey slot order, different after a move', () => {
    const arena = s.allocate(3);
    s.parse(`0 . . S\n. 1 . H\n2 . . H`, arena, 0);
    s.copy(arena, 0, 1);
    // swap the two hare slots of slot 1: same state
    const g = s.geometry;
    const W = g.stateWords;
    const h0 = arena[W + g.HARE];
    arena[W + g.HARE] = arena[W + g.HARE + 1];
    arena[W + g.HARE + 1] = h0;
    s.parse(`. 0 . S\n. 1 . H\n2 . . H`, arena, 2);
    const h = new Uint32Array(3);
    sim.hash({ states: arena, slots: Int32Array.of(0, 1, 2), count: 3 }, h);
    expect(h[0]).toBe(h[1]);
    expect(h[0]).not.toBe(h[2]);
    // time is part of the state
    arena[2 * W + g.T] = 1;
    s.parse(`0 . . S\n. 1 . H\n2 . . H`, arena, 2, { time: 1 });
    sim.hash({ states: arena, slots: Int32Array.of(0, 2), count: 2 }, h);
    expect(h[0]).not.toBe(h[1]);
  });

  it('a cloned env continues independently from the same state', () => {
    const env = new StagHuntEnv('small-2p', { seed: 8 });
    env.reset();
    env.step({ player_0: 4, player_1: 4 });
    const twin = env.clone();
    expect(twin.state()).toEqual(env.state());
    const acts = { player_0: 0, player_1: 3 };
    const a = env.step(acts);
    expect(twin.state()).not.toEqual(env.state());
    expect(twin.step(acts).rewards).toEqual(a.rewards);
    expect(twin.state()).toEqual(env.state());
    env.reset();
    twin.reset();
    expect(twin.state()).toEqual(env.state()); // same next episode too
  });

  it('VecStagHunt env k snapshots into and restores from arena slots', () => {
    const vec = new VecStagHunt('small-2p', { numEnvs: 3, seed: 4, observations: 'grid' });
    const hs = createStagHuntSimulator('small-2p');
    const arena = hs.allocate(2);
    vec.snapshot(1, arena, 1);
    vec.restore(0, arena, 1);
    const W = hs.stateWords;
    expect(vec.states.subarray(0, W)).toEqual(vec.states.subarray(W, 2 * W));
    const n = 2 * hs.observationSize;
    expect(vec.observations.subarray(0, n)).toEqual(vec.observations.subarray(n, 2 * n));
    expect(() => vec.snapshot(0, arena, 2)).toThrow(/slot 2 is outside an arena of 2 slots/);
    expect(() => vec.restore(3, arena, 0)).toThrow(/env index 3/);
  });

  it('VecStagHunt grid views (updated incrementally) equal full rewrites by the simulator, across resets', () => {
    const vec = new VecStagHunt('hop-msh', { numEnvs: 8, seed: 12, observations: 'grid' });
    const hs = createStagHuntSimulator('hop-msh');
    const arena = hs.allocate(8);
    const slots = Int32Array.from({ length: 8 }, (_, k) => k);
    const full = new Float32Array(8 * 4 * hs.observationSize);
    const actions = new Int32Array(32);
    let x = 1;
    let resets = 0;
    for (let t = 0; t < 120; t++) {
      for (let i = 0; i < 32; i++) {
        x = (x * 1103515245 + 12345) & 0x7fffffff;
        actions[i] = x % 7;
      }
      vec.step(actions);
      resets += vec.ended.reduce((a, b) => a + b, 0);
      for (let k = 0; k < 8; k++) vec.snapshot(k, arena, k);
      hs.observe({ states: arena, slots, count: 8 }, full);
      expectSame(vec.observations, full);
    }
    expect(resets).toBeGreaterThan(8);
  });
});

describe('VecStagHunt options and restored states (review)', () => {
  it('rejects seeds that are not safe integers and unknown observation modes, naming the option', () => {
    expect(() => new VecStagHunt('small-2p', { numEnvs: 1, seed: 1.5 })).toThrow(/seed must be a safe integer, got 1\.5/);
    expect(() => new VecStagHunt('small-2p', { numEnvs: 1, seed: Number.NaN })).toThrow(/seed must be a safe integer, got NaN/);
    expect(() => new VecStagHunt('small-2p', { numEnvs: 1 }).reset(0.5)).toThrow(/seed must be a safe integer, got 0\.5/);
    expect(() => new VecStagHunt('small-2p', { numEnvs: 1, observations: 'rgb' as never })).toThrow(
      /observations must be one of grid, flat, none, got "rgb"/,
    );
    expect(() => new StagHuntEnv('small-2p').reset(2.5)).toThrow(/seed must be a safe integer/);
  });

  it('seeds beyond 32 bits give other episodes than the small seed they would wrap to', () => {
    const a = new VecStagHunt('hop-msh', { numEnvs: 4, seed: 0, observations: 'none' });
    const b = new VecStagHunt('hop-msh', { numEnvs: 4, seed: 2 ** 32, observations: 'none' });
    expect(b.states).not.toEqual(a.states);
  });

  it('with auto-reset, an env restored into a finished state starts a new episode at the next step', () => {
    const vec = new VecStagHunt('small-2p', { numEnvs: 2, seed: 3, observations: 'grid' });
    const hs = createStagHuntSimulator('small-2p');
    const arena = hs.allocate(1);
    hs.parse(`. . . .\n. . . .\n. . . .\n. . . .`, arena, 0, { time: 4 }); // everybody done: terminal
    vec.restore(1, arena, 0);
    const before = vec.episodeIndex[1];
    vec.step(new Int32Array(4).fill(4));
    expect(vec.episodeIndex[1]).toBe(before + 1);
    expect(vec.times[1]).toBe(0);
    const W = hs.stateWords;
    const fresh = hs.allocate(1);
    vec.snapshot(1, fresh, 0);
    const done = new Uint8Array(2);
    hs.agentDone({ states: fresh, slots: Int32Array.of(0), count: 1 }, done);
    expect([...done]).toEqual([0, 0]);
    expect(vec.ended[1]).toBe(0); // nothing was played: no episode ended in this step
    expect(vec.states.subarray(W, 2 * W)).not.toEqual(arena);
  });
});

describe('StagHuntSimulator.copy (review)', () => {
  it('copies one slot within an arena and into another arena, touching nothing else', () => {
    const s = createStagHuntSimulator(tiny());
    const W = s.stateWords;
    const arena = s.allocate(3);
    s.parse(`0 . . S\n. 1 . H\n2 . . H`, arena, 0, { time: 3 });
    s.parse(`. 0 . S\n. . . H\n2 . . .`, arena, 2);
    s.copy(arena, 0, 1);
    expect(arena.subarray(W, 2 * W)).toEqual(arena.subarray(0, W));
    const other = s.allocate(2).fill(-7);
    s.copy(arena, 2, 1, other);
    expect(other.subarray(W, 2 * W)).toEqual(arena.subarray(2 * W, 3 * W));
    expect([...other.subarray(0, W)].every((v) => v === -7)).toBe(true);
  });
});

describe('VecStagHunt strict mode (review)', () => {
  it('an invalid action in a later env throws before any env of the batch has moved', () => {
    const vec = new VecStagHunt({ ...tiny(), strict: true }, { numEnvs: 3, seed: 2, observations: 'grid' });
    const P = vec.numAgents;
    const actions = new Int32Array(3 * P).fill(4);
    // env 0 and 1 move validly; env 2's player 1 hunts a stag where there is none
    for (let k = 0; k < 2; k++) {
      for (let p = 0; p < P; p++) {
        const m = vec.masks.subarray((k * P + p) * 7, (k * P + p + 1) * 7);
        actions[k * P + p] = [0, 1, 2, 3].find((a) => m[a] === 1) ?? 4;
      }
    }
    const m = vec.masks.subarray((2 * P + 1) * 7, (2 * P + 2) * 7);
    const bad = [5, 6].find((a) => m[a] === 0) as number;
    actions[2 * P + 1] = bad;
    const states = vec.states.slice();
    const obs = vec.observations.slice();
    expect(() => vec.step(actions)).toThrow(new RegExp(`player_1 chose invalid action ${bad}`));
    expect(vec.states).toEqual(states);
    expectSame(vec.observations, obs);
    actions[2 * P + 1] = 4;
    vec.step(actions);
    expect(vec.times[0]).toBe(1);
  });
});

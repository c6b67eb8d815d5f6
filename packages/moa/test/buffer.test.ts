import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { HopError, initBackend } from '@hop/core';
import { CoPlayerBuffer, MOAModel, OnlineMOA, PairRegistry, type StepRecord } from '../src/index';

beforeAll(async () => {
  await initBackend();
});

/** A step whose observation encodes (episode, co-player, time), so we can see exactly which steps entered. */
function step(ep: number, who: number, time: number, inPlay = true, action = (time + who) % 3): StepRecord {
  return { obs: [ep, who, time], mask: [1, 1, 1], time, action, inPlay };
}

/** (episode, time, label) of every stored sample. */
function stored(b: CoPlayerBuffer): [number, number, number][] {
  const s = b.samples;
  return Array.from({ length: s.size }, (_, i) => [s.obs[i * 3], s.time[i], s.label[i]]);
}

/**
 * Two co-players over two hand-built episodes:
 *  ep 1 (t = 0..5): A is in play t0-t3 and achieves goal 1 at t3 (then done);
 *                   B achieves goal 0 at t1 and goal 1 at t4, is still in play at t5.
 *  ep 2 (t = 0..2): A plays all three steps and achieves nothing;
 *                   B is out of play at t1 and achieves goal 0 at t2.
 */
function play(buffers: [CoPlayerBuffer, CoPlayerBuffer]) {
  const [a, b] = buffers;
  for (let t = 0; t <= 5; t++) {
    a.addStep(step(1, 0, t, t <= 3));
    b.addStep(step(1, 1, t));
  }
  const c1 = [a.endEpisode([{ goal: 1, step: 3 }]), b.endEpisode([{ goal: 1, step: 4 }, { goal: 0, step: 1 }])];
  for (let t = 0; t <= 2; t++) {
    a.addStep(step(2, 0, t));
    b.addStep(step(2, 1, t, t !== 1));
  }
  const c2 = [a.endEpisode([]), b.endEpisode([{ goal: 0, step: 2 }])];
  return { c1, c2 };
}

describe('CoPlayerBuffer hindsight labelling', () => {
  it('stores only in-play steps, labels each with the next achieved goal, drops what has no goal', () => {
    const bufs: [CoPlayerBuffer, CoPlayerBuffer] = [new CoPlayerBuffer(3, 3), new CoPlayerBuffer(3, 3)];
    const { c1, c2 } = play(bufs);
    expect(stored(bufs[0])).toEqual([
      [1, 0, 1],
      [1, 1, 1],
      [1, 2, 1],
      [1, 3, 1],
    ]);
    expect(stored(bufs[1])).toEqual([
      [1, 0, 0],
      [1, 1, 0], // the achieving step itself carries its goal
      [1, 2, 1],
      [1, 3, 1],
      [1, 4, 1],
      // ep 1 t5 comes after B's last achievement: dropped
      [2, 0, 0],
      // ep 2 t1: out of play, never stored
      [2, 2, 0],
    ]);
    expect(c1).toEqual([
      { stored: 4, dropped: 0 },
      { stored: 5, dropped: 1 },
    ]);
    expect(c2).toEqual([
      { stored: 0, dropped: 3 },
      { stored: 2, dropped: 0 },
    ]);
    // actions and masks are copied with the step
    const s = bufs[1].samples;
    expect(Array.from(s.action.subarray(0, s.size))).toEqual([1, 2, 0, 1, 2, 1, 0]);
    expect(Array.from(s.mask.subarray(0, 6))).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('keeps the dropped steps with the none label when the drop options are off', () => {
    const cfg = { dropAfterLastAchievement: false, dropEpisodesWithoutAchievement: false, noneGoal: 2 };
    const bufs: [CoPlayerBuffer, CoPlayerBuffer] = [new CoPlayerBuffer(3, 3, cfg), new CoPlayerBuffer(3, 3, cfg)];
    play(bufs);
    expect(stored(bufs[0]).filter(([ep]) => ep === 2)).toEqual([
      [2, 0, 2],
      [2, 1, 2],
      [2, 2, 2],
    ]);
    expect(stored(bufs[1]).filter(([ep, t]) => ep === 1 && t === 5)).toEqual([[1, 5, 2]]);
    // Only one option off: episodes without achievement still dropped, tails kept.
    const tail = new CoPlayerBuffer(3, 3, { dropAfterLastAchievement: false, noneGoal: 2 });
    tail.addStep(step(1, 0, 0));
    tail.addStep(step(1, 0, 1));
    tail.endEpisode([{ goal: 0, step: 0 }]);
    tail.addStep(step(2, 0, 0));
    tail.endEpisode([]);
    expect(stored(tail)).toEqual([
      [1, 0, 0],
      [1, 1, 2],
    ]);
  });

  it('needs a none label when it keeps unlabelled steps, and rejects bad records', () => {
    expect(() => new CoPlayerBuffer(3, 3, { dropAfterLastAchievement: false })).toThrowError(/noneGoal/);
    const b = new CoPlayerBuffer(3, 3);
    expect(() => b.addStep({ ...step(1, 0, 0), obs: [1, 2] })).toThrowError(/obs has 2 values, expected 3/);
    b.addStep(step(1, 0, 0));
    expect(() => b.endEpisode([{ goal: -1, step: 0 }])).toThrow(HopError);
    b.abortEpisode();
    expect(b.pendingSize).toBe(0);
    expect(b.size).toBe(0);
  });
});

describe('OnlineMOA', () => {
  it('trains a co-player model when its buffer is full, then clears it; others keep collecting', () => {
    // Focal agent 0 models co-players 1 and 2 through a per-pair registry.
    const generic = new MOAModel({ observationShape: [3], numActions: 3, goalDim: 2, maxTime: 10, mlpUnits: [8], hiddenUnits: 8 });
    const registry = new PairRegistry(generic, 3);
    const asked: number[] = [];
    const online = new OnlineMOA({
      numCoPlayers: 2,
      spec: generic,
      trainerFor: (m) => {
        asked.push(m);
        return registry.trainer(0, m + 1);
      },
      config: { capacity: 6, epochs: 2, minibatch: 4 },
    });
    const feed = (ep: number, events: { coPlayer: number; goal: number; step: number }[], steps: number, inPlay: (m: number, t: number) => boolean) => {
      for (let t = 0; t < steps; t++) for (let m = 0; m < 2; m++) online.addStep(m, step(ep, m, t, inPlay(m, t)));
      return online.endEpisode(events);
    };
    const r1 = feed(1, [{ coPlayer: 0, goal: 1, step: 3 }, { coPlayer: 1, goal: 0, step: 1 }, { coPlayer: 1, goal: 1, step: 4 }], 6, (m, t) => m === 1 || t <= 3);
    expect(r1).toEqual([]);
    expect(online.buffers.map((b) => b.size)).toEqual([4, 5]);
    const r2 = feed(2, [{ coPlayer: 1, goal: 0, step: 2 }], 3, (m, t) => m === 0 || t !== 1);
    expect(asked).toEqual([1]);
    expect(r2).toHaveLength(1);
    expect(r2[0]).toMatchObject({ coPlayer: 1, round: 0, samples: 7, labelCounts: { 0: 4, 1: 3 } });
    expect(r2[0].epochs.map((e) => e.steps)).toEqual([2, 2]);
    expect(online.buffers.map((b) => b.size)).toEqual([4, 0]);
    // Only the trained pair got its own weights.
    expect(registry.isShared(0, 2)).toBe(false);
    expect(registry.isShared(0, 1)).toBe(true);
    registry.dispose();
    generic.dispose();
  });
});

describe('CoPlayerBuffer guards (review)', () => {
  it('pairs each action with the observation, mask and time it was taken at, and copies them', () => {
    // Each step's obs encodes its time, the mask forbids a different action each step, and the action is
    // a function of the obs: a one-step shift between obs and action would break every row below.
    const b = new CoPlayerBuffer(2, 4);
    const obs = new Float32Array(2); // reused by the caller between steps, as environments do
    const mask = new Uint8Array(4);
    for (let t = 0; t < 4; t++) {
      obs[0] = 10 + t;
      obs[1] = 5 - t;
      mask.fill(1);
      mask[(t + 1) % 4] = 0;
      b.addStep({ obs, mask, time: t, action: t % 4, inPlay: true });
    }
    obs.fill(99);
    mask.fill(0);
    b.endEpisode([{ goal: 1, step: 3 }]);
    const s = b.samples;
    expect(Array.from(s.obs.subarray(0, 8))).toEqual([10, 5, 11, 4, 12, 3, 13, 2]);
    expect(Array.from(s.time.subarray(0, 4))).toEqual([0, 1, 2, 3]);
    expect(Array.from(s.action.subarray(0, 4))).toEqual([0, 1, 2, 3]);
    expect(Array.from(s.mask.subarray(0, 16))).toEqual([1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1]);
    const d = b.dataset(2);
    expect(Array.from(d.goal!)).toEqual([0, 1, 0, 1, 0, 1, 0, 1]);
    // a custom goal vector sees each step's own stored observation (target-named goals read it)
    const named = b.dataset(2, (g, out, o) => {
      out[0] = g;
      out[1] = o[0] * 10 + o[1];
    });
    expect(Array.from(named.goal!)).toEqual([1, 105, 1, 114, 1, 123, 1, 132]);
  });

  it('rejects a step whose action is not a valid action under its own mask (e.g. -1 or a shifted action)', () => {
    const b = new CoPlayerBuffer(1, 3);
    expect(() => b.addStep({ obs: [0], mask: [1, 1, 1], time: 0, action: -1, inPlay: true })).toThrowError(/action -1/);
    expect(() => b.addStep({ obs: [0], mask: [1, 1, 1], time: 0, action: 3, inPlay: true })).toThrowError(/action 3/);
    expect(() => b.addStep({ obs: [0], mask: [1, 1, 1], time: 0, action: 1.5, inPlay: true })).toThrow(HopError);
    expect(() => b.addStep({ obs: [0], mask: [1, 0, 1], time: 0, action: 1, inPlay: true })).toThrowError(/masked out/);
    expect(() => b.addStep({ obs: [0], mask: [0, 0, 0], time: 0, action: 0, inPlay: true })).toThrow(HopError);
    // out of play: not data, not checked
    expect(b.addStep({ obs: [0], mask: [0, 0, 0], time: 0, action: -1, inPlay: false })).toBe(false);
    expect(b.pendingSize).toBe(0);
  });

  it('rejects steps whose time does not increase within an episode (a missing endEpisode, or two co-players in one buffer)', () => {
    const b = new CoPlayerBuffer(1, 2);
    b.addStep({ obs: [0], mask: [1, 1], time: 0, action: 0, inPlay: true });
    b.addStep({ obs: [0], mask: [1, 1], time: 1, action: 0, inPlay: true });
    expect(() => b.addStep({ obs: [0], mask: [1, 1], time: 1, action: 0, inPlay: true })).toThrowError(/endEpisode/);
    expect(() => b.addStep({ obs: [0], mask: [1, 1], time: 0, action: 0, inPlay: true })).toThrowError(/endEpisode/);
    expect(() => b.addStep({ obs: [0], mask: [1, 1], time: Number.NaN, action: 0, inPlay: true })).toThrow(HopError);
    b.endEpisode([{ goal: 0, step: 1 }]);
    // a new episode starts again at 0
    expect(b.addStep({ obs: [0], mask: [1, 1], time: 0, action: 1, inPlay: true })).toBe(true);
  });

  it('with numGoals, rejects achievement goals and a noneGoal outside [0, numGoals)', () => {
    const b = new CoPlayerBuffer(1, 2, {}, 2);
    b.addStep({ obs: [0], mask: [1, 1], time: 0, action: 0, inPlay: true });
    expect(() => b.endEpisode([{ goal: 2, step: 0 }])).toThrowError(/goal 2/);
    expect(() => b.endEpisode([{ goal: 0, step: Number.NaN }])).toThrow(HopError);
    expect(b.pendingSize).toBe(1); // nothing consumed by a rejected call
    expect(() => new CoPlayerBuffer(1, 2, { dropEpisodesWithoutAchievement: false, noneGoal: 2 }, 2)).toThrowError(/noneGoal/);
  });
});

describe('OnlineMOA guards (review)', () => {
  const small = { observationShape: [3], numActions: 3, goalDim: 2, maxTime: 10, mlpUnits: [8], hiddenUnits: 8 };

  it('rejects achievements of unknown co-players and out-of-range goals without committing anything', () => {
    const generic = new MOAModel(small);
    const registry = new PairRegistry(generic, 3);
    const online = new OnlineMOA({ numCoPlayers: 2, spec: generic, trainerFor: (m) => registry.trainer(0, m + 1) });
    online.addStep(0, step(1, 0, 0));
    online.addStep(1, step(1, 1, 0));
    expect(() => online.endEpisode([{ coPlayer: 0, goal: 0, step: 0 }, { coPlayer: 2, goal: 0, step: 0 }])).toThrowError(
      /co-player 2/,
    );
    expect(() => online.endEpisode([{ coPlayer: 0, goal: 0, step: 0 }, { coPlayer: 1, goal: 2, step: 0 }])).toThrowError(/goal 2/);
    expect(online.buffers.map((b) => [b.size, b.pendingSize])).toEqual([
      [0, 1],
      [0, 1],
    ]);
    online.endEpisode([{ coPlayer: 0, goal: 0, step: 0 }, { coPlayer: 1, goal: 1, step: 0 }]);
    expect(online.buffers.map((b) => b.size)).toEqual([1, 1]);
    expect(() => new OnlineMOA({ numCoPlayers: 2, spec: generic, trainerFor: (m) => registry.trainer(0, m + 1), config: { dropAfterLastAchievement: false, noneGoal: 5 } })).toThrowError(/noneGoal/);
    registry.dispose();
    generic.dispose();
  });

  it('asks for each trainer once (Adam state carries over rounds) and refuses one model for two co-players', () => {
    const generic = new MOAModel(small);
    const registry = new PairRegistry(generic, 3);
    let asked = 0;
    const fresh = new OnlineMOA({
      numCoPlayers: 1,
      spec: generic,
      // A factory that builds a new trainer per call would reset Adam every round.
      trainerFor: () => {
        asked++;
        return registry.trainer(0, 1);
      },
      config: { capacity: 2, epochs: 1, minibatch: 2 },
    });
    for (let round = 0; round < 3; round++) {
      fresh.addStep(0, step(round, 0, 0));
      fresh.addStep(0, step(round, 0, 1));
      expect(fresh.endEpisode([{ coPlayer: 0, goal: 1, step: 1 }])).toHaveLength(1);
    }
    expect(asked).toBe(1);
    expect(registry.trainer(0, 1).optimizer.iterations).toBe(3);
    // Later rounds allocate nothing that stays (Adam's moments exist since round 0).
    const before = tf.memory().numTensors;
    for (let round = 3; round < 6; round++) {
      fresh.addStep(0, step(round, 0, 0));
      fresh.addStep(0, step(round, 0, 1));
      fresh.endEpisode([{ coPlayer: 0, goal: 0, step: 1 }]);
    }
    expect(tf.memory().numTensors).toBe(before);

    const mixed = new OnlineMOA({ numCoPlayers: 2, spec: generic, trainerFor: () => registry.trainer(0, 1), config: { capacity: 1, epochs: 1, minibatch: 1 } });
    mixed.addStep(0, step(1, 0, 0));
    mixed.addStep(1, step(1, 1, 0));
    expect(() => mixed.endEpisode([{ coPlayer: 0, goal: 0, step: 0 }, { coPlayer: 1, goal: 0, step: 0 }])).toThrowError(
      /co-players 0 and 1/,
    );
    registry.dispose();
    generic.dispose();
  });

  it('trains exactly the hindsight-labelled samples of that co-player, at >= capacity, then clears', () => {
    const generic = new MOAModel(small);
    const registry = new PairRegistry(generic, 3);
    const seen: { coPlayer: number; obs: number[]; time: number[]; action: number[]; goal: number[] }[] = [];
    const online = OnlineMOA.forFocal(registry, 1, { capacity: 3, epochs: 2, minibatch: 2 });
    // co-player m of focal 1 is agent m < 1 ? m : m + 1
    const spyOn = (m: number, agent: number) => {
      const t = registry.trainer(1, agent);
      const fit = t.fit.bind(t);
      t.fit = (d, o) => {
        seen.push({ coPlayer: m, obs: Array.from(d.obs), time: Array.from(d.time), action: Array.from(d.action), goal: Array.from(d.goal!) });
        expect(o.epochs).toBe(2);
        expect(o.minibatch).toBe(2);
        return fit(d, o);
      };
    };
    spyOn(0, 0);
    spyOn(1, 2);
    // ep 1: co-player 0 plays t0..t2 and achieves goal 0 at t1 (t2 dropped); co-player 1 achieves nothing.
    for (let t = 0; t < 3; t++) for (let m = 0; m < 2; m++) online.addStep(m, step(1, m, t));
    expect(online.endEpisode([{ coPlayer: 0, goal: 0, step: 1 }])).toEqual([]);
    expect(online.buffers.map((b) => b.size)).toEqual([2, 0]);
    // ep 2: co-player 0 achieves goal 1 at t0 -> 3 samples (= capacity): trains; co-player 1 achieves 1 at t1.
    for (let t = 0; t < 2; t++) for (let m = 0; m < 2; m++) online.addStep(m, step(2, m, t));
    const r = online.endEpisode([{ coPlayer: 0, goal: 1, step: 0 }, { coPlayer: 1, goal: 1, step: 1 }]);
    expect(r.map((x) => [x.coPlayer, x.samples])).toEqual([[0, 3]]);
    expect(seen).toEqual([
      {
        coPlayer: 0,
        obs: [1, 0, 0, 1, 0, 1, 2, 0, 0],
        time: [0, 1, 0],
        action: [0, 1, 0], // (time + who) % 3
        goal: [1, 0, 1, 0, 0, 1],
      },
    ]);
    expect(online.buffers.map((b) => b.size)).toEqual([0, 2]);
    expect(registry.isShared(1, 0)).toBe(false);
    expect(registry.isShared(1, 2)).toBe(false); // spied on above
    expect(registry.isShared(0, 1)).toBe(true);
    registry.dispose();
    generic.dispose();
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
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

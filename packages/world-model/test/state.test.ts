import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '@hop/core';
import { channelNamesOf, defaultChannelWeights, dynamicChannels, parseGridLayout, stagHuntLayout } from '../src/layout';
import { StateCodec } from '../src/sim/state';
import { TinyWorld, tinyLayout } from './helpers/tiny-world';

describe('GridLayout', () => {
  it('describes the stag hunt: channels [players, obstacle, stag, hare], weights [2,2,2,2,1,1,1]', () => {
    const l = stagHuntLayout({ height: 8, width: 8, players: 4 });
    expect(l.channels).toBe(7);
    expect(l.staticChannels).toEqual([4]);
    expect(l.preyChannels).toEqual([5, 6]);
    expect(defaultChannelWeights(l)).toEqual([2, 2, 2, 2, 1, 1, 1]);
    expect(dynamicChannels(l)).toEqual([0, 1, 2, 3, 5, 6]);
    expect(channelNamesOf(l)).toEqual(['self', 'player+1', 'player+2', 'player+3', 'obstacle', 'stag', 'hare']);
    expect(channelNamesOf({ ...tinyLayout(), channelNames: undefined })).toEqual(['self', 'player+1', 'static 0', 'prey 0']);
  });

  it('rejects inconsistent layouts, naming the problem', () => {
    const l = stagHuntLayout({ height: 4, width: 4, players: 2 });
    expect(() => parseGridLayout({ ...l, playerChannels: [0] })).toThrow(/playerChannels has 1 entries for 2 players/);
    expect(() => parseGridLayout({ ...l, huntActions: [5] })).toThrow(/huntActions \(1\) must pair with preyChannels \(2\)/);
    expect(() => parseGridLayout({ ...l, staticChannels: [1] })).toThrow(/listed twice/);
    expect(() => parseGridLayout({ ...l, preyChannels: [3, 9] })).toThrow(/>= channels/);
    expect(() => parseGridLayout({ ...l, moves: [{ action: 0, dr: -1, dc: -1 }] })).toThrow(/single steps/);
    expect(() => parseGridLayout({ ...l, stayAction: 5 })).toThrow(/listed twice/);
  });
});

describe('StateCodec', () => {
  const layout = stagHuntLayout({ height: 5, width: 7, players: 3 });
  const codec = new StateCodec(layout, 30);

  /** A random valid state (players may be done, prey and obstacles on any cells but disjoint). */
  const arbState = fc.record({
    seed: fc.integer(),
    time: fc.integer({ min: 0, max: 29 }),
  });
  function randomState(seed: number, time: number): Int32Array {
    const rng = new Rng(seed);
    const st = new Int32Array(codec.stateWords);
    st[codec.T] = time;
    const order = rng.permutation(codec.cells);
    for (let p = 0; p < 3; p++) st[codec.POS + p] = rng.next() < 0.2 ? -1 : rng.int(codec.cells);
    let i = 0;
    for (let n = rng.int(6); n > 0; n--) codec.setBit(st, 0, codec.staticOff[0], order[i++]);
    for (let k = 0; k < 2; k++) for (let n = rng.int(4); n > 0; n--) codec.setBit(st, 0, codec.preyOff[k], order[i++]);
    return st;
  }

  it('encode(render(s, observer), observer) == s for every observer', () => {
    fc.assert(
      fc.property(arbState, ({ seed, time }) => {
        const st = randomState(seed, time);
        const grid = new Float32Array(codec.cells * layout.channels);
        for (let o = 0; o < 3; o++) {
          codec.render(st, 0, o, grid, 0);
          const back = new Int32Array(codec.stateWords);
          codec.encode(grid, 0, o, time, back, 0);
          expect(back).toEqual(st);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('renders the observer first and the rest in rotation', () => {
    const st = new Int32Array(codec.stateWords);
    st[codec.POS + 0] = 0;
    st[codec.POS + 1] = 8; // row 1, col 1
    st[codec.POS + 2] = -1;
    const grid = new Float32Array(codec.cells * 6);
    codec.render(st, 0, 1, grid, 0);
    expect(grid[8 * 6 + 0]).toBe(1); // observer (player 1) in channel 0
    expect(grid[0 * 6 + 2]).toBe(1); // player 0 is observer + 2
    expect(grid.reduce((a, b) => a + b, 0)).toBe(2); // player 2 is done: nothing drawn
  });

  it('gives hand-worked legal actions: border, obstacle, prey underfoot, done players', () => {
    const st = new Int32Array(codec.stateWords);
    st[codec.POS + 0] = 0; // top-left corner
    st[codec.POS + 1] = 8; // (1, 1)
    st[codec.POS + 2] = -1;
    codec.setBit(st, 0, codec.staticOff[0], 9); // obstacle right of player 1
    codec.setBit(st, 0, codec.preyOff[1], 8); // a hare under player 1
    const out = new Uint8Array(21);
    for (let p = 0; p < 3; p++) codec.writeLegal(st, 0, p, out, p * 7);
    expect(Array.from(out.subarray(0, 7))).toEqual([0, 1, 0, 1, 1, 0, 0]);
    expect(Array.from(out.subarray(7, 14))).toEqual([1, 1, 1, 0, 1, 0, 1]);
    expect(Array.from(out.subarray(14, 21))).toEqual([0, 0, 0, 0, 1, 0, 0]);
    // at the time limit nobody acts
    st[codec.T] = 30;
    codec.writeLegal(st, 0, 1, out, 0);
    expect(Array.from(out.subarray(0, 7))).toEqual([0, 0, 0, 0, 1, 0, 0]);
    expect(codec.isTerminal(st, 0)).toBe(true);
  });

  it('hashes equal records equally and differing ones (almost always) differently', () => {
    fc.assert(
      fc.property(arbState, arbState, (a, b) => {
        const s = randomState(a.seed, a.time);
        const t = randomState(b.seed, b.time);
        const same = s.join() === t.join();
        expect(codec.hash(s, 0) === codec.hash(t, 0)).toBe(same);
        expect(codec.hash(s.slice(), 0)).toBe(codec.hash(s, 0));
      }),
      { numRuns: 100 },
    );
  });

  it('matches the reference world on terminal rules', () => {
    const world = new TinyWorld(tinyLayout(), { minHunters: [1], reward: [1], finalTime: 4 });
    const st = new Int32Array(world.stateWords);
    st[world.codec.POS] = -1;
    st[world.codec.POS + 1] = -1;
    expect(world.codec.isTerminal(st, 0)).toBe(true); // everybody left
    st[world.codec.POS] = 3;
    expect(world.codec.isTerminal(st, 0)).toBe(false);
    st[world.codec.T] = 2;
    st[world.codec.END] = 3;
    expect(world.codec.isTerminal(st, 0)).toBe(false); // the rules' end time is not reached yet
    st[world.codec.T] = 3;
    expect(world.codec.isTerminal(st, 0)).toBe(true); // now it is
    st[world.codec.END] = 0;
    expect(world.codec.isTerminal(st, 0)).toBe(false); // 0 = no end time set
    st[world.codec.T] = 4;
    expect(world.codec.isTerminal(st, 0)).toBe(true); // the time limit
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, createGameSimulator, type GameDefinition, type GameState } from '@hop/core';
import { resolveConfig, type PresetName, type StagHuntConfigInput } from '../src/config';
import { generateEpisode, makeGenScratch } from '../src/core/generate';
import { makeGeometry, type Geometry } from '../src/core/geometry';
import { writeGrid } from '../src/core/observe';
import { VecStagHunt } from '../src/env/vec';
import { createStagHuntSimulator } from '../src/sim/simulator';
import { refStep, refValid, type RefConfig, type RefState } from './reference';

/**
 * The Stag Hunt written as a plain `GameDefinition` over the test oracle (`reference.ts`, which shares no
 * code with src/core), laid out so that its state records are word for word the simulator's:
 * `[time, end, first, pos[P], stag[S], hare[H], obstacle bits]`. The equivalence below then holds the
 * helper-built simulator (@hop/core's createGameSimulator) to the hand-written StagHuntSimulator.
 */
function stagHuntGame(input: StagHuntConfigInput | PresetName) {
  const config = resolveConfig(input);
  const g = makeGeometry(config);
  const layout = { end: 1, first: 1, pos: g.players, stag: g.stags, hare: g.hares, obst: g.obstacleWords };
  type S = GameState<typeof layout>;
  const record = (s: S) => Int32Array.of(s.time, s.end[0], s.first[0], ...s.pos, ...s.stag, ...s.hare, ...s.obst);
  const toRef = (s: S): RefState => {
    const obstacles = new Set<number>();
    for (let c = 0; c < g.cells; c++) if ((s.obst[c >> 5] >>> (c & 31)) & 1) obstacles.add(c);
    return {
      t: s.time,
      end: s.end[0],
      first: s.first[0],
      pos: Array.from(s.pos, (c) => (c >= 0 ? c : null)),
      stags: Array.from(s.stag).filter((c) => c >= 0),
      hares: Array.from(s.hare).filter((c) => c >= 0),
      obstacles,
    };
  };
  const rc = config as unknown as RefConfig;
  const def: GameDefinition<typeof layout> = {
    numAgents: g.players,
    numActions: 7,
    state: layout,
    observationShape: [g.height, g.width, g.channels],
    maxSteps: config.finalTime,
    noopAction: 4,
    reset(s, rng) {
      const rec = new Int32Array(g.stateWords);
      generateEpisode(g, rng, rec, 0, makeGenScratch(g));
      s.end[0] = rec[g.END];
      s.first[0] = rec[g.FIRST];
      s.pos.set(rec.subarray(g.POS, g.STAG));
      s.stag.set(rec.subarray(g.STAG, g.HARE));
      s.hare.set(rec.subarray(g.HARE, g.OBST));
      s.obst.set(rec.subarray(g.OBST));
    },
    step(s, actions, rewards) {
      const ref = toRef(s);
      const r = refStep(rc, ref, Array.from(actions, (a) => (a < 0 ? 4 : a)));
      r.rewards.forEach((x, p) => (rewards[p] = x));
      s.end[0] = ref.end;
      s.first[0] = ref.first;
      ref.pos.forEach((c, p) => (s.pos[p] = c ?? -1));
      for (let k = 0; k < g.stags; k++) if (!ref.stags.includes(s.stag[k])) s.stag[k] = -1;
      for (let k = 0; k < g.hares; k++) if (!ref.hares.includes(s.hare[k])) s.hare[k] = -1;
    },
    legalActions(s, p, mask) {
      const ref = toRef(s);
      for (let a = 0; a < 7; a++) mask[a] = refValid(rc, ref, p, a) ? 1 : 0;
    },
    observe(s, p, out) {
      writeGrid(g, record(s), 0, p, out, 0);
    },
    agentDone: (s, p) => s.pos[p] < 0,
    terminal: (s) => s.time >= s.end[0],
    goals: {
      count: 2,
      available(s, out) {
        out[0] = s.stag.some((c) => c >= 0) ? 1 : 0;
        out[1] = s.hare.some((c) => c >= 0) ? 1 : 0;
      },
    },
  };
  return { def, g };
}

function compareViews(g: Geometry, a: ReturnType<typeof createStagHuntSimulator>, b: ReturnType<typeof createGameSimulator>, states: Int32Array, slots: Int32Array) {
  const n = slots.length;
  const P = g.players;
  const view = { states, slots, count: n };
  const pair = <T extends Uint8Array | Float32Array>(make: (k: number) => T, size: number, fn: 'legalActions' | 'agentDone' | 'terminal' | 'goalsAvailable' | 'observe' | 'time') => {
    const x = make(size);
    const y = make(size);
    (a[fn] as (v: typeof view, o: T) => void).call(a, view, x);
    (b[fn] as (v: typeof view, o: T) => void).call(b, view, y);
    expect(Array.from(y), fn).toEqual(Array.from(x));
  };
  pair((k) => new Uint8Array(k), n * P * 7, 'legalActions');
  pair((k) => new Uint8Array(k), n * P, 'agentDone');
  pair((k) => new Uint8Array(k), n, 'terminal');
  pair((k) => new Uint8Array(k), n * 2, 'goalsAvailable');
  pair((k) => new Float32Array(k), n * P * g.gridSize, 'observe');
  pair((k) => new Float32Array(k), n, 'time');
}

describe('the Stag Hunt as a plain GameDefinition (createGameSimulator) equals StagHuntSimulator', () => {
  const configs: (StagHuntConfigInput | PresetName)[] = [
    'hop-msh',
    'small-2p',
    resolveConfig('msh-1stag', { dynamicFinalTime: true, finalTimeAfterFirstHunt: 2, prosocial: true }),
    { players: 3, height: 4, width: 5, stags: 2, hares: 2, obstacles: 2, finalTime: 9, stagMinHunters: 2, timeReward: -0.1 },
  ];

  it('word for word after every step, with equal masks, done flags, goals and observations (fast-check)', () => {
    const seen = { steps: 0, catches: 0, terminal: 0, doneAgents: 0 };
    for (const input of configs) {
      const { def, g } = stagHuntGame(input);
      const ours = createGameSimulator(def);
      const theirs = createStagHuntSimulator(input);
      expect(ours.stateWords).toBe(theirs.stateWords);
      const P = g.players;
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 12 }), (seed, warmup) => {
          // a start reached by play: uniform valid actions for `warmup` steps of a real env
          const vec = new VecStagHunt(input, { numEnvs: 1, seed, observations: 'none', autoReset: false });
          const rng = new Rng(seed + 1);
          const act = new Int32Array(P);
          const pickValid = (mask: Uint8Array, off: number, p: number, hunt: number) => {
            if (mask[off + p * 7 + 5] && hunt < 0.7) return 5; // favour hunts so catches happen
            if (mask[off + p * 7 + 6] && hunt < 0.8) return 6;
            const w = Float64Array.from(mask.subarray(off + p * 7, off + p * 7 + 7));
            return rng.categorical(w);
          };
          for (let t = 0; t < warmup && !vec.ended[0]; t++) {
            for (let p = 0; p < P; p++) act[p] = pickValid(vec.masks, 0, p, rng.next());
            vec.step(act);
          }
          const a = theirs.allocate(2);
          vec.snapshot(0, a, 0);
          const b = a.slice();
          const rewardsA = new Float32Array(P);
          const rewardsB = new Float32Array(P);
          const termA = new Uint8Array(1);
          const termB = new Uint8Array(1);
          const mask = new Uint8Array(P * 7);
          for (let step = 0; step < 6; step++) {
            theirs.terminal({ states: a, slots: Int32Array.of(0), count: 1 }, termA);
            if (termA[0]) break;
            theirs.legalActions({ states: a, slots: Int32Array.of(0), count: 1 }, mask);
            // mostly valid actions, now and then an invalid one (both engines treat it as stay)
            for (let p = 0; p < P; p++) act[p] = rng.next() < 0.1 ? rng.int(7) : pickValid(mask, 0, p, rng.next());
            const batch = (states: Int32Array, rewards: Float32Array, terminal: Uint8Array) => ({ states, from: Int32Array.of(0), to: Int32Array.of(1), actions: act, count: 1, rewards, terminal });
            theirs.step(batch(a, rewardsA, termA));
            ours.step(batch(b, rewardsB, termB));
            expect(Array.from(b.subarray(g.stateWords))).toEqual(Array.from(a.subarray(g.stateWords)));
            for (let p = 0; p < P; p++) expect(rewardsB[p]).toBeCloseTo(rewardsA[p], 5);
            expect(termB[0]).toBe(termA[0]);
            compareViews(g, theirs, ours, a, Int32Array.of(1));
            compareViews(g, theirs, ours, b, Int32Array.of(1));
            seen.steps++;
            if (rewardsA.some((r) => r >= 1)) seen.catches++;
            seen.terminal += termA[0];
            for (let p = 0; p < P; p++) seen.doneAgents += a[g.stateWords + g.POS + p] < 0 ? 1 : 0;
            a.copyWithin(0, g.stateWords);
            b.copyWithin(0, g.stateWords);
          }
        }),
        { numRuns: 60 },
      );
    }
    console.log(`stag hunt via createGameSimulator vs StagHuntSimulator: ${JSON.stringify(seen)}`);
    expect(seen.steps).toBeGreaterThan(600); // ~1,060 expected; catches ~4% of steps (~42, SD ~6.5)
    expect(seen.catches).toBeGreaterThan(20);
    expect(seen.terminal).toBeGreaterThan(10);
    expect(seen.doneAgents).toBeGreaterThan(50);
  });
});

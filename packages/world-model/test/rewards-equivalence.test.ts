import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, initBackend } from '@hop/core';
import { StagHuntSimulator, stagHuntRewards, type StagHuntConfigInput, type StagHuntState } from '@hop/env-staghunt';
import { stagHuntLayout } from '../src/layout';
import { WorldModel, type ModelInputs, type Prediction } from '../src/model/world-model';
import type { WorldModelPredictor } from '../src/inference/engine';
import { WorldModelSimulator } from '../src/sim/adapter';

/**
 * The planning adapter, handed the environment's own reward rule (`stagHuntRewards`), is the environment
 * when its network is right. An oracle stands in for the network: for each view it returns the true next
 * grid and the true hunt outcome, so everything the adapter adds (decoding, groups by cell, the handed
 * rule, the end after the first catch) must reproduce `@hop/env-staghunt` exactly: rewards, terminal flags,
 * positions and prey, step after step, on random positions, strengths, prosocial play and hunt thresholds.
 * Mutations caught: grouping hunters by player instead of cell (strength splits differ), passing done players
 * as acting (time reward paid to them), dropping the end after the first catch.
 */
const H = 4;
const W = 4;
const FINAL = 6;

beforeAll(async () => {
  await initBackend({ force: 'cpu' });
});

/** Returns the true next views and hunt outcomes of the transition it is primed with. */
class Oracle implements WorldModelPredictor {
  private views: Float32Array = new Float32Array(0);
  private rows: number[] = [];
  private outcome: number[] = [];
  constructor(private readonly G: number) {}

  /** `src` / `next`: the true states; `views`: every player's grid of `next` (player order). */
  prime(src: Required<StagHuntState>, next: Required<StagHuntState>, views: Float32Array): void {
    this.views = views;
    this.rows = [];
    this.outcome = [];
    src.players.forEach((cell, p) => {
      if (!cell) return;
      this.rows.push(p);
      const key = (c: readonly number[]) => `${c[0]},${c[1]}`;
      const gone = (list: readonly (readonly number[])[], after: readonly (readonly number[])[]) =>
        list.some((c) => key(c) === key(cell)) && !after.some((c) => key(c) === key(cell));
      // caught: in play before, done after, and the prey of its cell gone (prey stand on distinct cells)
      const caught = next.players[p] === null ? (gone(src.stags, next.stags) ? 0 : gone(src.hares, next.hares) ? 1 : -1) : -1;
      this.outcome.push(caught);
    });
  }

  async predict(b: ModelInputs): Promise<Prediction> {
    expect(b.size).toBe(this.rows.length);
    const next = new Float32Array(b.size * this.G);
    const outcome = new Float32Array(b.size * 3);
    this.rows.forEach((p, r) => {
      next.set(this.views.subarray(p * this.G, (p + 1) * this.G), r * this.G);
      outcome[r * 3 + this.outcome[r] + 1] = 1;
    });
    return { next, outcome };
  }
}

const models = new Map<string, WorldModel>();
/** One (never trained) model per layout: only its layout and finalTime matter, the oracle predicts. */
function modelFor(players: number, endAfter: number | null): WorldModel {
  const key = `${players}/${endAfter}`;
  let m = models.get(key);
  if (!m) {
    const rules = endAfter === null ? {} : { dynamicFinalTime: true, finalTimeAfterFirstHunt: endAfter };
    m = new WorldModel({ layout: stagHuntLayout({ height: H, width: W, players, rules }), finalTime: FINAL, direct: { layers: [{ filters: 2, kernel: 3 }] }, headUnits: 2 });
    models.set(key, m);
  }
  return m;
}
afterAll(() => {
  for (const m of models.values()) m.dispose();
});

const cellOf = (i: number): [number, number] => [Math.floor(i / W), i % W];

const caseArb = fc
  .record({
    players: fc.integer({ min: 2, max: 5 }),
    stags: fc.integer({ min: 1, max: 2 }),
    hares: fc.integer({ min: 1, max: 2 }),
    strong: fc.boolean(),
    prosocial: fc.boolean(),
    timeReward: fc.constantFrom(0, -0.25, -0.1),
    stagReward: fc.constantFrom(10, 7.5),
    hareReward: fc.constantFrom(1, 3),
    minHunters: fc.integer({ min: 1, max: 3 }),
    endAfter: fc.constantFrom(null, 1, 2),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map((c) => ({ ...c, minHunters: Math.min(c.minHunters, c.players) }));

describe('WorldModelSimulator with the environment\'s reward rule equals @hop/env-staghunt', () => {
  it('on random positions and actions: rewards, ends, positions and prey, step by step', async () => {
    const seen = { steps: 0, stagCatches: 0, groupStags: 0, strengthSplits: 0, failedStagHunts: 0, hareCatches: 0, sharedHares: 0, prosocialCatches: 0, dynamicEnds: 0, timeEnds: 0, donePlayers: 0 };
    await fc.assert(
      fc.asyncProperty(caseArb, async (k) => {
        const rng = new Rng(k.seed);
        const P = k.players;
        const config: StagHuntConfigInput = {
          players: P, height: H, width: W, stags: k.stags, hares: k.hares, obstacles: 0, finalTime: FINAL,
          stagReward: k.stagReward, hareReward: k.hareReward, timeReward: k.timeReward, prosocial: k.prosocial,
          stagMinHunters: k.minHunters, playerStrength: k.strong ? Array.from({ length: P }, () => 1 + rng.int(4)) : null,
          dynamicFinalTime: k.endAfter !== null, finalTimeAfterFirstHunt: k.endAfter ?? 5,
        };
        const env = new StagHuntSimulator(config);
        const G = env.observationSize;
        // prey on distinct cells; players mostly on prey (to hunt, alone or in groups), some elsewhere, some done
        const cells = rng.permutation(H * W);
        const stags = Array.from(cells.subarray(0, k.stags), cellOf);
        const hares = Array.from(cells.subarray(k.stags, k.stags + k.hares), cellOf);
        const prey = [...stags, ...hares];
        const players = Array.from({ length: P }, (): [number, number] | null => {
          const u = rng.next();
          return u < 0.1 ? null : u < 0.75 ? prey[rng.int(prey.length)] : cellOf(rng.int(H * W));
        });
        if (!players.some((p) => p !== null)) players[0] = prey[0];
        const truth = env.allocate(2);
        env.writeState(truth, 0, { players, stags, hares });
        const oracle = new Oracle(G);
        const sim = new WorldModelSimulator(modelFor(P, k.endAfter), { rewards: stagHuntRewards(config), predictor: oracle });
        const mine = sim.allocate(2);
        const views = new Float32Array(P * G);
        env.observe({ states: truth, slots: Int32Array.of(0), count: 1 }, views);
        sim.encodeObservation(views, 0, 0, mine, 0);
        const mask = new Uint8Array(P * 7);
        const c = sim.codec;
        const S = sim.stateWords;
        for (let t = 0; t < FINAL; t++) {
          const src = env.readState(truth, 0);
          env.legalActions({ states: truth, slots: Int32Array.of(0), count: 1 }, mask);
          const actions = new Int32Array(P);
          for (let p = 0; p < P; p++) {
            const legal = [0, 1, 2, 3, 4, 5, 6].filter((a) => mask[p * 7 + a]);
            const hunts = legal.filter((a) => a >= 5);
            actions[p] = hunts.length && rng.next() < 0.7 ? hunts[0] : legal[rng.int(legal.length)];
          }
          const want = { rewards: new Float32Array(P), terminal: new Uint8Array(1) };
          const got = { rewards: new Float32Array(P), terminal: new Uint8Array(1) };
          env.step({ states: truth, from: Int32Array.of(0), to: Int32Array.of(1), actions, count: 1, ...want });
          const next = env.readState(truth, 1);
          env.observe({ states: truth, slots: Int32Array.of(1), count: 1 }, views);
          oracle.prime(src, next, views);
          await sim.step({ states: mine, from: Int32Array.of(0), to: Int32Array.of(1), actions, count: 1, ...got });
          expect(got.rewards).toEqual(want.rewards);
          expect(got.terminal[0]).toBe(want.terminal[0]);
          const pos = Array.from(mine.subarray(S + c.POS, S + c.POS + P));
          expect(pos).toEqual(next.players.map((cell) => (cell ? cell[0] * W + cell[1] : -1)));
          for (const [kind, list] of [[0, next.stags], [1, next.hares]] as const)
            expect(c.preyLeft(mine, S, kind)).toBe(list.length > 0 ? 1 : 0);
          // what the step covered
          seen.steps++;
          const hunters = (a: number) => src.players.filter((cell, p) => cell && actions[p] === a && next.players[p] === null).length;
          const stagGroup = hunters(5);
          if (stagGroup > 0) seen.stagCatches++;
          if (stagGroup > 1) seen.groupStags++;
          if (stagGroup > 1 && k.strong) seen.strengthSplits++;
          if (src.players.some((cell, p) => cell && actions[p] === 5 && next.players[p] !== null)) seen.failedStagHunts++;
          const hareGroup = hunters(6);
          if (hareGroup > 0) seen.hareCatches++;
          if (hareGroup > 1) seen.sharedHares++;
          if (k.prosocial && stagGroup + hareGroup > 0) seen.prosocialCatches++;
          if (src.players.some((cell) => cell === null)) seen.donePlayers++;
          if (want.terminal[0]) {
            if (next.endTime < FINAL && next.time === next.endTime) seen.dynamicEnds++;
            else if (next.time === FINAL) seen.timeEnds++;
            break;
          }
          truth.copyWithin(0, env.stateWords, 2 * env.stateWords);
          mine.copyWithin(0, S, 2 * S);
        }
      }),
      { numRuns: 150, seed: 2525 },
    );
    console.info(`adapter vs env-staghunt: ${JSON.stringify(seen)}`);
    expect(seen.stagCatches).toBeGreaterThan(30);
    expect(seen.groupStags).toBeGreaterThan(10);
    expect(seen.strengthSplits).toBeGreaterThan(5);
    expect(seen.failedStagHunts).toBeGreaterThan(5);
    expect(seen.hareCatches).toBeGreaterThan(30);
    expect(seen.sharedHares).toBeGreaterThan(5);
    expect(seen.prosocialCatches).toBeGreaterThan(10);
    expect(seen.dynamicEnds).toBeGreaterThan(5);
    expect(seen.timeEnds).toBeGreaterThan(0);
    expect(seen.donePlayers).toBeGreaterThan(20);
  }, 120_000);
});

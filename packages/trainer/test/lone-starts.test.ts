import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@hop/core';
import { Goal, VecStagHunt, createStagHuntSimulator, type StagHuntConfig } from '@hop/env-staghunt';
import { MOAModel, PairRegistry } from '@hop/moa';
import { SelfPlayConfigSchema } from '../src/algos/hop/settings';
import { discreteGoals } from '../src/team/goals';
import { buildPolicy } from '../src/team/models';
import { runRollout, type RolloutResult, type RolloutSpec } from '../src/algos/hop/rollout';
import { SAMPLE_COLUMNS, sameSamples } from './rollout-samples';
import { applyLoneStart, drawLoneStart } from '../src/algos/hop/lone-starts';
import { feedOnline, onlineMoaFor } from '../src/beliefs/online-feed';
import { loneStartMetrics } from '../src/algos/hop/metrics';
import { evaluationSpec, rolloutSpec } from '../src/algos/hop/runner';
import { HopTeam } from '../src/team/team';
import { expectProbabilityKey } from './train-keys';

const config = SelfPlayConfigSchema.parse({ env: 'small-2p', policyFilters: [8], policyHidden: 16, seed: 5 });
const A = 7;
const spec = (over: Partial<RolloutSpec>): RolloutSpec => ({ seed: 3, envStart: 0, numEnvs: 4, episodesPerEnv: 2, gamma: 0.95, ...over });

describe('--lone-starts: the draw and the position', () => {
  it('starts alone with probability q per (seed, env, episode); keeps each player and removes 0..hares-1 distinct hares', () => {
    const n = 4000;
    for (const q of [0.25, 0.5]) {
      let hits = 0;
      for (let k = 0; k < n; k++) if (drawLoneStart(11, k % 400, Math.floor(k / 400), q, 4, 4)) hits++;
      // 4 binomial standard errors: q^2 or 1 - q would land far outside
      expect(Math.abs(hits / n - q), `q ${q}`).toBeLessThan(4 * Math.sqrt((q * (1 - q)) / n));
    }
    const kept = new Array<number>(4).fill(0);
    const removed = new Array<number>(4).fill(0);
    const hareHit = new Array<number>(4).fill(0);
    for (let k = 0; k < 2000; k++) {
      const ls = drawLoneStart(11, k, 0, 1, 4, 4)!;
      expect(ls).not.toBeNull();
      kept[ls.keep]++;
      removed[ls.removeHares.length]++;
      expect(new Set(ls.removeHares).size).toBe(ls.removeHares.length);
      expect(ls.removeHares).toEqual([...ls.removeHares].sort((a, b) => a - b));
      for (const h of ls.removeHares) {
        expect(h).toBeGreaterThanOrEqual(0);
        expect(h).toBeLessThan(4);
        hareHit[h]++;
      }
    }
    // every player is kept, every count 0..3 of removed hares and every hare occurs (uniform: 500 each, SE ~19)
    console.log(`lone starts over 2000 draws: kept ${kept.join('/')}, hares removed 0..3: ${removed.join('/')}, per hare ${hareHit.join('/')}`);
    for (const c of [...kept, ...removed]) expect(Math.abs(c - 500)).toBeLessThan(4 * Math.sqrt(2000 * 0.25 * 0.75));
    expect(removed.length).toBe(4); // never all 4 hares
    const seq = (seed: number) => Array.from({ length: 64 }, (_, k) => JSON.stringify(drawLoneStart(seed, k, 0, 0.5, 4, 4)));
    expect(seq(11)).toEqual(seq(11));
    expect(seq(12)).not.toEqual(seq(11));
    for (let k = 0; k < 64; k++) {
      expect(drawLoneStart(11, k, 0, 0, 4, 4)).toBeNull();
      expect(drawLoneStart(11, k, 0, 1, 4, 4)).not.toBeNull();
    }
  });

  it('the position: every other player off the grid, the drawn hares gone, the rest as it was', () => {
    const state = {
      players: [[0, 0], [1, 1], [2, 2], [3, 3]] as [number, number][],
      stags: [[5, 5]] as [number, number][],
      hares: [[0, 7], [1, 7], [2, 7], [3, 7]] as [number, number][],
      obstacles: [[4, 4]] as [number, number][],
      time: 0,
      endTime: 35,
      firstHuntTime: -1,
    };
    expect(applyLoneStart(state, { keep: 2, removeHares: [0, 3] })).toEqual({
      ...state,
      players: [null, null, [2, 2], null],
      hares: [[1, 7], [2, 7]],
    });
    expect(applyLoneStart(state, { keep: 0, removeHares: [] }).hares).toEqual(state.hares);
  });
});

describe('--lone-starts in the rollout', () => {
  const game = createStagHuntSimulator('small-2p');
  let policy: MOAModel;
  let registry: PairRegistry;
  const team = (numEnvs: number, g = game, p = policy, r = registry) =>
    new HopTeam({ game: g, policy: p, registry: r, goals: discreteGoals(r.generic.goalDim, g.numGoals), planner: { numSimulations: 4, numTrees: 1 }, numEnvs });
  beforeAll(async () => {
    await initBackend();
    policy = buildPolicy(config, game);
    const generic = new MOAModel({ observationShape: [...game.observationShape], numActions: A, goalDim: 3, maxTime: game.config.finalTime, convFilters: [8], hiddenUnits: 16, seed: 1 });
    registry = new PairRegistry(generic, game.numAgents);
  });

  /**
   * Checks every lone-start episode of `r` against the layout a fresh environment generates for it: only the kept
   * player has rows, planned ones (learned, a search distribution as target); at its first step the other players'
   * channels are empty and the hare channel holds exactly the layout's hares minus the drawn ones.
   */
  function expectLoneStarts(r: RolloutResult, s: RolloutSpec, cfg: StagHuntConfig, q: number): number {
    const P = cfg.players;
    const [H, W, C] = [cfg.height, cfg.width, P + 3];
    const fresh = new VecStagHunt(cfg, { numEnvs: s.numEnvs, seed: s.seed, observations: 'none', autoReset: false, streamOffset: s.envStart });
    const smp = r.samples;
    const O = smp.obs.length / smp.count;
    let n = 0;
    for (const ep of r.episodes) {
      const c = ep.env - s.envStart;
      while (fresh.episodeIndex[c] < ep.episode) fresh.resetEnv(c);
      const ls = drawLoneStart(s.seed, ep.env, ep.episode, q, P, cfg.hares);
      expect(ep.loneStart).toBe(ls ? ls.keep : -1);
      if (!ls) continue;
      n++;
      expect(ep.coPlayers).toBeNull();
      const rows = Array.from({ length: smp.count }, (_, k) => k).filter((k) => smp.env[k] === ep.env && smp.episode[k] === ep.episode);
      expect(rows.length).toBeGreaterThan(0);
      for (const k of rows) {
        expect(smp.player[k]).toBe(ls.keep);
        expect(smp.learn[k]).toBe(1);
        const target = smp.policy.subarray(k * A, (k + 1) * A).reduce((a, b) => a + b, 0);
        expect(target).toBeCloseTo(1, 5);
      }
      for (let p = 0; p < P; p++) if (p !== ls.keep) expect(ep.returns[p]).toBe(0);
      // the removed hares are not catches: only the lone player's own hare counts
      expect(ep.hares).toBe(ep.achieved[ls.keep] === Goal.Hare ? 1 : 0);
      const first = rows.find((k) => smp.time[k] === 0)!;
      const grid = smp.obs.subarray(first * O, first * O + H * W * C);
      const layout = fresh.readState(c);
      const want = layout.hares.filter((_, h) => !ls.removeHares.includes(h)).map(([y, x]) => y * W + x).sort((a, b) => a - b);
      const hares: number[] = [];
      for (let cell = 0; cell < H * W; cell++) {
        for (let ch = 1; ch < P; ch++) expect(grid[cell * C + ch], `co-player channel ${ch}`).toBe(0);
        if (grid[cell * C + P + 2] > 0) hares.push(cell);
      }
      expect(hares).toEqual(want);
      const [ky, kx] = layout.players[ls.keep]!;
      expect(grid[(ky * W + kx) * C]).toBe(1);
    }
    return n;
  }

  it('q 1 with rule co-players and the lone continuation on: every episode is the kept planner alone, searching its own moves', async () => {
    const s = spec({ coPlayerMix: 1, coPlayerEpsilon: 0, loneContinuation: 1, loneStarts: 1 });
    const r = await runRollout(team(4), game.config, s);
    expect(expectLoneStarts(r, s, game.config, 1)).toBe(8);
    // no rule co-player played and the lone planner never handed over: its rows are its own decisions
    expect(r.loneSteps).toBe(0);
    expect(r.samples.learn.every((l) => l === 1)).toBe(true);
    expect(r.episodes.some((e) => e.loneStart === 0) && r.episodes.some((e) => e.loneStart === 1)).toBe(true);
    // the planner alone still catches hares in these 20-step episodes (a return the value trains on)
    expect(r.episodes.some((e) => e.returns[e.loneStart] > 0)).toBe(true);
  });

  it('mix 1, q 0.5: a lone start right after an episode with rule co-players keeps no rule goal (player 1 kept plans its own moves)', async () => {
    const s = spec({ numEnvs: 6, episodesPerEnv: 3, coPlayerMix: 1, coPlayerEpsilon: 0, loneStarts: 0.5 });
    const r = await runRollout(team(6), game.config, s);
    expectLoneStarts(r, s, game.config, 0.5);
    // the case that matters occurs at seed 3: player 1 (a rule co-player in the env's previous episode) kept alone
    const after = r.episodes.filter((e) => e.loneStart === 1 && r.episodes.some((p) => p.env === e.env && p.episode === e.episode - 1 && p.coPlayers !== null));
    expect(after.length).toBeGreaterThan(0);
  });

  it('q 0 is the rollout without the key, bit for bit (control); q 0.5 starts some alone, and slices of environments concatenate to the whole', async () => {
    const without = await runRollout(team(4), game.config, spec({ coPlayerMix: 0.5, coPlayerEpsilon: 0 }));
    const off = await runRollout(team(4), game.config, spec({ coPlayerMix: 0.5, coPlayerEpsilon: 0, loneStarts: 0 }));
    expect(sameSamples(off.samples, without.samples)).toBe(true);
    expect(off.episodes.every((e) => e.loneStart === -1)).toBe(true);
    const s = spec({ numEnvs: 6, coPlayerMix: 0.5, coPlayerEpsilon: 0, loneStarts: 0.5 });
    const whole = await runRollout(team(6), game.config, s);
    const n = expectLoneStarts(whole, s, game.config, 0.5);
    // seed 3: both kinds of episode occur among the 12
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(12);
    expect(sameSamples(whole.samples, (await runRollout(team(6), game.config, { ...s, loneStarts: 0 })).samples)).toBe(false);
    const parts = [
      await runRollout(team(2), game.config, { ...s, numEnvs: 2 }),
      await runRollout(team(4), game.config, { ...s, envStart: 2, numEnvs: 4 }),
    ];
    for (const k of SAMPLE_COLUMNS) expect([...parts[0].samples[k], ...parts[1].samples[k]], k).toEqual([...whole.samples[k]]);
    expect([...parts[0].episodes, ...parts[1].episodes].map((e) => e.loneStart)).toEqual(whole.episodes.map((e) => e.loneStart));
  });

  it('4 players: three players off the grid, 0..3 hares removed, the others keep no beliefs about the lone player', async () => {
    const four = createStagHuntSimulator({ ...game.config, players: 4, height: 6, width: 6, hares: 4 });
    const policy4 = buildPolicy(config, four);
    const generic4 = new MOAModel({ observationShape: [...four.observationShape], numActions: A, goalDim: 3, maxTime: four.config.finalTime, convFilters: [8], hiddenUnits: 16, seed: 1 });
    const registry4 = new PairRegistry(generic4, 4);
    const s = spec({ numEnvs: 6, loneStarts: 0.5 });
    const r = await runRollout(team(6, four, policy4, registry4), four.config, s);
    const n = expectLoneStarts(r, s, four.config, 0.5);
    expect(n).toBeGreaterThan(0);
    for (const ep of r.episodes) {
      if (ep.loneStart < 0) continue;
      // no prior outcome is folded from a lone start: the absent players model nobody, the lone one sees no one act
      expect(Array.from(ep.priorOutcomes).every((o) => o === -1)).toBe(true);
    }
    // the online models: nobody observes a lone start (control: fed as a normal episode, the absent players' buffers
    // would take the lone player's steps)
    const all = await runRollout(team(4, four, policy4, registry4), four.config, spec({ numEnvs: 4, episodesPerEnv: 1, loneStarts: 1 }));
    const goals = discreteGoals(registry4.generic.goalDim, four.numGoals);
    const sizes = (episodes: RolloutResult['episodes']) => {
      const online = Array.from({ length: 4 }, (_, i) => onlineMoaFor(registry4, i, { capacity: 100_000, epochs: 1, minibatch: 16, seed: 1 }, goals));
      expect(feedOnline(online, all.samples, episodes)).toEqual([]);
      return online.map((o) => o.snapshot().buffers.reduce((a, b) => a + b.size, 0));
    };
    expect(sizes(all.episodes)).toEqual([0, 0, 0, 0]);
    const unguarded = sizes(all.episodes.map((e) => ({ ...e, loneStart: -1 })));
    expect(unguarded.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    registry4.dispose();
    generic4.dispose();
    policy4.dispose();
  });
});

describe('--lone-starts: metrics, the online feed, the key and the evaluation', () => {
  it('lone/start_* describe the lone starts only', () => {
    const m = loneStartMetrics([
      { returns: [0, 1, 0, 0], achieved: [-1, 1, -1, -1], loneStart: 1 },
      { returns: [0, 0, 0, 0], achieved: [-1, -1, -1, -1], loneStart: 3 },
      { returns: [5, 5, 1, 1], achieved: [0, 0, 1, 1], loneStart: -1 },
      { returns: [0.5, 0, 0, 0], achieved: [1, -1, -1, -1], loneStart: 0 },
    ]);
    expect(m).toEqual({ 'lone/start_episodes': 3, 'lone/start_return': 0.5, 'lone/start_zero': 1 / 3 });
    expect(loneStartMetrics([{ returns: [1, 1], achieved: [1, 1], loneStart: -1 }])).toEqual({ 'lone/start_episodes': 0 });
  });

  it('a key of hop, hop-wm and direct-om (default 0, a probability), refused by name by ppo and hop-onestep', () => {
    expectProbabilityKey('loneStarts', '--lone-starts');
  });

  it('training rollouts carry it; the held-out evaluation never does', () => {
    const c = SelfPlayConfigSchema.parse({ env: 'small-2p', loneStarts: 0.25, seed: 5 });
    expect(rolloutSpec(c, 3, 0, 4)).toMatchObject({ loneStarts: 0.25 });
    expect(evaluationSpec(c, 10).loneStarts).toBeUndefined();
  });
});

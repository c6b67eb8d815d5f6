import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@hop/core';
import { Action, resolveConfig } from '@hop/env-staghunt';
import { ruleSource, type AgentSource } from '../src/eval/controllers';
import { evaluateRuns } from '../src/eval/command';
import { evaluateAgent, focalCounts } from '../src/eval/protocol';
import { EvalConfigSchema } from '../src/eval/schema';
import { runHop, runHopInProcess, tempDir } from './helpers';

const small = resolveConfig('small-2p');
const tiny = (over: Record<string, unknown> = {}) => EvalConfigSchema.parse({ env: 'small-2p', episodes: 3, seeds: 2, pairings: 3, ...over });

/** A co-player that never hunts: it stays where it is. */
const stay: AgentSource = {
  label: 'stay',
  kind: 'rule',
  env: null,
  create: async () => ({
    act: async (_env, mine, out) => {
      for (let j = 0; j < mine.length; j++) if (mine[j]) out[j] = Action.Stay;
    },
    observe: async () => {},
    startEpisode: () => {},
    endEpisode: async () => {},
    dispose: async () => {},
  }),
};

describe('hop eval', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('tables of the right shape: self-play and adapt rows per rule agent, overall rows, a ceiling, K-long curves', async () => {
    const r = await evaluateRuns([], tiny());
    expect(focalCounts('adapt', 2)).toEqual([1]);
    expect(focalCounts('adapt', 4)).toEqual([1, 3]);
    const rules = ['random', 'stag', 'hare', 'switching', 'mixed'];
    const self = r.tables.rows.filter((x) => x.protocol === 'self-play');
    expect(self.map((x) => [x.agent, x.coPlayer, x.focal])).toEqual(rules.map((a) => [a, 'self', 2]));
    const adapt = r.tables.rows.filter((x) => x.protocol === 'adapt');
    // 5 rule agents x (4 co-player types + overall) + the ceiling's 4 + overall.
    expect(adapt).toHaveLength(5 * 5 + 5);
    expect(adapt.filter((x) => x.kind === 'ceiling').map((x) => x.coPlayer)).toEqual(['random', 'stag', 'hare', 'switching', 'overall']);
    for (const row of r.tables.rows) {
      expect(row.seeds).toBe(2);
      expect(row.episodes).toBe(3);
      expect(Number.isFinite(row.mean) && row.std >= 0).toBe(true);
    }
    // 2 seeds x (1 self-play cell + 4 adapt cells) per rule agent.
    expect(r.cells).toHaveLength(5 * 2 * 5);
    for (const c of r.tables.curves) expect(c.perEpisode).toHaveLength(3);
    // The overall row is the mean over co-player types within a seed, then over seeds.
    const stag = r.cells.filter((c) => c.agent === 'stag' && c.protocol === 'adapt');
    const perSeed = [0, 1].map((s) => stag.filter((c) => c.seed === s).reduce((a, c) => a + c.mean, 0) / 4);
    expect(adapt.find((x) => x.agent === 'stag' && x.coPlayer === 'overall')!.mean).toBeCloseTo((perSeed[0] + perSeed[1]) / 2, 10);
    // The ceiling is, per co-player type, the best rule row.
    for (const co of ['random', 'stag', 'hare', 'switching']) {
      const best = Math.max(...adapt.filter((x) => x.kind === 'rule' && x.coPlayer === co).map((x) => x.mean));
      expect(adapt.find((x) => x.kind === 'ceiling' && x.coPlayer === co)!.mean).toBe(best);
    }
  }, 60_000);

  it('the same seeds give the same numbers; another base seed does not', async () => {
    const a = await evaluateRuns([], tiny({ protocol: 'adapt' }));
    const b = await evaluateRuns([], tiny({ protocol: 'adapt' }));
    const c = await evaluateRuns([], tiny({ protocol: 'adapt', seed: 1 }));
    expect(b.cells).toEqual(a.cells);
    expect(c.cells).not.toEqual(a.cells);
  }, 60_000);

  it('a co-player that never hunts: a stag hunter earns exactly 0 (stags need 2 hunters), a hare hunter at most the hare reward', async () => {
    const settings = { protocol: 'adapt' as const, episodes: 4, seeds: 3, pairings: 4, seed: 7 };
    const stagCells = await evaluateAgent(ruleSource('stag'), small, settings, [stay]);
    for (const c of stagCells) expect(c.perEpisode).toEqual([0, 0, 0, 0]);
    const hareCells = await evaluateAgent(ruleSource('hare'), small, settings, [stay]);
    const all = hareCells.flatMap((c) => c.perEpisode);
    for (const r of all) expect(r >= 0 && r <= small.hareReward).toBe(true);
    // On a 4x4 grid with 20 steps the nearest-hare agent reaches a hare in every one of these 48 episodes
    // (3 seeds x 4 episode indices, each the mean of 4 pairings; measured, the bound above is what must hold
    // for any agent), so the bound is met exactly.
    expect(all).toEqual(new Array(12).fill(small.hareReward));
  }, 60_000);

  it('hop eval CLI on tiny PPO runs writes the tables (CSV + JSON) and the HTML section; --group-by-algo pools the runs', async () => {
    const root = tempDir('eval');
    const train = (out: string, seed: number) =>
      runHop(['train', '--algo', 'ppo', '--env', 'small-2p', '--total-timesteps', '96', '--num-envs', '4', '--num-steps', '24', '--policy-filters', '8', '--policy-hidden', '16', '--eval-episodes', '2', '--eval-envs', '2', '--progress', 'none', '--seed', String(seed), '--out', out]);
    const [a, b] = [join(root, 'ppo-a'), join(root, 'ppo-b')];
    for (const t of await Promise.all([train(a, 1), train(b, 2)])) expect(t.code, t.stderr).toBe(0);
    const common = ['--episodes', '2', '--seeds', '2', '--pairings', '2', '--protocol', 'adapt'];
    const [e, g] = await Promise.all([runHop(['eval', a, b, ...common]), runHop(['eval', a, b, ...common, '--group-by-algo', '--no-reference', '--out', join(root, 'grouped')])]);
    expect(e.code, e.stderr).toBe(0);
    expect(g.code, g.stderr).toBe(0);
    const dir = join(a, 'evaluation');
    for (const f of ['evaluation.json', 'evaluation.html', 'tables.csv', 'table-adapt.csv']) expect(existsSync(join(dir, f)), f).toBe(true);
    const csv = readFileSync(join(dir, 'tables.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('agent,kind,protocol,focal,co_player,mean,std,se,units,seeds,episodes,best_of');
    expect(csv.filter((l) => l.startsWith('ppo (ppo-a),run,adapt,1,'))).toHaveLength(5);
    type Json = { cells: unknown[]; env: string; tables: { rows: { agent: string; coPlayer: string; mean: number; seeds: number }[] } };
    const json = JSON.parse(readFileSync(join(dir, 'evaluation.json'), 'utf8')) as Json;
    expect(json.env).toBe('small-2p');
    // 2 runs + 5 rule agents, 2 seeds x 4 co-player types each.
    expect(json.cells).toHaveLength(7 * 2 * 4);
    expect(readFileSync(join(dir, 'evaluation.html'), 'utf8')).toMatch(/Few-shot adaptation: 1 focal \+ 1 co-player/);
    // Grouped: one 'ppo' row per co-player type over 2 runs x 2 seeds, the mean of the two runs' rows.
    const grouped = (JSON.parse(readFileSync(join(root, 'grouped', 'evaluation.json'), 'utf8')) as Json).tables.rows;
    expect(new Set(grouped.map((r) => r.agent))).toEqual(new Set(['ppo']));
    for (const r of grouped) {
      expect(r.seeds).toBe(4);
      const per = json.tables.rows.filter((x) => x.coPlayer === r.coPlayer && x.agent.startsWith('ppo ('));
      expect(r.mean).toBeCloseTo((per[0].mean + per[1].mean) / 2, 10);
    }
    const bad = await runHopInProcess(['eval', a, '--protocol', 'mixed-up']); // a refusal: in this process
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/protocol/);
  }, 180_000);

  it('a hop (MCTS) run as the agent: HopAgents per focal player, the same seeds give the same cells', async () => {
    const run = join(tempDir('eval-hop'), 'hop');
    const t = await runHop([
      'train', '--algo', 'hop', '--env', 'small-2p', '--iterations', '1', '--num-envs', '2', '--num-trees', '1', '--num-simulations', '4',
      '--eval-envs', '1', '--eval-episodes', '1', '--replay-every', '0', '--policy-filters', '8', '--policy-hidden', '16', '--moa-filters', '8',
      '--moa-hidden', '16', '--sgd-passes', '1', '--minibatch', '32', '--progress', 'none', '--out', run,
    ]);
    expect(t.code, t.stderr).toBe(0);
    const config = tiny({ protocol: 'both', episodes: 2, seeds: 1, pairings: 1, reference: false });
    const a = await evaluateRuns([run], config);
    const b = await evaluateRuns([run], config);
    // Self-play: 1 cell; adapt on 2 players: focal count 1 against 4 co-player types.
    expect(a.cells.map((c) => [c.protocol, c.coPlayer, c.focal, c.perEpisode.length])).toEqual([
      ['self-play', 'self', 2, 2],
      ['adapt', 'random', 1, 2],
      ['adapt', 'stag', 1, 2],
      ['adapt', 'hare', 1, 2],
      ['adapt', 'switching', 1, 2],
    ]);
    expect(b.cells).toEqual(a.cells);
    // Online co-player models adapting inside the evaluation (buffers of 5 steps train several times per
    // episode, engines re-export): still deterministic.
    const c = await evaluateRuns([run], { ...config, onlineCapacity: 5 });
    const d = await evaluateRuns([run], { ...config, onlineCapacity: 5 });
    expect(d.cells).toEqual(c.cells);
  }, 180_000);
});


import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Rng, initBackend, type GoalBatch } from '@hop/core';
import { Action, BatchedPopulation, VecStagHunt, createStagHuntSimulator } from '@hop/env-staghunt';
import { GoalBeliefTracker, toEvaluator, type PairOwners } from '@hop/moa';
import { CoPlayerBeliefs } from '../src/beliefs/co-player-beliefs';
import { evaluateRuns, evaluationPlan } from '../src/eval/command';
import { ruleSource, runSource, type Controller, type RuleCoPlayers } from '../src/eval/controllers';
import type { EvalCell } from '../src/eval/protocol';
import { EvalConfigSchema } from '../src/eval/schema';
import { baseOf, buildTables, compareRows, evaluationSections } from '../src/eval/tables';
import { ruleCoPlayerModel } from '../src/algos/hop/variants';
import { HopAgent } from '../src/algos/hop/agent';
import { runHop, tempDir } from './helpers';

/** A hand-made cell: `rewards[k][e]` focal reward of pairing e's k-th episode. */
const cell = (agent: string, coPlayer: string, seed: number, rewards: number[][]): EvalCell => {
  const perEpisode = rewards.map((r) => r.reduce((a, b) => a + b, 0) / r.length);
  return { agent, protocol: 'adapt', coPlayer, focal: 1, seed, rewards, perEpisode, mean: perEpisode.reduce((a, b) => a + b, 0) / perEpisode.length };
};

describe('standard errors and 2-SE marks (hand-made table)', () => {
  // Agent A vs co-player x: 2 seeds x 2 pairings x 2 episodes; the pairing means (units) are 1, 3, 2, 4.
  const cells = [
    cell('A', 'x', 0, [[1, 3], [1, 3]]),
    cell('A', 'x', 1, [[2, 4], [2, 4]]),
    cell('A', 'y', 0, [[0, 0], [0, 0]]),
    cell('A', 'y', 1, [[0, 0], [2, 2]]),
    cell('A [no-search]', 'x', 0, [[0, 0], [0, 0]]),
    cell('A [no-search]', 'x', 1, [[0, 0], [0, 0]]),
    cell('A [no-search]', 'y', 0, [[0, 0], [0, 0]]),
    cell('A [no-search]', 'y', 1, [[0, 0], [0, 0]]),
    cell('B', 'x', 0, [[2, 2], [2, 2]]),
    cell('B', 'x', 1, [[3, 3], [3, 3]]),
    cell('B', 'y', 0, [[0, 0], [0, 0]]),
    cell('B', 'y', 1, [[0, 0], [0, 0]]),
  ];
  const t = buildTables(cells, { A: 'run', 'A [no-search]': 'run', B: 'run' });
  const row = (agent: string, co: string) => t.rows.find((r) => r.agent === agent && r.coPlayer === co)!;

  it('SE over pairings x seeds, std over seeds as before, overall SE from the co-player rows', () => {
    const a = row('A', 'x');
    expect(a.mean).toBe(2.5);
    // Units 1, 3, 2, 4: sample std sqrt(5/3), SE sqrt(5/3) / 2; the seed means 2 and 3 give std sqrt(1/2).
    expect(a.se).toBeCloseTo(Math.sqrt(5 / 3) / 2, 12);
    expect(a.units).toBe(4);
    expect(a.std).toBeCloseTo(Math.SQRT1_2, 12);
    // y: units 0, 0, 1, 1 -> mean 0.5, SE sqrt(1/3) / 2.
    expect(row('A', 'y').se).toBeCloseTo(Math.sqrt(1 / 3) / 2, 12);
    const overall = row('A', 'overall');
    expect(overall.mean).toBeCloseTo(1.5, 12);
    expect(overall.se).toBeCloseTo(Math.sqrt(5 / 3 / 4 + 1 / 3 / 4) / 2, 12);
    expect(overall.units).toBe(8);
    // One seed of one pairing: SE 0 (nothing to estimate it from), not NaN.
    expect(buildTables([cell('C', 'x', 0, [[5]])], { C: 'run' }).rows[0].se).toBe(0);
  });

  it('2-SE marks: A vs its no-search row (2.5 vs 0, SE 0.65) is marked, A vs B on x (2.5 vs 2.5) and on y (0.5 vs 0, SE 0.29) are not', () => {
    expect(compareRows(row('A', 'x'), row('A [no-search]', 'x')).significant).toBe(true);
    // B on x: units 2, 2, 3, 3 (SE sqrt(1/3) / 2), so the difference's SE is sqrt(5/12 + 1/12).
    const ab = compareRows(row('A', 'x'), row('B', 'x'));
    expect([ab.diff, ab.significant]).toEqual([0, false]);
    expect(ab.se).toBeCloseTo(Math.SQRT1_2, 12);
    const y = compareRows(row('A', 'y'), row('B', 'y'));
    expect(y.diff).toBe(0.5);
    expect(y.significant).toBe(false);
    // A difference of exactly 2 SE is not marked; a hair above is.
    expect(compareRows({ mean: 2, se: 1 }, { mean: 0, se: 0 }).significant).toBe(false);
    expect(compareRows({ mean: 2.0001, se: 1 }, { mean: 0, se: 0 }).significant).toBe(true);
    const html = evaluationSections(t, 2).sections[0].html;
    expect(html).toContain('0.000 ± 0.000 ▼');
    // The plain rows carry no mark; the differences table lists A - B overall with its SE, unmarked.
    expect(html).toContain(`2.500 ± ${row('A', 'x').se.toFixed(3)}<`);
    expect(html).toMatch(/<td>A<\/td><td>B<\/td><td>0\.250 ± 0\.\d{3}<\/td>/);
  });

  it('curves carry the SE per episode index over pairings x seeds', () => {
    const c = t.curves.find((x) => x.agent === 'A' && x.coPlayer === 'x')!;
    expect(c.perEpisode).toEqual([2.5, 2.5]);
    // Episode 1: rewards 1, 3, 2, 4 again.
    expect(c.se[0]).toBeCloseTo(Math.sqrt(5 / 3) / 2, 12);
  });
});

describe('CoPlayerBeliefs', () => {
  const P = 3;
  const G = 2;
  const avail = (stag: number) => Uint8Array.from([stag, 1, stag, 1]);
  const play = (mode: 'inferred' | 'uniform' | 'oracle', tracker?: GoalBeliefTracker) => {
    const b = new CoPlayerBeliefs({ numAgents: P, numEnvs: 2, numGoals: G, priorAlpha: 0.5, mode });
    const rng = new Rng(3);
    const seen: Float32Array[] = [];
    for (let ep = 0; ep < 3; ep++) {
      b.startEpisode(1, avail(1));
      tracker?.startEpisode(avail(1));
      for (let t = 0; t < 4; t++) {
        const lik = Float64Array.from({ length: (P - 1) * G }, () => 0.05 + rng.next());
        const a = avail(t < 3 ? 1 : 0);
        b.update(2, 1, lik, a, [1, 1]);
        tracker?.observe(lik, a, [1, 1]);
        seen.push(b.belief(2, 1));
      }
      const outcome = [ep % 2, 1];
      // Focal 2's co-players are players 0 and 1; the other focal players' rows say "none".
      b.foldPriors(Int32Array.from([-1, -1, -1, -1, ...outcome]));
      tracker?.endEpisode(outcome);
    }
    return { b, seen };
  };

  it('inferred: exactly a GoalBeliefTracker fed the same steps (intra-episode belief x inter-episode prior); uniform never moves', () => {
    const tracker = new GoalBeliefTracker(P - 1, G, 0.5);
    const { b } = play('inferred', tracker);
    expect(b.belief(2, 1)).toEqual(tracker.belief());
    expect(Array.from(b.priors[2].histogram)).toEqual(Array.from(tracker.prior.histogram));
    // The prior moved (alpha 0.5, three outcomes) and the belief is not uniform.
    expect(b.priors[2].histogram[2]).toBeLessThan(0.2);
    const { b: u, seen } = play('uniform');
    for (const s of seen) for (const v of s) expect([0, 0.5, 1]).toContain(v);
    // After the stags are gone (step 4) the belief is all on the hare; the prior never moved.
    expect(Array.from(seen[3])).toEqual([0, 1, 0, 1]);
    expect(Array.from(u.priors[2].histogram)).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it('oracle: one-hot on the true goal while it is available; uniform over the available goals for a co-player without one', () => {
    const b = new CoPlayerBeliefs({ numAgents: P, numEnvs: 1, numGoals: G, mode: 'oracle' });
    b.startEpisode(0, avail(1));
    b.update(0, 0, [0.9, 0.1, 0.9, 0.1], avail(1), [1, 1]);
    b.setOracle(0, 0, [1, -1]);
    expect(Array.from(b.belief(0, 0))).toEqual([0, 1, 0.5, 0.5]);
    b.setOracle(0, 0, [0, 0]);
    expect(Array.from(b.belief(0, 0))).toEqual([1, 0, 1, 0]);
    // The stags are gone: the "true" stag goal is no longer possible, availability wins.
    b.update(0, 0, [1, 1, 1, 1], avail(0), [1, 1]);
    expect(Array.from(b.belief(0, 0))).toEqual([0, 1, 0, 1]);
    expect(() => b.setOracle(0, 0, [0])).toThrow(/expected 2/);
  });
});

describe('oracle-model: the rule policy inside the tree', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it("rule rows get the rule's own decision (one-hot; uniform for random agents), the others go to the model", async () => {
    const sim = createStagHuntSimulator('hop-msh');
    let covered = 0;
    for (const population of ['stag', 'hare', 'switching', 'random'] as const) {
      const env = new VecStagHunt('hop-msh', { numEnvs: 2, seed: 5, observations: 'grid', autoReset: false });
      const pop = new BatchedPopulation(env, population, 9);
      const P = env.numAgents;
      const A = env.numActions;
      const O = env.observationSize;
      const rules: RuleCoPlayers = {
        kindOf: (k, p) => pop.kindOf(k, p),
        goalOf: (k, p) => pop.goalOf(k, p),
        latched: (k, p) => pop.latched(k, p),
        // Player 0 is the focal agent (its rows go to the model), players 1..P-1 the rule co-players.
        controls: (_k, p) => p > 0,
        params: pop.population,
      };
      const modelRows: number[] = [];
      const model = async (input: GoalBatch, owners: PairOwners) => {
        modelRows.push(...owners.agent);
        return { probs: new Float32Array(input.batch * A).fill(-7) };
      };
      const actions = new Int32Array(2 * P);
      while (!env.ended[0]) {
        // The rules draw their kinds when an episode starts; the tree reads them before the rules' first act.
        pop.prepare(env);
        // The same switching latch the tree would see: read it before the rules act.
        const latched = Array.from({ length: P }, (_, p) => pop.latched(0, p));
        const wrapped = ruleCoPlayerModel(model, { env: 0, observationShape: sim.observationShape, rules: () => ({ ...rules, latched: (_k, p) => latched[p] }) });
        const out = await wrapped(
          { batch: P, observations: env.observations.subarray(0, P * O), masks: env.masks.subarray(0, P * A), times: Float32Array.from({ length: P }, () => env.times[0]), goals: new Float32Array(P * 2), goalDim: 2 },
          { focal: new Int32Array(P), agent: Int32Array.from({ length: P }, (_, p) => p) },
        );
        pop.act(env, actions);
        expect(Array.from(out.probs.subarray(0, A))).toEqual(new Array(A).fill(-7));
        for (let p = 1; p < P; p++) {
          const row = Array.from(out.probs.subarray(p * A, (p + 1) * A));
          if (population === 'random') {
            const valid = Array.from(env.masks.subarray(p * A, (p + 1) * A)).filter((m) => m).length;
            if (valid > 0) expect(row).toEqual(Array.from(env.masks.subarray(p * A, (p + 1) * A), (m) => (m ? Math.fround(1 / valid) : 0)));
          } else expect(row[actions[p]], `${population} player ${p} t ${env.times[0]}`).toBe(1);
          covered++;
        }
        env.step(actions);
      }
      expect(modelRows.every((a) => a === 0) && modelRows.length > 0).toBe(true);
    }
    expect(covered).toBeGreaterThan(100);
  });
});

describe('diagnosis variants of a tiny hop run', () => {
  let run = '';
  beforeAll(async () => {
    await initBackend();
    run = join(tempDir('eval-diag'), 'hop');
    const t = await runHop([
      'train', '--algo', 'hop', '--env', 'small-2p', '--iterations', '1', '--num-envs', '2', '--tree-num', '1', '--simulations', '4',
      '--eval-envs', '1', '--eval-episodes', '1', '--replay-every', '0', '--policy-filters', '8', '--policy-hidden', '16', '--moa-filters', '8',
      '--moa-hidden', '16', '--sgd-passes', '1', '--minibatch', '32', '--progress', 'none', '--out', run,
    ]);
    expect(t.code, t.stderr).toBe(0);
  }, 180_000);

  /** Plays one episode of a run's agent (player 0) with a rule co-player (player 1); calls `check` after each decision. */
  const episode = async (agent: Controller, population: 'stag' | 'hare' | 'switching' | 'random', check: (goal: number, env: VecStagHunt) => void | Promise<void>) => {
    const env = new VecStagHunt('small-2p', { numEnvs: 1, seed: 4, observations: 'grid', autoReset: false });
    const co = await ruleSource(population).create(env, 6);
    agent.meet?.(co.rules!);
    agent.startEpisode(env, 0);
    const actions = new Int32Array(2);
    const acted = Uint8Array.of(1, 1);
    while (!env.ended[0]) {
      // The rule's goal at its last decision: what the oracle hands the agent for this one.
      const goal = env.times[0] === 0 ? -2 : co.rules!.goalOf(0, 1);
      actions.fill(Action.Stay);
      await agent.act(env, Uint8Array.of(1, 0), actions);
      await check(goal, env);
      await co.act(env, Uint8Array.of(0, 1), actions);
      const prev = env.states.slice();
      env.step(actions);
      await agent.observe(env, prev, actions, acted);
    }
    await agent.endEpisode(0, [-1, -1], [-1, -1]);
    return agent;
  };

  it('oracle-goals: the belief is the rule co-player\'s true goal; uniform-beliefs: never moves; the inferred belief does', async () => {
    const sim = createStagHuntSimulator('small-2p');
    const make = (variant?: 'oracle-goals' | 'uniform-beliefs') =>
      runSource(run, undefined, undefined, { variant }).create(new VecStagHunt('small-2p', { numEnvs: 1, seed: 4, observations: 'grid', autoReset: false }), 1);
    const goals = new Set<number>();
    for (const population of ['stag', 'hare', 'switching'] as const) {
      const a = await make('oracle-goals');
      await episode(a, population, (goal, env) => {
        if (goal < 0) return;
        const avail = new Uint8Array(2);
        sim.goalsAvailable({ states: env.states, slots: Int32Array.of(0), count: 1 }, avail);
        if (!avail[goal]) return;
        expect(Array.from(a.belief!(0, 0)!)).toEqual(goal === 0 ? [1, 0] : [0, 1]);
        goals.add(goal);
      });
      await a.dispose();
    }
    expect([...goals].sort()).toEqual([0, 1]);
    const u = await make('uniform-beliefs');
    const inferred = await make();
    const moved: number[] = [];
    for (const population of ['stag', 'hare'] as const) {
      await episode(u, population, () => {
        for (const v of u.belief!(0, 0)!) expect([0, 0.5, 1]).toContain(v);
      });
      await episode(inferred, population, () => {
        moved.push(...inferred.belief!(0, 0)!.filter((v) => v !== 0 && v !== 0.5 && v !== 1));
      });
    }
    expect(moved.length).toBeGreaterThan(0);
    await u.dispose();
    await inferred.dispose();
  }, 120_000);

  it("no-search: each action is the policy prior's argmax over the legal actions, and the planner is never called", async () => {
    const probe = await HopAgent.fromRun(run, { focal: 0, decisions: 'greedy' });
    const evaluate = toEvaluator(probe.team.policy);
    const sim = createStagHuntSimulator('small-2p');
    const env = new VecStagHunt('small-2p', { numEnvs: 1, seed: 4, observations: 'grid', autoReset: false });
    const agent = await runSource(run, undefined, undefined, { variant: 'no-search' }).create(env, 1);
    let steps = 0;
    const actions = new Int32Array(2);
    agent.startEpisode(env, 0);
    while (!env.ended[0]) {
      actions.fill(Action.Stay);
      await agent.act(env, Uint8Array.of(1, 0), actions);
      const obs = new Float32Array(2 * sim.observationSize);
      const legal = new Uint8Array(2 * sim.numActions);
      const view = { states: env.states, slots: Int32Array.of(0), count: 1 };
      sim.observe(view, obs);
      sim.legalActions(view, legal);
      const out = await evaluate({ batch: 1, observations: obs.subarray(0, sim.observationSize), masks: legal.subarray(0, sim.numActions), times: Float32Array.of(env.times[0]) });
      let best = -1;
      for (let a = 0; a < sim.numActions; a++) if (legal[a] && (best < 0 || out.logits[a] > out.logits[best])) best = a;
      expect(actions[0]).toBe(best);
      steps++;
      const prev = env.states.slice();
      env.step(actions);
      await agent.observe(env, prev, actions, Uint8Array.of(1, 1));
    }
    expect(steps).toBeGreaterThan(3);
    await agent.dispose();
    await probe.dispose();
  }, 60_000);

  it('hop eval --variants: one row per variant beside the agent, the same seeds give the same cells, CPU per episode reported', async () => {
    const config = EvalConfigSchema.parse({ env: 'small-2p', protocol: 'adapt', episodes: 2, seeds: 1, pairings: 2, reference: false, variants: ['oracle-goals', 'oracle-model', 'uniform-beliefs', 'no-search'] });
    const a = await evaluateRuns([run], config);
    const labels = [...new Set(a.cells.map((c) => c.agent))];
    expect(labels).toEqual(['hop (hop)', 'hop (hop) [oracle-goals]', 'hop (hop) [oracle-model]', 'hop (hop) [uniform-beliefs]', 'hop (hop) [no-search]']);
    for (const c of a.cost) {
      expect(c.episodes).toBe(4 * 2 * 2);
      expect(c.cpuPerEpisode).toBeGreaterThan(0);
    }
    const b = await evaluateRuns([run], config);
    expect(b.cells).toEqual(a.cells);
  }, 180_000);

  it('--search, --c-puct and --simulations reach every agent\'s planner; --search and --c-puct name the row; the run\'s settings otherwise', async () => {
    const spy = vi.spyOn(HopAgent, 'fromRun');
    try {
      const cases = [
        // --simulations reaches the planner but not the label (rows of queued experiments that set it stay one row)
        { over: { search: 'gumbel' as const, simulations: 6 }, label: 'hop (hop) [gumbel]', want: { search: 'gumbel', numSimulations: 6, numTrees: 1 } },
        { over: { simulations: 6 }, label: 'hop (hop)', want: { search: 'puct', cPuct: 1, numSimulations: 6, numTrees: 1 } },
        { over: { cPuct: 2.5 }, label: 'hop (hop) [c 2.5]', want: { search: 'puct', cPuct: 2.5, numSimulations: 4, numTrees: 1 } },
        // control: no override, the run's planner (puct, c 1, 4 simulations, 1 tree)
        { over: {}, label: 'hop (hop)', want: { search: 'puct', cPuct: 1, numSimulations: 4, numTrees: 1 } },
      ];
      for (const { over, label, want } of cases) {
        const source = runSource(run, undefined, undefined, over);
        expect(source.label).toBe(label);
        const env = new VecStagHunt('small-2p', { numEnvs: 1, seed: 4, observations: 'grid', autoReset: false });
        const agent = await source.create(env, 1);
        agent.startEpisode(env, 0);
        const actions = new Int32Array(2);
        await agent.act(env, Uint8Array.of(1, 0), actions);
        const made = (await spy.mock.results.at(-1)!.value) as HopAgent;
        expect(made.team.planner.config, label).toMatchObject(want);
        await agent.dispose();
      }
      // through hop eval (in this thread): every agent it builds plans with gumbel; the overrides' bracket comes
      // before the variant's, so the page still pairs the no-search row with its agent
      const made = spy.mock.results.length;
      const config = EvalConfigSchema.parse({ env: 'small-2p', protocol: 'adapt', episodes: 1, seeds: 1, pairings: 1, reference: false, variants: ['no-search'], search: 'gumbel', workers: 1 });
      const labels = [...new Set((await evaluateRuns([run], config)).cells.map((c) => c.agent))];
      expect(labels).toEqual(['hop (hop) [gumbel]', 'hop (hop) [gumbel] [no-search]']);
      const built = await Promise.all(spy.mock.results.slice(made).map((r) => r.value as Promise<HopAgent>));
      expect(built.length).toBeGreaterThan(0);
      for (const a of built) expect(a.team.planner.config.search).toBe('gumbel');
      expect(labels.map(baseOf)).toEqual([null, 'hop (hop) [gumbel]']);
    } finally {
      spy.mockRestore();
    }
    expect(() => EvalConfigSchema.parse({ search: 'beam' })).toThrow();
    expect(() => EvalConfigSchema.parse({ cPuct: -1 })).toThrow();
    expect(() => evaluationPlan([run], EvalConfigSchema.parse({ search: 'gumbel', cPuct: 2 }))).toThrow(/--c-puct 2 is PUCT's exploration constant, and search gumbel does not use it/);
    // a run that does not plan keeps its label, and the log says the overrides were not applied
    const ppo = join(tempDir('eval-ppo-label'), 'ppo');
    cpSync(run, ppo, { recursive: true });
    const file = JSON.parse(readFileSync(join(ppo, 'config.json'), 'utf8'));
    file.config.algo = 'ppo';
    writeFileSync(join(ppo, 'config.json'), JSON.stringify(file));
    const lines: string[] = [];
    const plan = evaluationPlan([ppo, run], EvalConfigSchema.parse({ cPuct: 2, reference: false }), (l) => lines.push(l));
    expect(plan.sources.map((x) => x.label)).toEqual(['ppo (ppo)', 'hop (hop) [c 2]']);
    expect((plan.specs.get(plan.sources[0]) as { cPuct?: number }).cPuct).toBeUndefined();
    expect(lines.join('\n')).toMatch(/not applied to .*ppo \(ppo does not plan\)/);
  }, 120_000);

  it('baseOf: only a diagnosis variant\'s bracket makes a diagnosis row; planner overrides alone are plain rows', () => {
    expect(baseOf('hop (a) [oracle-goals]')).toBe('hop (a)');
    expect(baseOf('hop (a) [c 3] [no-search]')).toBe('hop (a) [c 3]');
    for (const plain of ['hop (a)', 'hop (a) [gumbel]', 'hop (a) [c 3]', 'hop (a) [no-search] [gumbel]']) expect(baseOf(plain), plain).toBeNull();
  });
});

describe('experiments/msh-adapt.yaml', () => {
  it('valid train cells (hop and direct-om, 2 seeds, msh-2h), a valid eval record, and 64 units per cell: SE <= 0.15 at a std of 1.2', async () => {
    const { readConfigFile } = await import('../src/config/load');
    const { trainConfigOf } = await import('../src/train/command');
    const { ExperimentSchema } = await import('../src/experiment/schema');
    const { experimentCells } = await import('../src/experiment/command');
    const { PKG } = await import('./helpers');
    const exp = ExperimentSchema.parse(await readConfigFile(join(PKG, '..', '..', 'experiments', 'msh-adapt.yaml')));
    const cells = experimentCells(exp, '/r', 1);
    expect(cells.map((c) => [c.algo, c.settings.seed])).toEqual([['hop', 1], ['hop', 2], ['direct-om', 1], ['direct-om', 2]]);
    for (const c of cells) expect(trainConfigOf(c.settings).config, c.dir).toMatchObject({ budget: 'msh-2h', iterations: 80, numTrees: 2, numSimulations: 128, coPlayerMix: 0.5 });
    // hop reads the co-players' goals; direct-om has none to read
    expect(cells.map((c) => (trainConfigOf(c.settings).config as { focalGoals?: string }).focalGoals)).toEqual(['co-player', 'co-player', 'off', 'off']);
    // hop's co-player models are pretrained with target-named goals, direct-om's without goal input
    expect(cells.map((c) => c.settings.pretrained)).toEqual(['/r/inputs/pre-target', '/r/inputs/pre-target', '/r/inputs/pre-none', '/r/inputs/pre-none']);
    const { PretrainConfigSchema } = await import('../src/config/schemas');
    const pre = exp.inputs['pre-target'];
    expect('pretrain' in pre && PretrainConfigSchema.parse({ ...pre.pretrain, out: 'o' }).goalInput).toBe('target');
    const ev = EvalConfigSchema.parse(exp.eval);
    expect(ev.groupByAlgo).toBe(true);
    const units = exp.seeds.length * ev.seeds * ev.pairings;
    expect(units).toBe(64);
    expect(1.2 / Math.sqrt(units)).toBeLessThanOrEqual(0.15);
    expect(ev.episodes).toBeGreaterThanOrEqual(3);
  });
});

import { checkResumeBudget } from '../run/resume-budget';
import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { HopError, Rng, deriveSeed, type RunEnvironment } from '@hop/core';
import { createStagHuntSimulator, replayHtml, type StagHuntSimulator } from '@hop/env-staghunt';
import { OnlineMOA } from '@hop/moa';
import type { SelfPlayAlgorithm, PlanningSetup } from '../algos/types';
import { prepareEnvironment } from '../run/environment';
import { InterruptFlag } from '../run/interrupt';
import { RunDir, writeFileAtomic, type RunMetric } from '../run/layout';
import { createProgress } from '../run/progress';
import {
  checkpointIterations,
  loadOnlineAndPriors,
  loadPairs,
  loadPolicy,
  readSelfPlayState,
  saveSelfPlayCheckpoint,
  type SelfPlayState,
} from './checkpoint';
import type { SelfPlayConfig } from './config';
import { PolicyLearner } from './learner';
import { episodeMetrics, inferenceMetrics, learnerMetrics, mergeTallies, onlineMoaMetrics, timingMetrics } from './metrics';
import { buildCoPlayers, buildPolicy, type SelfPlayModels } from './models';
import { concatSamples, type RolloutResult, type RolloutSpec } from './rollout';
import { createRunner, type RolloutRunner } from './runner';
import { HopTeam } from './team';
import { ModelEngines } from './engines';
import { warmStart, warmStartBatch } from './warm-start';
import { feedOnline } from './online';
import { checkFocalGoals, withFocalGoals } from './focal-goals';
import { prepareTrainResume, trainFingerprints, validateTrainInputs } from './inputs';

export interface SelfPlayOptions {
  log?: (line: string) => void;
  interrupt?: InterruptFlag;
}

export interface SelfPlayResult {
  status: 'completed' | 'interrupted';
  runDir: string;
  iterations: number;
  /** The last greedy evaluation record, if any. */
  lastEval: RunMetric | null;
  elapsed: number;
}

type AnyConfig = SelfPlayConfig & Record<string, unknown> & { algo: string };

const defaultLog = (line: string) => process.stdout.write(line + '\n');

/** Starts a self-play run in a fresh directory. */
export async function trainSelfPlay(algo: SelfPlayAlgorithm, config: AnyConfig, options: SelfPlayOptions = {}): Promise<SelfPlayResult> {
  const log = options.log ?? defaultLog;
  const environment = await prepareEnvironment(log);
  const out = config.out ?? defaultRunName(config.algo);
  const resolved: AnyConfig = { ...config, out };
  const game = createStagHuntSimulator(resolved.env);
  // Everything that can fail on bad input is opened before the run directory exists.
  validateTrainInputs(resolved);
  const setup = await openSetup(algo, resolved, game, null);
  const run = new RunDir(out);
  try {
    run.create('train', resolved, environment, { coPlayers: setup.models.source, planning: setup.planning.facts, fingerprints: trainFingerprints(resolved) });
  } catch (e) {
    disposeSetup(setup);
    throw e;
  }
  log(`seed ${resolved.seed}; run directory ${run.root}`);
  return run.guardStart(() => checkpointIterations(run.checkpointsDir).length > 0, () => loop(run, algo, resolved, setup, log, options.interrupt), log);
}

/** Continues a run from its newest complete checkpoint; `iterations` may extend it. */
export async function resumeSelfPlay(
  runDir: string,
  algoOf: (name: string) => SelfPlayAlgorithm,
  overrides: { iterations?: number; progress?: AnyConfig['progress'] },
  options: SelfPlayOptions = {},
): Promise<SelfPlayResult> {
  const log = options.log ?? defaultLog;
  const run = new RunDir(runDir);
  const file = run.readConfig<AnyConfig>();
  if (file.command !== 'train') throw new HopError('E_RUN', `${run.root} is a '${file.command}' run, not a \`hop train\` run`);
  const algo = algoOf(String(file.config.algo));
  const config = algo.schema.parse({
    ...file.config,
    ...(overrides.iterations ? { iterations: overrides.iterations } : {}),
    ...(overrides.progress ? { progress: overrides.progress } : {}),
  }) as AnyConfig;
  const environment = await prepareEnvironment(log);
  warnEngineChange(file.resumes?.at(-1) ?? file.environment, environment, log);
  const game = createStagHuntSimulator(config.env);
  const point = prepareTrainResume(run, file.inputs, config, log);
  let setup: Setup;
  try {
    setup = await openSetup(algo, config, game, point);
  } catch (e) {
    run.close();
    throw e;
  }
  const done = setup.state.iteration;
  try {
    checkResumeBudget({ run: run.root, flag: '--iterations', unit: 'iterations', requested: overrides.iterations, done, planned: file.config.iterations });
  } catch (e) {
    disposeSetup(setup);
    run.close();
    throw e;
  }
  run.reopen(environment, (r) => (r.kind === 'event' ? true : r.step <= done), config);
  if (!point) log(`no checkpoint in ${run.checkpointsDir}: restarting the run from iteration 1 (seed ${config.seed})`);
  else log(`resuming ${run.root} from ${relative(run.root, point)}: iteration ${done + 1} (seed ${config.seed})`);
  return loop(run, algo, config, setup, log, options.interrupt);
}

/**
 * ONNX Runtime and tfjs agree to float rounding, not bit for bit, so a resume on another engine can turn
 * near-ties and continues a different run than the one interrupted: said, not refused (a machine may have
 * lost onnxruntime-node). The resume's engine is recorded in config.json's resumes.
 */
export function warnEngineChange(before: RunEnvironment, now: RunEnvironment, log: (line: string) => void): void {
  const [a, b] = [before.inference, now.inference];
  if (a && b && a.engine !== b.engine)
    log(`warning: this run was last trained on the ${a.engine} inference engine and resumes on ${b.engine}; results can differ from an uninterrupted run from here on (HOP_INFERENCE=${a.engine} resumes on the same engine)`);
}

interface Setup {
  game: StagHuntSimulator;
  planning: PlanningSetup;
  models: SelfPlayModels;
  learner: PolicyLearner;
  team: HopTeam;
  evalTeam: HopTeam;
  online: OnlineMOA[];
  state: SelfPlayState;
}

/** Networks, planner, online buffers and counters: fresh, or from a checkpoint directory. */
async function openSetup(algo: SelfPlayAlgorithm, config: AnyConfig, game: StagHuntSimulator, checkpoint: string | null): Promise<Setup> {
  const planning = await algo.planning(config, game);
  let models: SelfPlayModels | null = null;
  try {
    checkFocalGoals(config.focalGoals, algo);
    const co = await buildCoPlayers(config, game, algo.coPlayerGoals);
    const registry = checkpoint ? await swapRegistry(co.registry, checkpoint) : co.registry;
    models = { policy: buildPolicy(config, game), registry, goals: co.goals, source: co.source };
    const learner = new PolicyLearner(models.policy, {
      learningRate: config.lr,
      epochs: config.sgdPasses,
      minibatch: config.minibatch,
      maxGradNorm: config.gradClipNorm,
    });
    const plannerConfig = { numSimulations: config.simulations, numTrees: config.treeNum, cPuct: config.cPuct, beta: config.beta, gamma: config.gamma };
    const engines = new ModelEngines();
    const teamOf = (numEnvs: number, greedy: boolean) =>
      new HopTeam({
        engines,
        game,
        planning: planning.planning,
        roots: planning.roots,
        policy: models!.policy,
        registry: models!.registry,
        goals: models!.goals,
        planner: { ...plannerConfig, greedy },
        numEnvs,
        priorAlpha: config.priorAlpha,
      });
    const team = teamOf(config.numEnvs, false);
    const evalTeam = teamOf(config.evalEnvs, true);
    const P = game.numAgents;
    const goalDim = models.goals.goalDim;
    const vectors = models.goals.goalVectors;
    const online = Array.from({ length: P }, (_, i) =>
      OnlineMOA.forFocal(
        models!.registry,
        i,
        { capacity: config.moaCapacity, epochs: config.moaEpochs, minibatch: config.moaMinibatch, seed: deriveSeed(config.seed, 'online-moa', i) },
        goalDim === 0 ? {} : { numGoals: models!.goals.numGoals, goalVector: (g, out) => out.set(vectors.subarray(g * goalDim, (g + 1) * goalDim)) },
      ),
    );
    let state: SelfPlayState = {
      format: 'hop-selfplay-state',
      version: 1,
      algo: algo.name,
      iteration: 0,
      elapsed: 0,
      cpuSeconds: 0,
      envSteps: 0,
      episodes: 0,
      warmStarted: false,
      priors: [],
      onlineRounds: [],
    };
    if (checkpoint) {
      state = readSelfPlayState(checkpoint);
      if (state.algo !== algo.name)
        throw new HopError('E_CHECKPOINT', `${checkpoint} is a checkpoint of --algo ${state.algo}, not ${algo.name}`);
      await loadPolicy(checkpoint, learner);
      await loadOnlineAndPriors(checkpoint, state, online, team);
    }
    return { game, planning, models, learner, team, evalTeam, online, state };
  } catch (e) {
    planning.dispose();
    if (models) {
      models.registry.dispose();
      models.registry.generic.dispose();
      models.policy.dispose();
    }
    throw e;
  }
}

/** Replaces a fresh registry with the one saved in a checkpoint (its online-trained pairs and their Adam state). */
async function swapRegistry(fresh: SelfPlayModels['registry'], checkpoint: string): Promise<SelfPlayModels['registry']> {
  const saved = await loadPairs(checkpoint);
  fresh.dispose();
  fresh.generic.dispose();
  return saved;
}

function disposeSetup(s: Setup): void {
  s.learner.dispose();
  s.models.registry.dispose();
  s.models.registry.generic.dispose();
  s.models.policy.dispose();
  s.planning.dispose();
}

async function loop(
  run: RunDir,
  algo: SelfPlayAlgorithm,
  config: AnyConfig,
  setup: Setup,
  log: (line: string) => void,
  interruptFlag?: InterruptFlag,
): Promise<SelfPlayResult> {
  const interrupt = interruptFlag ?? new InterruptFlag().listen();
  const { game, learner, team, online, models } = setup;
  const state = setup.state;
  let runner: RolloutRunner | null = null;
  let lastEval: RunMetric | null = [...run.readMetrics()].reverse().find((r) => r.kind === 'eval') ?? null;
  try {
    log(
      `hop train --algo ${algo.name}: ${config.env}, ${config.numEnvs} envs x ${config.episodesPerEnv} episode(s) per iteration, ` +
        `${config.treeNum} trees x ${config.simulations} simulations, ${config.workers} worker(s); co-players ${models.goals.mode} goals ` +
        `(${models.source.pretrained ? `pretrained ${String(models.source.pretrained)}` : 'from scratch'})`,
    );
    run.appendMetrics(event(state, state.iteration === 0 && !state.warmStarted ? 'start' : 'resume'));
    // Wall and CPU time of the run: what a budget ("2 hours on 2 cores") is about, shared machine or not.
    const clock = new RunClock(state);
    if (config.warmStart && !state.warmStarted) {
      const batch = warmStartBatch(config.warmStart, config.gamma, config.warmStartSamples, config.seed, models.policy.goalDim > 0 ? game : undefined);
      const r = await warmStart(learner, batch, config.warmStartEpochs, config.seed, () => interrupt.stopRequested);
      if (!r) return interruptedBeforeFirstIteration(run, state, log, 'during the warm start');
      state.warmStarted = true;
      const spent = clock.tick();
      run.appendMetrics({ kind: 'event', event: 'warm-start', epoch: 0, step: 0, time: round(state.elapsed), samples: batch.count, ...learnerMetrics(r), ...spentMetrics(spent, state) });
      log(`warm start on ${batch.count} rows of ${config.warmStart}: policy CE ${r.policyLoss.toFixed(3)}, value MSE ${r.valueLoss.toFixed(3)} (${spent.wall.toFixed(1)}s, ${spent.cpu.toFixed(1)} CPU-s)`);
    }
    runner = await createRunner(config, algo, setup);
    log(`rollouts: ${runner.describe}`);
    // The starting point of the evaluation curve: the agents before any self-play update (after the warm start).
    if (state.iteration === 0 && config.evalEvery > 0 && !run.readMetrics().some((r) => r.kind === 'eval')) {
      const ev = await evaluate(setup, runner, config, config.evalEpisodes);
      const spent = clock.tick();
      lastEval = { kind: 'eval', epoch: 0, step: 0, time: round(state.elapsed), global_step: 0, ...episodeMetrics(ev.episodes, 'eval'), ...spentMetrics(spent, state) };
      run.appendMetrics(lastEval);
      log(`evaluation before self-play: ${(lastEval['eval/episodic_return'] as number).toFixed(2)} over ${lastEval['eval/episodes']} held-out episodes (greedy)`);
    }
    if (interrupt.stopRequested && state.iteration === 0) return interruptedBeforeFirstIteration(run, state, log, 'before the first iteration');
    const progress = createProgress({ label: `train ${algo.name}`, total: config.iterations, unit: 'iterations', mode: config.progress });
    progress.update(state.iteration);
    let checkpointMs = 0;
    while (state.iteration < config.iterations) {
      const it = state.iteration + 1;
      // The previous iteration's checkpoint is booked here: its record was written before the checkpoint.
      const wall: Record<string, number> = { checkpoint: checkpointMs };
      checkpointMs = 0;
      const t0 = performance.now();

      // 1. Rollouts: every environment plays its episodes; slices in parallel workers, same results for any split.
      const results = await runner.rollout(it);
      wall.rollout = performance.now() - t0;
      const episodes = results.flatMap((r) => r.episodes);
      const samples = concatSamples(results.map((r) => r.samples));
      for (const e of episodes) team.foldPriors(e.priorOutcomes);

      // 2. Policy / value update on the planner's decisions and the returns.
      const tu = performance.now();
      const update = learner.update(withFocalGoals(samples, models.policy, game), new Rng(deriveSeed(config.seed, 'update', it)));
      team.engines.changed(models.policy);
      wall.policy_update = performance.now() - tu;

      // 3. Online MOA: every focal player's buffers take what its co-players did; full buffers train.
      const tm = performance.now();
      const reports = config.onlineMoa ? feedOnline(online, samples, episodes) : [];
      for (const r of reports) team.engines.changed(models.registry.model(r.focal, r.agent));
      wall.moa_update = performance.now() - tm;
      // The new weights reach the inference engines (ONNX Runtime re-exports; tfjs reads them live).
      const ts = performance.now();
      await team.syncEngines();
      wall.engine_sync = performance.now() - ts;

      state.iteration = it;
      state.envSteps += results.reduce((a, r) => a + r.envSteps, 0);
      state.episodes += episodes.length;
      const decisions = results.reduce((a, r) => a + r.decisions, 0);
      const rows = results.reduce((a, r) => a + r.networkRows, 0);

      // 4. Greedy evaluation on held-out seeds, and a replay page.
      let evalRecord: RunMetric | null = null;
      const evalNow = (config.evalEvery > 0 && it % config.evalEvery === 0) || it === config.iterations;
      if (evalNow) {
        const te = performance.now();
        const ev = await evaluate(setup, runner, config, it === config.iterations ? (config.finalEvalEpisodes ?? config.evalEpisodes) : config.evalEpisodes);
        wall.eval = performance.now() - te;
        evalRecord = { kind: 'eval', epoch: it, step: it, time: 0, global_step: state.envSteps, ...episodeMetrics(ev.episodes, 'eval') };
        if (config.replayEvery > 0 && (it % config.replayEvery === 0 || it === config.iterations) && ev.replay)
          await writeFileAtomic(join(run.root, 'replays', `iter-${it}.html`), replayHtml(ev.replay, {
              title: `hop train ${algo.name}, iteration ${it}: evaluation episode 1 of ${ev.episodes.length}`,
              subtitle:
                `Greedy decisions on a held-out seed (environment 0, its first episode), after ${it} iteration(s); ` +
                `the other ${ev.episodes.length - 1} evaluation episodes are in the report's figures, not shown here.`,
            }));
      }
      const spent = clock.tick();
      const iterSeconds = spent.wall;
      const tally = mergeTallies(results.map((r) => r.tally), game.numAgents);
      const record: RunMetric = {
        kind: 'iteration',
        epoch: it,
        step: it,
        time: round(state.elapsed),
        global_step: state.envSteps,
        ...episodeMetrics(episodes, 'charts'),
        ...learnerMetrics(update),
        ...inferenceMetrics(tally, team.usesBeliefs),
        ...onlineMoaMetrics(reports),
        'charts/SPS': results.reduce((a, r) => a + r.envSteps, 0) / Math.max(1e-9, wall.rollout / 1000),
        'perf/decisions': decisions,
        'perf/network_rows_per_decision': decisions > 0 ? rows / decisions : 0,
        ...timingMetrics(results, wall),
        'time/iteration': iterSeconds,
        ...spentMetrics(spent, state),
        engine: team.engines.engine?.name ?? 'none',
      };
      run.appendMetrics(record);
      if (evalRecord) {
        evalRecord.time = round(state.elapsed);
        run.appendMetrics(evalRecord);
        lastEval = evalRecord;
      }
      // After the records: a kill in between leaves records past the checkpoint, which resume drops.
      if (it % config.checkpointEvery === 0 || it === config.iterations || interrupt.stopRequested) {
        const tc = performance.now();
        await saveSelfPlayCheckpoint(join(run.checkpointsDir, `iter-${it}`), { learner, registry: models.registry, online, team, state });
        await pruneCheckpoints(run);
        checkpointMs = performance.now() - tc;
      }
      const ret = record['charts/episodic_return'] as number;
      progress.update(it, `return ${ret.toFixed(2)}${lastEval ? ` | eval ${(lastEval['eval/episodic_return'] as number).toFixed(2)}` : ''}`);
      log(
        `iteration ${it}/${config.iterations}: return ${ret.toFixed(2)} (stags ${(record['charts/stags_per_episode'] as number).toFixed(2)}, hares ` +
          `${(record['charts/hares_per_episode'] as number).toFixed(2)}) | CE ${update.policyLoss.toFixed(3)} V ${update.valueLoss.toFixed(3)}` +
          (record['moa/online_top1'] !== undefined ? ` | MOA top-1 ${(record['moa/online_top1'] as number).toFixed(3)}` : '') +
          (record['beliefs/accuracy'] !== undefined ? ` belief ${(record['beliefs/accuracy'] as number).toFixed(3)}` : '') +
          (evalRecord ? ` | eval ${(evalRecord['eval/episodic_return'] as number).toFixed(2)} over ${evalRecord['eval/episodes']} episodes` : '') +
          ` | ${iterSeconds.toFixed(1)}s`,
      );
      await new Promise<void>((r) => setImmediate(r));
      if (interrupt.stopRequested && it < config.iterations) {
        progress.stop('interrupted');
        run.appendMetrics(event(state, 'interrupt'));
        log(`interrupted after iteration ${it}; checkpoint saved\ncontinue with: hop train --resume ${run.root}`);
        return { status: 'interrupted', runDir: run.root, iterations: it, lastEval, elapsed: state.elapsed };
      }
    }
    progress.stop();
    run.appendMetrics(event(state, 'end'));
    log(
      `done: ${state.iteration} iterations, ${state.episodes} episodes, ${state.envSteps} env steps, ${state.elapsed.toFixed(1)}s ` +
        `(${(state.cpuSeconds ?? 0).toFixed(1)} CPU-s${state.cpuSeconds === undefined ? ', not recorded by the checkpoint it resumed from' : ''})`,
    );
    return { status: 'completed', runDir: run.root, iterations: state.iteration, lastEval, elapsed: state.elapsed };
  } finally {
    await runner?.dispose();
    await setup.team.engines.dispose();
    disposeSetup(setup);
    run.close();
    if (!interruptFlag) interrupt.dispose();
  }
}

/**
 * A stop before the first iteration's checkpoint (during the warm start or the first evaluation): there is
 * nothing worth saving yet, and a resume starts the run again from the warm start, with the same results.
 */
function interruptedBeforeFirstIteration(run: RunDir, state: SelfPlayState, log: (line: string) => void, when: string): SelfPlayResult {
  run.appendMetrics(event(state, 'interrupt'));
  log(`interrupted ${when}; no checkpoint yet\ncontinue with: hop train --resume ${run.root} (starts again from the warm start)`);
  return { status: 'interrupted', runDir: run.root, iterations: 0, lastEval: null, elapsed: state.elapsed };
}

/**
 * Greedy decisions on held-out episode seeds, priors as they are now; nothing is trained or folded. The
 * environments are split over the rollout workers like an iteration's, with the same results for any split.
 */
async function evaluate(
  setup: Setup,
  runner: RolloutRunner,
  config: AnyConfig,
  episodes: number,
): Promise<{ episodes: RolloutResult['episodes']; replay: RolloutResult['replay'] }> {
  const { evalTeam, team } = setup;
  evalTeam.priors.forEach((p, i) => {
    p.histogram.set(team.priors[i].histogram);
    p.outcomes.set(team.priors[i].outcomes);
  });
  const spec: RolloutSpec = {
    seed: deriveSeed(config.seed, 'held-out-evaluation'),
    envStart: 0,
    numEnvs: config.evalEnvs,
    episodesPerEnv: Math.ceil(episodes / config.evalEnvs),
    gamma: config.gamma,
    record: true,
  };
  const results = await runner.evaluate(spec);
  return { episodes: results.flatMap((r) => r.episodes), replay: results.find((r) => r.replay)?.replay ?? null };
}

/** Keeps the two newest iteration checkpoints (a truncated newest one still leaves an intact one). */
async function pruneCheckpoints(run: RunDir): Promise<void> {
  for (const it of checkpointIterations(run.checkpointsDir).slice(2)) await rm(join(run.checkpointsDir, `iter-${it}`), { recursive: true, force: true });
}

function event(state: SelfPlayState, name: string): RunMetric {
  return { kind: 'event', event: name, epoch: state.iteration, step: state.iteration, time: round(state.elapsed), at: new Date().toISOString() };
}

function defaultRunName(algo: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return join('runs', `train-${algo}-${stamp}`);
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Adds the wall and CPU time since the last tick to the run's totals. CPU is `process.cpuUsage`, which counts
 * every thread of the process (the rollout workers too); on a machine shared with other jobs it is the honest
 * measure of what the run cost, and CPU / cores bounds the wall time it would take alone.
 */
class RunClock {
  private wall = performance.now();
  private cpu = process.cpuUsage();

  constructor(private readonly state: SelfPlayState) {}

  tick(): { wall: number; cpu: number } {
    const now = performance.now();
    const d = process.cpuUsage(this.cpu);
    const spent = { wall: (now - this.wall) / 1000, cpu: (d.user + d.system) / 1e6 };
    this.wall = now;
    this.cpu = process.cpuUsage();
    this.state.elapsed += spent.wall;
    if (this.state.cpuSeconds !== undefined) this.state.cpuSeconds += spent.cpu;
    return spent;
  }
}

function spentMetrics(spent: { wall: number; cpu: number }, state: SelfPlayState): Record<string, number> {
  return { 'time/cpu': spent.cpu, ...(state.cpuSeconds !== undefined ? { 'perf/cpu_seconds': round(state.cpuSeconds) } : {}) };
}

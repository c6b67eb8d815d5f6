import { join } from 'node:path';
import { HopError, Rng, deriveSeed } from '@hop/core';
import { createStagHuntSimulator, replayHtml, type StagHuntSimulator } from '@hop/env-staghunt';
import type { OnlineMOA } from '@hop/moa';
import { checkpointIterations, pruneCheckpoints } from '../../run/checkpoints';
import { onlineBufferBytes, sharedPairsBytes } from '../../run/budget';
import {
  RunClock,
  continueWith,
  checkpointDue,
  defaultLog,
  defaultRunName,
  evalDue,
  interruptOf,
  lastEvalOf,
  resumeRun,
  round,
  runEvent,
  spentMetrics,
  startRun,
  stopIfRequested,
  type RunOptions,
  type RunResult,
} from '../../run/lifecycle';
import { writeFileAtomic, type RunDir, type RunMetric } from '../../run/layout';
import { createProgress } from '../../run/progress';
import { ModelEngines } from '../../team/engines';
import { buildCoPlayers, buildPolicy, type SelfPlayModels } from '../../team/models';
import { feedOnline, onlineMoaFor } from '../../beliefs/online-feed';
import { HopTeam } from '../../team/team';
import { openPlanning, type PlanningSpec } from '../../planning/open';
import type { PlanningSetup } from '../../planning/setup';
import { episodeMetrics, inferenceMetrics, mergeTallies, onlineMoaMetrics } from '../../metrics/scalars';
import { coPlayerMixMetrics, learnerMetrics, loneMetrics, loneStartMetrics, timingMetrics } from './metrics';
import { loadOnlineAndPriors, loadPairs, loadPolicy, readSelfPlayState, saveSelfPlayCheckpoint, type SelfPlayState } from './checkpoint';
import { trainFingerprints, validateTrainInputs } from '../../run/train-inputs';
import type { TrainResume } from '../types';
import { PolicyLearner, type LearnerBatch } from './learner';
import { concatSamples, type RolloutResult } from './rollout';
import { createRunner, evaluationSpec, type RolloutRunner } from './runner';
import type { SelfPlayConfig } from './settings';
import { warmStart, warmStartBatch } from './warm-start';
import { checkFocalGoals, withFocalGoals } from '../../team/focal-goals';
import { coPlayerRowWeights } from './co-players';

/**
 * What makes one planning self-play algorithm differ from another (hop, hop-wm, direct-om): its co-player
 * models' goal input and where its planner searches. This loop does everything else.
 */
export interface HopVariant {
  readonly name: string;
  /** Co-player models with discrete goal input and beliefs (`goals`), or without (`none`, direct opponent modelling). */
  readonly coPlayerGoals: 'goals' | 'none';
  /** Where the planner searches, from the run's config. */
  planning(config: HopRunConfig): PlanningSpec;
}

export type HopRunConfig = SelfPlayConfig & Record<string, unknown> & { algo: string };
type AnyConfig = HopRunConfig;

/** Starts a self-play run in a fresh directory. */
export async function trainSelfPlay(algo: HopVariant, config: AnyConfig, options: RunOptions = {}): Promise<RunResult> {
  const log = options.log ?? defaultLog;
  const resolved: AnyConfig = { ...config, out: config.out ?? defaultRunName('train', config.algo) };
  return startRun({
    command: 'train',
    out: resolved.out!,
    config: resolved,
    seed: resolved.seed,
    log,
    open: async () => {
      const game = createStagHuntSimulator(resolved.env);
      // Everything that can fail on bad input is opened before the run directory exists.
      validateTrainInputs(resolved);
      return openSetup(algo, resolved, game, null);
    },
    inputs: (setup) => ({ coPlayers: setup.models.source, planning: setup.planning.facts, fingerprints: trainFingerprints(resolved) }),
    dispose: disposeSetup,
    hasCheckpoint: (run) => checkpointIterations(run.checkpointsDir).length > 0,
    space: {
      what: `hop train --algo ${resolved.algo}`,
      length: resolved.iterations,
      extraBytes: (setup) => onlineBufferBytes(resolved) + sharedPairsBytes(setup.models.registry),
      freeBytes: options.freeBytes,
    },
    body: (run, setup) => loop(run, algo, resolved, setup, log, options),
  });
}

/**
 * Continues a run from the shared resume point (`resume.point`: inputs checked, newest verified checkpoint);
 * `--iterations` may extend it.
 */
export async function resumeSelfPlay(algo: HopVariant, resume: TrainResume, options: RunOptions = {}): Promise<RunResult> {
  const { run, file } = resume;
  const config = resume.config as AnyConfig;
  const log = options.log ?? defaultLog;
  const game = createStagHuntSimulator(config.env);
  const setup = await resumeRun({
    run,
    done: (s) => s.state.iteration,
    file,
    config,
    seed: config.seed,
    log,
    budget: { requested: resume.requestedIterations, planned: Number(file.config.iterations) },
    dispose: disposeSetup,
    point: resume.point,
    open: (point) => openSetup(algo, config, game, point),
  });
  return loop(run, algo, config, setup, log, options);
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
async function openSetup(algo: HopVariant, config: AnyConfig, game: StagHuntSimulator, checkpoint: string | null): Promise<Setup> {
  const planning = await openPlanning(algo.planning(config), game);
  let models: SelfPlayModels | null = null;
  try {
    checkFocalGoals(config.focalGoals, algo);
    if (config.moaAnchor > 0 && !config.onlineMoa)
      throw new HopError('E_CONFIG', `--moa-anchor ${config.moaAnchor} applies to online training, which --no-online-moa turns off: drop one of them`);
    if (config.coPlayerWeight !== 1 && !(config.coPlayerMix > 0))
      throw new HopError('E_CONFIG', `--co-player-weight ${config.coPlayerWeight} weights the environments played with rule co-players; there are none without --co-player-mix: give --co-player-mix f (> 0) or drop --co-player-weight`);
    if (config.coPlayerWeight !== 1 && config.coPlayerMix === 1)
      throw new HopError('E_CONFIG', `--co-player-weight ${config.coPlayerWeight} changes nothing at --co-player-mix 1 (every environment has rule co-players, and the weights are normalised per minibatch): lower the mix or drop --co-player-weight`);
    if (config.coPlayerMixUntil !== undefined && !(config.coPlayerMix > 0))
      throw new HopError('E_CONFIG', `--co-player-mix-until ${config.coPlayerMixUntil} ends the rule co-players of --co-player-mix, and there are none: give --co-player-mix f (> 0) or drop --co-player-mix-until`);
    if (config.coPlayerValueRows && !(config.coPlayerMix > 0))
      throw new HopError('E_CONFIG', `--co-player-value-rows trains the value on the rule co-players' steps; there are none without --co-player-mix: give --co-player-mix f (> 0) or drop --co-player-value-rows`);
    if (config.focalGoalLabels === 'committed' && config.focalGoals !== 'co-player')
      throw new HopError('E_CONFIG', `--focal-goal-labels committed chooses the goal labels of a goal-conditioned focal network: add --focal-goals co-player, or drop --focal-goal-labels`);
    if (config.focalGoalLabels === 'committed' && !(config.coPlayerMix > 0))
      throw new HopError('E_CONFIG', `--focal-goal-labels committed differs from hindsight labels only for the rule co-players of --co-player-mix, and there are none: give --co-player-mix f (> 0), or drop --focal-goal-labels`);
    const co = await buildCoPlayers(config, game, algo.coPlayerGoals);
    const registry = checkpoint ? await swapRegistry(co.registry, checkpoint) : co.registry;
    models = { policy: buildPolicy(config, game), registry, goals: co.goals, source: co.source };
    const learner = new PolicyLearner(models.policy, {
      learningRate: config.lr,
      epochs: config.sgdPasses,
      minibatch: config.minibatch,
      maxGradNorm: config.gradClipNorm,
    });
    const plannerConfig = { numSimulations: config.numSimulations, numTrees: config.numTrees, cPuct: config.cPuct, beta: config.beta, gamma: config.gamma };
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
    const online = Array.from({ length: game.numAgents }, (_, i) =>
      onlineMoaFor(models!.registry, i, { capacity: config.moaCapacity, epochs: config.moaEpochs, minibatch: config.moaMinibatch, seed: deriveSeed(config.seed, 'online-moa', i) }, models!.goals),
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
  try {
    return await loadPairs(checkpoint);
  } finally {
    fresh.dispose();
    fresh.generic.dispose();
  }
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
  algo: HopVariant,
  config: AnyConfig,
  setup: Setup,
  log: (line: string) => void,
  options: RunOptions,
): Promise<RunResult> {
  const { flag: interrupt, release } = interruptOf(options.interrupt);
  const { game, learner, team, online, models } = setup;
  const state = setup.state;
  let runner: RolloutRunner | null = null;
  let lastEval = lastEvalOf(run);
  try {
    log(
      `hop train --algo ${algo.name}: ${config.env}, ${config.numEnvs} envs x ${config.episodesPerEnv} episode(s) per iteration, ` +
        `${config.numTrees} trees x ${config.numSimulations} simulations, ${config.workers} worker(s); co-players ${models.goals.mode} goals ` +
        `(${models.source.pretrained ? `pretrained ${String(models.source.pretrained)}` : 'from scratch'})`,
    );
    run.appendMetrics(runEvent(state, state.iteration === 0 && !state.warmStarted ? 'start' : 'resume'));
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
    runner = await createRunner(config, setup, algo.planning(config));
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
      if (config.coPlayerMixUntil !== undefined && it === config.coPlayerMixUntil + 1)
        log(`iteration ${it}: past --co-player-mix-until ${config.coPlayerMixUntil}, pure self-play from here (no rule co-players)`);
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
      const batch = withFocalGoals(samples, models.policy, game, config.focalGoalLabels);
      let weighted: LearnerBatch = config.coPlayerWeight !== 1 ? { ...batch, weight: coPlayerRowWeights(samples, config.coPlayerWeight) } : batch;
      // --co-player-value-rows: every row trains the value, only the planners' rows the policy
      if (config.coPlayerValueRows) weighted = { ...weighted, learn: undefined, policyMask: samples.learn };
      const update = learner.update(weighted, new Rng(deriveSeed(config.seed, 'update', it)));
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
      const evalNow = evalDue(it, config.evalEvery, config.iterations);
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
      const withCoPlayers = config.loneStarts > 0 ? episodes.filter((e) => e.loneStart < 0) : episodes;
      const record: RunMetric = {
        kind: 'iteration',
        epoch: it,
        step: it,
        time: round(state.elapsed),
        global_step: state.envSteps,
        ...episodeMetrics(withCoPlayers, 'charts'),
        ...learnerMetrics(update),
        ...inferenceMetrics(tally, team.usesBeliefs),
        ...onlineMoaMetrics(reports),
        ...(config.coPlayerMix > 0 ? coPlayerMixMetrics(withCoPlayers) : {}),
        ...(config.loneContinuation > 0 ? loneMetrics(results) : {}),
        ...(config.loneStarts > 0 ? loneStartMetrics(episodes) : {}),
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
      if (checkpointDue(it, config.checkpointEvery, config.iterations, interrupt)) {
        const tc = performance.now();
        await saveSelfPlayCheckpoint(join(run.checkpointsDir, `iter-${it}`), { learner, registry: models.registry, online, team, state });
        await pruneCheckpoints(run.checkpointsDir);
        checkpointMs = performance.now() - tc;
      }
      // (--lone-starts 1 leaves no episode with co-players: the charts are absent, not zero)
      const chart = (k: string) => (record[`charts/${k}`] === undefined ? 'n/a' : (record[`charts/${k}`] as number).toFixed(2));
      progress.update(it, `return ${chart('episodic_return')}${mixLine(record)}${lastEval ? ` | eval ${(lastEval['eval/episodic_return'] as number).toFixed(2)}` : ''}`);
      log(
        `iteration ${it}/${config.iterations}: return ${chart('episodic_return')} (stags ${chart('stags_per_episode')}, hares ` +
          `${chart('hares_per_episode')}) | CE ${update.policyLoss.toFixed(3)} V ${update.valueLoss.toFixed(3)}` +
          (record['moa/online_top1'] !== undefined ? ` | MOA top-1 ${(record['moa/online_top1'] as number).toFixed(3)}` : '') +
          (record['beliefs/accuracy'] !== undefined ? ` belief ${(record['beliefs/accuracy'] as number).toFixed(3)}` : '') +
          mixLine(record) +
          (record['lone/steps'] !== undefined ? ` | lone ${record['lone/steps']} steps, ${record['lone/catches']} hares` : '') +
          (record['lone/start_episodes'] !== undefined ? ` | ${record['lone/start_episodes']} lone starts` + (record['lone/start_return'] !== undefined ? ` (return ${(record['lone/start_return'] as number).toFixed(2)})` : '') : '') +
          (evalRecord ? ` | eval ${(evalRecord['eval/episodic_return'] as number).toFixed(2)} over ${evalRecord['eval/episodes']} episodes` : '') +
          ` | ${iterSeconds.toFixed(1)}s`,
      );
      await new Promise<void>((r) => setImmediate(r));
      const stopped = stopIfRequested({ run, state, interrupt, log, last: config.iterations, lastEval, command: 'train' }, (why) => progress.stop(why));
      if (stopped) return stopped;
    }
    progress.stop();
    run.appendMetrics(runEvent(state, 'end'));
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
    release();
  }
}

/** `--co-player-mix`: player 0's return beside each team of rule co-players drawn this iteration. */
function mixLine(record: RunMetric): string {
  // no rule episode this iteration (past --co-player-mix-until, or none drawn): nothing to show
  if (record['mix/fraction'] === undefined || record['mix/fraction'] === 0) return '';
  const part = (k: string) => (record[`mix/return_vs_${k}`] === undefined ? '' : ` ${k} ${(record[`mix/return_vs_${k}`] as number).toFixed(2)}`);
  return ` | vs rules (${((record['mix/fraction'] as number) * 100).toFixed(0)}% of episodes):${part('hare')}${part('stag')}${part('mixed')}`;
}

/**
 * A stop before the first iteration's checkpoint (during the warm start or the first evaluation): there is
 * nothing worth saving yet, and a resume starts the run again from the warm start, with the same results.
 */
function interruptedBeforeFirstIteration(run: RunDir, state: SelfPlayState, log: (line: string) => void, when: string): RunResult {
  run.appendMetrics(runEvent(state, 'interrupt'));
  log(`interrupted ${when}; no checkpoint yet\ncontinue with: ${continueWith('train', run.root)} (starts again from the warm start)`);
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
  const results = await runner.evaluate(evaluationSpec(config, episodes));
  return { episodes: results.flatMap((r) => r.episodes), replay: results.find((r) => r.replay)?.replay ?? null };
}

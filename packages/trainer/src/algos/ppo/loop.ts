import { fixed } from '../../cli/text';
import { join } from 'node:path';
import { HopError, Rng, deriveSeed } from '@hop/core';
import { VecStagHunt, createStagHuntSimulator, type StagHuntSimulator } from '@hop/env-staghunt';
import { episodeMetrics } from '../../metrics/scalars';
import { checkpointIterations, pruneCheckpoints } from '../../run/checkpoints';
import {
  RunClock,
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
import type { RunDir, RunMetric } from '../../run/layout';
import { trainFingerprints } from '../../run/train-inputs';
import type { ResumeOverrides, TrainResume } from '../types';
import { createProgress } from '../../run/progress';
import { loadPPONetworks, readPPOState, savePPOCheckpoint, type PPOState } from './checkpoint';
import type { PPOConfig } from './config';
import { PPOLearner, type PPOUpdateReport } from './learner';
import { buildPPONetwork } from './network';
import { PPOPolicies } from './policies';
import { allocateBatch, collectRollout, type Conditioner, type PPOEpisode, type StepObserver } from './rollout';

/** A PPO config with its algorithm's name (ppo, or an algorithm that extends PPO's record). */
export type PPOLoopConfig = Omit<PPOConfig, 'algo'> & { algo: string } & Record<string, unknown>;

/**
 * What an algorithm built on the PPO learner adds (hop-onestep: co-player predictions and beliefs as extra
 * policy inputs, updated from what the co-players do). Plain PPO has none.
 */
export interface PPOExtension {
  /** Width of the conditioning row each agent's policy gets. */
  readonly conditionDim: number;
  /** What the run records about it (config.json inputs). */
  readonly facts: Record<string, unknown>;
  /** Hooks for one `VecStagHunt` (the training envs, or an evaluation's). */
  hooks(env: VecStagHunt, mode: 'train' | 'eval'): { condition?: Conditioner; observe?: StepObserver };
  /** After an iteration's rollout (e.g. online model training); returns metrics for the iteration record. */
  afterRollout(iteration: number): Promise<Record<string, number>>;
  /** Writes its state into a checkpoint directory being built; returns what goes into state.json. */
  save(tmp: string): Promise<Record<string, unknown>>;
  /** Bytes `save` writes beyond the tensors the extension holds at the start (online buffers, shared pairs). */
  checkpointExtraBytes?(): number;
  load(dir: string, extra: Record<string, unknown> | undefined): Promise<void>;
  dispose(): void;
}

export type PPOExtensionFactory = (config: PPOLoopConfig, game: StagHuntSimulator) => Promise<PPOExtension>;

/** Starts a PPO run in a fresh directory. */
export async function trainPPO(config: PPOLoopConfig, options: RunOptions = {}, extension?: PPOExtensionFactory): Promise<RunResult> {
  const log = options.log ?? defaultLog;
  const resolved: PPOLoopConfig = { ...config, out: config.out ?? defaultRunName('train', config.algo) };
  return startRun({
    command: 'train',
    out: resolved.out!,
    config: resolved,
    seed: resolved.seed,
    log,
    open: () => openSetup(resolved, null, extension),
    // Fingerprints of what the run loads (hop-onestep's --pretrained): a resume refuses them changed.
    inputs: (setup) => ({ networks: setup.learners.length, ...(setup.ext ? { extension: setup.ext.facts } : {}), fingerprints: trainFingerprints(resolved) }),
    dispose: disposeSetup,
    hasCheckpoint: (run) => checkpointIterations(run.checkpointsDir).length > 0,
    space: {
      what: `hop train --algo ${resolved.algo}`,
      length: ppoIterations(resolved),
      extraBytes: (setup) => setup.ext?.checkpointExtraBytes?.() ?? 0,
      freeBytes: options.freeBytes,
    },
    body: (run, setup) => loop(run, resolved, setup, log, options),
  });
}

/**
 * The config a PPO run resumes with: the saved one; `--iterations N` makes the run N PPO iterations long
 * (`totalTimesteps` = N x numEnvs x numSteps).
 */
export function ppoResumeConfig(schema: { parse(v: unknown): unknown }, saved: Record<string, unknown>, overrides: ResumeOverrides): PPOLoopConfig {
  const s = saved as PPOLoopConfig;
  const total = overrides.iterations ? overrides.iterations * s.numEnvs * s.numSteps : s.totalTimesteps;
  return schema.parse({ ...s, totalTimesteps: total, ...(overrides.progress ? { progress: overrides.progress } : {}) }) as PPOLoopConfig;
}

/**
 * Continues a PPO run from the shared resume point (`resume.point`: inputs checked, newest verified
 * checkpoint); `resume.config` is `ppoResumeConfig` of the saved one.
 */
export async function resumePPO(resume: TrainResume, options: RunOptions = {}, extension?: PPOExtensionFactory): Promise<RunResult> {
  const { run, file } = resume;
  const config = resume.config as PPOLoopConfig;
  const log = options.log ?? defaultLog;
  const setup = await resumeRun({
    run,
    done: (s) => s.state.iteration,
    file,
    config,
    seed: config.seed,
    log,
    point: resume.point,
    open: (point) => openSetup(config, point, extension),
    budget: { requested: resume.requestedIterations, planned: ppoIterations(file.config as PPOLoopConfig) },
    dispose: disposeSetup,
  });
  return loop(run, config, setup, log, options);
}

interface Setup {
  game: StagHuntSimulator;
  policies: PPOPolicies;
  learners: PPOLearner[];
  ext: PPOExtension | null;
  state: PPOState;
}

async function openSetup(config: PPOLoopConfig, checkpoint: string | null, extension?: PPOExtensionFactory): Promise<Setup> {
  const game = createStagHuntSimulator(config.env);
  const ext = extension ? await extension(config, game) : null;
  const P = game.numAgents;
  const nets = Array.from({ length: config.shareParameters ? 1 : P }, (_, i) =>
    buildPPONetwork({
      observationShape: [...game.observationShape],
      numActions: game.numActions,
      conditionDim: ext?.conditionDim ?? 0,
      maxTime: game.config.finalTime,
      convFilters: config.policyFilters,
      mlpUnits: [config.policyHidden],
      hiddenUnits: config.policyHidden,
      seed: deriveSeed(config.seed, 'ppo-policy', i),
    }),
  );
  const policies = new PPOPolicies(nets, P);
  const learners = nets.map(
    (n) =>
      new PPOLearner(n, {
        learningRate: config.learningRate,
        annealLr: config.annealLr,
        updateEpochs: config.updateEpochs,
        numMinibatches: config.numMinibatches,
        normAdv: config.normAdv,
        clipCoef: config.clipCoef,
        clipVloss: config.clipVloss,
        entCoef: config.entCoef,
        vfCoef: config.vfCoef,
        maxGradNorm: config.maxGradNorm,
        targetKl: config.targetKl,
      }),
  );
  let state: PPOState = { format: 'hop-ppo-state', version: 1, algo: config.algo, iteration: 0, elapsed: 0, cpuSeconds: 0, envSteps: 0, episodes: 0 };
  const setup = { game, policies, learners, ext, state };
  if (checkpoint) {
    try {
      state = readPPOState(checkpoint);
      if (state.algo !== config.algo) throw new HopError('E_CHECKPOINT', `${checkpoint} is a checkpoint of --algo ${state.algo}, not ${config.algo}`);
      await loadPPONetworks(checkpoint, nets.map((n) => n.net), learners.map((l) => l.optimizer));
      await ext?.load(checkpoint, state.extra);
    } catch (e) {
      disposeSetup(setup);
      throw e;
    }
  }
  return { ...setup, state };
}

function disposeSetup(s: Setup): void {
  s.learners.forEach((l) => l.dispose());
  s.policies.dispose();
  s.ext?.dispose();
}

/** PPO iterations until `totalTimesteps` env steps (CleanRL: `num_iterations = total_timesteps // batch_size`). */
export function ppoIterations(config: Pick<PPOConfig, 'totalTimesteps' | 'numEnvs' | 'numSteps'>): number {
  return Math.max(1, Math.floor(config.totalTimesteps / (config.numEnvs * config.numSteps)));
}

async function loop(run: RunDir, config: PPOLoopConfig, setup: Setup, log: (line: string) => void, options: RunOptions): Promise<RunResult> {
  const { flag: interrupt, release } = interruptOf(options.interrupt);
  const { game, policies, learners, ext, state } = setup;
  const iterations = ppoIterations(config);
  const P = game.numAgents;
  let lastEval = lastEvalOf(run);
  // Each iteration starts its envs afresh from a seed of its own (episodes cut at the end are bootstrapped), so a
  // resumed run replays exactly what the uninterrupted one would have, with no env state in the checkpoint.
  const env = new VecStagHunt(game.config, { numEnvs: config.numEnvs, seed: config.seed, observations: 'grid', autoReset: true });
  const trainHooks = ext?.hooks(env, 'train') ?? {};
  const batch = allocateBatch(config.numSteps, env, ext?.conditionDim ?? 0);
  try {
    log(
      `hop train --algo ${config.algo}: ${config.env}, ${config.numEnvs} envs x ${config.numSteps} steps per iteration, ${iterations} iterations ` +
        `(${config.totalTimesteps} env steps), ${learners.length === 1 ? 'one shared network' : `${learners.length} independent networks`}`,
    );
    run.appendMetrics(runEvent(state, state.iteration === 0 ? 'start' : 'resume'));
    // Wall and CPU time of the run, as in every loop.
    const clock = new RunClock(state);
    const progress = createProgress({ label: `train ${config.algo}`, total: iterations, unit: 'iterations', mode: config.progress });
    progress.update(state.iteration);
    let checkpointMs = 0;
    while (state.iteration < iterations) {
      const it = state.iteration + 1;
      const wall: Record<string, number> = { checkpoint: checkpointMs };
      checkpointMs = 0;
      const t0 = performance.now();

      // 1. Rollout: numSteps steps of every env, every agent of every env in one forward pass per step.
      env.reset(deriveSeed(config.seed, 'rollout', it));
      const lr = learners.map((l) => l.setIteration(it, iterations))[0];
      const collected = await collectRollout(env, policies, batch, new Rng(deriveSeed(config.seed, 'actions', it)), { gamma: config.gamma, gaeLambda: config.gaeLambda, conditionDim: ext?.conditionDim ?? 0 }, trainHooks);
      wall.rollout = performance.now() - t0;

      // 2. What the extension learns from the rollout (online co-player models).
      const tx = performance.now();
      const extMetrics = ext ? await ext.afterRollout(it) : {};
      wall.moa_update = performance.now() - tx;

      // 3. PPO update of each network on its players' valid samples.
      const tu = performance.now();
      const updateRng = new Rng(deriveSeed(config.seed, 'update', it));
      const reports = learners.map((l, i) => l.update(batch, rowsOf(batch, policies, i), updateRng));
      wall.policy_update = performance.now() - tu;

      state.iteration = it;
      state.envSteps += collected.envSteps;
      state.episodes += collected.episodes.length;

      // 4. Greedy evaluation on held-out seeds.
      let evalRecord: RunMetric | null = null;
      if (evalDue(it, config.evalEvery, iterations)) {
        const te = performance.now();
        const episodes = await evaluatePPO(policies, game, config, ext, it === iterations ? (config.finalEvalEpisodes ?? config.evalEpisodes) : config.evalEpisodes);
        wall.eval = performance.now() - te;
        evalRecord = { kind: 'eval', epoch: it, step: it, time: 0, global_step: state.envSteps, ...episodeMetrics(episodes, 'eval') };
      }
      const spent = clock.tick();
      const iterSeconds = spent.wall;
      const record: RunMetric = {
        kind: 'iteration',
        epoch: it,
        step: it,
        time: round(state.elapsed),
        global_step: state.envSteps,
        ...episodeMetrics(collected.episodes, 'charts'),
        'charts/learning_rate': lr,
        ...cleanRlLosses(reports),
        ...extMetrics,
        'charts/SPS': collected.envSteps / Math.max(1e-9, wall.rollout / 1000),
        'charts/SPS_total': state.envSteps / Math.max(1e-9, state.elapsed),
        'time/policy_forward': collected.timing.forward / 1000,
        'time/env': collected.timing.env / 1000,
        'time/beliefs': collected.timing.hooks / 1000,
        ...Object.fromEntries(Object.entries(wall).map(([k, v]) => [`time/${k}`, v / 1000])),
        'time/iteration': iterSeconds,
        ...spentMetrics(spent, state),
      };
      run.appendMetrics(record);
      if (evalRecord) {
        evalRecord.time = round(state.elapsed);
        run.appendMetrics(evalRecord);
        lastEval = evalRecord;
      }
      // After the records: a kill in between leaves records past the checkpoint, which resume drops.
      if (checkpointDue(it, config.checkpointEvery, iterations, interrupt)) {
        const tc = performance.now();
        await savePPOCheckpoint(join(run.checkpointsDir, `iter-${it}`), learners, state, ext ? (tmp) => ext.save(tmp) : undefined);
        await pruneCheckpoints(run.checkpointsDir);
        checkpointMs = performance.now() - tc;
      }
      // No episode ends in a rollout shorter than an episode: say so rather than print "NaN".
      const ret = record['charts/episodic_return'] as number | undefined;
      const retText = ret !== undefined && Number.isFinite(ret) ? fixed(ret, 2) : 'n/a (no episode ended)';
      progress.update(it, `return ${retText}${lastEval ? ` | eval ${fixed(lastEval['eval/episodic_return'] as number, 2)}` : ''}`);
      log(
        `iteration ${it}/${iterations}: return ${retText} | pg ${(record['losses/policy_loss'] as number).toFixed(3)} v ${(record['losses/value_loss'] as number).toFixed(3)} ` +
          `ent ${(record['losses/entropy'] as number).toFixed(3)} kl ${(record['losses/approx_kl'] as number).toFixed(4)}` +
          (evalRecord ? ` | eval ${(evalRecord['eval/episodic_return'] as number).toFixed(2)} over ${evalRecord['eval/episodes']} episodes` : '') +
          ` | SPS ${Math.round(record['charts/SPS'] as number)} | ${iterSeconds.toFixed(1)}s`,
      );
      await new Promise<void>((r) => setImmediate(r));
      const stopped = stopIfRequested({ run, state, interrupt, log, last: iterations, lastEval, command: 'train' }, (why) => progress.stop(why));
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
    disposeSetup(setup);
    run.close();
    release();
  }
}

/** The valid samples of network i's players, in batch order. */
function rowsOf(batch: ReturnType<typeof allocateBatch>, policies: PPOPolicies, i: number): Int32Array {
  const out: number[] = [];
  const n = batch.steps * batch.slots;
  for (let x = 0; x < n; x++) if (batch.valid[x] && policies.netIndex(x % batch.numAgents) === i) out.push(x);
  return Int32Array.from(out);
}

/** CleanRL's loss scalars, averaged over the networks weighted by their samples. */
export function cleanRlLosses(reports: PPOUpdateReport[]): Record<string, number> {
  const total = reports.reduce((a, r) => a + r.samples, 0) || 1;
  const avg = (f: (r: PPOUpdateReport) => number) => reports.reduce((a, r) => a + f(r) * r.samples, 0) / total;
  return {
    'losses/value_loss': avg((r) => r.valueLoss),
    'losses/policy_loss': avg((r) => r.policyLoss),
    'losses/entropy': avg((r) => r.entropy),
    'losses/old_approx_kl': avg((r) => r.oldApproxKl),
    'losses/approx_kl': avg((r) => r.approxKl),
    'losses/clipfrac': avg((r) => r.clipFrac),
    'losses/explained_variance': avg((r) => (Number.isFinite(r.explainedVariance) ? r.explainedVariance : 0)),
  };
}

/**
 * Greedy play (most probable legal action) of `episodes` (default `evalEpisodes`) episodes on held-out layouts:
 * `evalEnvs` envs in lock-step, each playing its episodes one after another.
 */
export async function evaluatePPO(
  policies: PPOPolicies,
  game: StagHuntSimulator,
  config: PPOLoopConfig,
  ext: PPOExtension | null,
  episodes = config.evalEpisodes,
): Promise<PPOEpisode[]> {
  const E = config.evalEnvs;
  const perEnv = Math.ceil(episodes / E);
  const env = new VecStagHunt(game.config, { numEnvs: E, seed: deriveSeed(config.seed, 'held-out-evaluation'), observations: 'grid', autoReset: false });
  const hooks = ext?.hooks(env, 'eval') ?? {};
  return playEpisodes(env, policies, perEnv, null, ext?.conditionDim ?? 0, hooks);
}

/**
 * Plays `episodesPerEnv` complete episodes in every env of a non-auto-resetting `VecStagHunt` with PPO
 * policies (greedy when `rng` is null), one forward pass per step for every player of every env.
 */
export async function playEpisodes(
  env: VecStagHunt,
  policies: PPOPolicies,
  episodesPerEnv: number,
  rng: Rng | null,
  conditionDim: number,
  hooks: { condition?: Conditioner; observe?: StepObserver },
): Promise<PPOEpisode[]> {
  const E = env.numEnvs;
  const P = env.numAgents;
  const N = E * P;
  const episodes: PPOEpisode[] = [];
  const time = new Float32Array(N);
  const cond = conditionDim > 0 ? new Float32Array(N * conditionDim) : null;
  const inPlay = new Uint8Array(N);
  const ended = new Uint8Array(E);
  for (let e = 0; e < episodesPerEnv; e++) {
    if (e > 0) for (let k = 0; k < E; k++) env.resetEnv(k);
    ended.fill(0);
    inPlay.fill(1);
    let live = E;
    while (live > 0) {
      for (let j = 0; j < N; j++) time[j] = env.times[Math.floor(j / P)];
      if (cond && hooks.condition) await hooks.condition(env, inPlay, cond);
      const out = policies.act({ obs: env.observations, mask: env.masks, time, condition: cond }, N, rng);
      env.step(out.action);
      if (hooks.observe) await hooks.observe(env, out.action, inPlay);
      for (let k = 0; k < E; k++) {
        if (ended[k]) continue;
        for (let p = 0; p < P; p++) if (env.terminations[k * P + p] || env.truncations[k * P + p]) inPlay[k * P + p] = 0;
        if (env.ended[k]) {
          ended[k] = 1;
          live--;
          const s = env.lastEpisode(k)!;
          episodes.push({ returns: s.returns, length: s.length, stags: s.stagsCaught, hares: s.haresCaught });
        }
      }
    }
  }
  return episodes;
}

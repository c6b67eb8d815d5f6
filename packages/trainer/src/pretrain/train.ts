import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { HopError } from '@hop/core';
import { PairRegistry, confusionCsv, pairKey, perClassCsv, savePairRegistry, type Evaluation } from '@hop/moa';
import { ACTION_NAMES } from '@hop/env-staghunt';
import { PretrainConfigSchema, type PretrainConfig } from '../config/schemas';
import { resolveSavedConfig } from '../config/load';
import { actionCounts, epochOrder, openTrainingData, readHostBatch, type HostBatch, type TrainingData } from '../data/dataset';
import type { InterruptFlag } from '../run/interrupt';
import {
  RunClock,
  defaultLog,
  defaultRunName as runName,
  eventRecord,
  hasRunCheckpoint,
  interruptOf,
  interruptTail,
  openForResume,
  resumePoint,
  resumeRun,
  round,
  startRun,
  stopInsideUnit,
  unitCheckpointSaved,
  type RunOptions,
  type RunOutcome,
} from '../run/lifecycle';
import { writeFileAtomic, type RunDir, type RunMetric } from '../run/layout';
import { checkInputs, fingerprintInputs } from '../run/fingerprint';
import { createProgress } from '../run/progress';
import { buildModels, disposeModels, type PretrainModels } from './models';
import { RunningMeans } from './means';
import { loadTrainingCheckpoint, saveTrainingCheckpoint, type LoopState } from './state';
import { trainStep } from './step';
import { validate } from './validate';
import { validateCvae, type CvaeValidation } from './validate-cvae';
import { majorityBaselines, moveAccuracy } from './accuracy';
import { layoutOf, packTrajectories, trajectoriesOf, trajectoryOrder, type SequenceBatchLayout, type Trajectories } from '../data/trajectories';

/** Lines for the user (default: stdout), a stop flag (default: one listening to SIGINT / SIGTERM), a free-space probe (tests). */
export type PretrainOptions = RunOptions;

/** What the per-epoch evaluation file `eval/epoch-N.json` holds (read back by the report). */
export interface EpochEvaluation {
  epoch: number;
  step: number;
  evaluation: Evaluation;
  /** Action counts of the training split (the class distribution the MOA learned from). */
  trainActionCounts: number[];
  /** Subgoal CVAE runs: the MOA under the prior mean and the posterior, and the gumbel slots' meaning. */
  latent?: Pick<CvaeValidation, 'variants' | 'slotMeaning'>;
}

export interface PretrainResult extends RunOutcome {
  epochsDone: number;
  step: number;
  /** The last epoch record (validation metrics), null before the first epoch ends. */
  last: RunMetric | null;
}

/** The dataset, the models and where the loop stands: fresh, or from a checkpoint. */
interface Setup {
  data: TrainingData;
  models: PretrainModels;
  trainCounts: number[];
  state: LoopState;
}

/**
 * Starts a pretraining run in a fresh directory (made only once the dataset has been opened and checked), on
 * the run lifecycle of every long command (run/lifecycle.ts).
 */
export async function pretrain(config: PretrainConfig, options: PretrainOptions = {}): Promise<PretrainResult> {
  const log = options.log ?? defaultLog;
  const out = config.out ?? defaultRunName(config);
  const resolved: PretrainConfig = { ...config, out };
  const E = resolved.epochs;
  return startRun<Setup, PretrainResult>({
    command: 'pretrain',
    out,
    config: resolved,
    seed: resolved.seed,
    log,
    // The run's own models, built once here (the loop trains these): their tensors size the checkpoints.
    open: async () => openSetup(resolved, null),
    inputs: (setup) => ({ dataset: datasetFacts(setup.data, setup.trainCounts), fingerprints: fingerprintInputs({ data: resolved.data }) }),
    dispose: disposeSetup,
    hasCheckpoint: (run) => hasRunCheckpoint(run, 'epoch'),
    // At most: 2 epochs kept + 1 being written, and a Ctrl-C checkpoint beside them or the exported per-pair models.
    space: {
      what: `hop pretrain --epochs ${E}`,
      length: E,
      copies: Math.min(E, 3) + 1,
      copiesWhy: '2 kept + 1 being written, and a Ctrl-C one or the exported models',
      freeBytes: options.freeBytes,
    },
    body: (run, setup) => loop(run, resolved, setup, log, options.interrupt),
  });
}

/** A batch larger than the training split is one short batch per epoch: almost surely not what was meant. */
export function warnBatchSize(batchSize: number, trainSamples: number, log: (line: string) => void): void {
  if (batchSize > trainSamples)
    log(
      `warning: --batch-size ${batchSize} is larger than the training split (${trainSamples} samples): every epoch is one batch ` +
        `of ${trainSamples}; lower --batch-size or collect more episodes`,
    );
}

/**
 * Continues a run from its latest checkpoint that verifies (a Ctrl-C checkpoint inside an epoch, else the
 * last complete epoch; a damaged one is moved aside and the previous one used) with the same data order.
 * The dataset must be the one the run started with (E_INPUT_CHANGED otherwise); the run is locked
 * (E_RUN_LOCKED when another process writes it). `epochs` may extend the run; nothing else can change.
 * config.json is read once, here.
 */
export async function resumePretrain(
  runDir: string,
  overrides: { epochs?: number; progress?: PretrainConfig['progress'] } = {},
  options: PretrainOptions = {},
): Promise<PretrainResult> {
  const log = options.log ?? defaultLog;
  const { run, file, config } = openForResume<PretrainConfig, PretrainConfig>(runDir, 'pretrain', 'a pretraining run', (f, r) =>
    resolveSavedConfig(PretrainConfigSchema, 'pretrain', f, r, { epochs: overrides.epochs, progress: overrides.progress }),
  );
  const setup = await resumeRun<Setup>({
    run,
    file,
    config,
    seed: config.seed,
    log,
    unit: 'epoch',
    point: () => {
      checkInputs(run.root, file.inputs?.fingerprints, { data: config.data }, { data: '--data' });
      return resumePoint(run, { prefix: 'epoch', required: ['state.json', 'moa/meta.json'], unitsDone: (s) => (s as LoopState).epochsDone, log });
    },
    open: (point) => openSetup(config, point),
    done: (s) => s.state.epochsDone,
    // Records written after the checkpoint (a kill between a metrics write and the next checkpoint) go.
    keep: (r, s) => (r.kind === 'epoch' ? r.epoch <= s.state.epochsDone : r.step <= s.state.step),
    detail: (s) => `, batch ${s.state.batch}`,
    budget: { requested: overrides.epochs, planned: file.config.epochs },
    dispose: disposeSetup,
  });
  return loop(run, config, setup, log, options.interrupt);
}

async function openSetup(config: PretrainConfig, checkpoint: string | null): Promise<Setup> {
  const data = openTrainingData(config.data, { valFraction: config.valFraction, seed: config.seed });
  let models: PretrainModels | null = null;
  try {
    const trainCounts = actionCounts(data, data.train);
    models = buildModels(config, data);
    let state: LoopState = {
      format: 'hop-pretrain-state',
      version: 1,
      epochsDone: 0,
      batch: 0,
      step: 0,
      elapsed: 0,
      cpuSeconds: 0,
      epochMeans: { sums: {}, counts: {} },
      windowMeans: { sums: {}, counts: {} },
    };
    if (checkpoint) state = await loadTrainingCheckpoint(checkpoint, models);
    return { data, models, trainCounts, state };
  } catch (e) {
    if (models) disposeModels(models);
    data.dataset.close();
    throw e;
  }
}

function disposeSetup(setup: Setup): void {
  disposeModels(setup.models);
  setup.data.dataset.close();
}

async function loop(run: RunDir, config: PretrainConfig, setup: Setup, log: (line: string) => void, interruptFlag?: InterruptFlag): Promise<PretrainResult> {
  const { flag: interrupt, release } = interruptOf(interruptFlag);
  const { data, models, trainCounts, state } = setup;
  try {
    warnBatchSize(config.batchSize, data.train.length, log);
    const last = [...run.readMetrics()].reverse().find((r) => r.kind === 'epoch') ?? null;

    log(
      `dataset ${data.dir}: ${data.dataset.size} samples, train ${data.train.length} / validation ${data.val.length} ` +
        `(split by episode), ${data.numAgents} players, grid ${data.gridShape.join('x')}`,
    );
    log(
      `objective ${config.objective}, latent ${config.latent}, goal input ${config.goalInput}; ${config.epochs} epochs of ` +
        `${Math.ceil(data.train.length / config.batchSize)} batches of ${config.batchSize}`,
    );
    const val = readHostBatch(data, data.val);
    const ctx: LoopContext = { run, config, data, models, log, interrupt, trainCounts, val, trainTrajectories: null, valLayouts: null };
    if (models.cvae) {
      // Whole trajectories per batch: a row's history is the rows of its trajectory before it.
      // Exploratory rows stay in (trainAll / valAll): they are history; the MOA's loss and scores skip them.
      ctx.trainTrajectories = trajectoriesOf(data, data.trainAll);
      const valT = trajectoriesOf(data, data.valAll);
      ctx.valLayouts = packTrajectories(valT, Int32Array.from({ length: valT.count }, (_, k) => k), config.evalBatchSize).map((ids) => layoutOf(valT, ids));
      log(`subgoal CVAE: ${ctx.trainTrajectories.count} training / ${valT.count} validation trajectories, batches of whole trajectories with >= ${config.batchSize} rows`);
      const explored = data.trainAll.length + data.valAll.length - data.train.length - data.val.length;
      if (explored > 0) log(`subgoal CVAE: ${explored} exploratory rows kept as history (GRU input), left out of the MOA's loss and scores`);
    }
    return await epochs(ctx, state, last);
  } finally {
    disposeSetup(setup);
    run.close();
    release();
  }
}

interface LoopContext {
  run: RunDir;
  config: PretrainConfig;
  data: TrainingData;
  models: PretrainModels;
  log: (line: string) => void;
  interrupt: InterruptFlag;
  trainCounts: number[];
  val: HostBatch;
  /** Subgoal CVAE runs: the training split's trajectories and the validation batches. */
  trainTrajectories: Trajectories | null;
  valLayouts: SequenceBatchLayout[] | null;
}

async function epochs(ctx: LoopContext, state: LoopState, lastRecord: RunMetric | null): Promise<PretrainResult> {
  const { run, config, data, models, log, interrupt } = ctx;
  const bs = config.batchSize;
  let last = lastRecord;
  run.appendMetrics(event(state, state.step === 0 ? 'start' : 'resume'));
  // Wall and CPU time of the run, as in every loop (run/lifecycle.ts).
  const clock = new RunClock(state);
  const result = (): PretrainResult => ({ status: 'completed', runDir: run.root, epochsDone: state.epochsDone, step: state.step, last, elapsed: state.elapsed });

  while (state.epochsDone < config.epochs) {
    const epoch = state.epochsDone + 1;
    const order = epochOrder(data.train, config.seed, epoch);
    const traj = ctx.trainTrajectories;
    const packed = traj ? packTrajectories(traj, trajectoryOrder(traj, config.seed, epoch), bs) : null;
    const numBatches = packed ? packed.length : Math.ceil(data.train.length / bs);
    let trainedSamples = 0;
    const epochMeans = RunningMeans.from(state.epochMeans);
    const windowMeans = RunningMeans.from(state.windowMeans);
    const progress = createProgress({ label: `epoch ${epoch}/${config.epochs}`, total: numBatches, unit: 'batches', mode: config.progress });
    const t0 = performance.now();
    // A resume inside the epoch (from its Ctrl-C checkpoint) goes on from the CPU the epoch had spent before the stop.
    let epochCpu = state.batch > 0 ? (state.epochCpuSeconds ?? 0) : 0;
    for (let b = state.batch; b < numBatches; b++) {
      const layout = packed && traj ? layoutOf(traj, packed[b]) : undefined;
      const batch = readHostBatch(data, layout ? layout.rows : order.subarray(b * bs, Math.min(order.length, (b + 1) * bs)));
      const r = trainStep(models, config, data, batch, state.step, layout);
      trainedSamples += batch.size;
      if (!Number.isFinite(r.total))
        throw new HopError('E_DIVERGED', `the loss became ${r.total} at step ${state.step} (epoch ${epoch}); lower --lr or --alpha-max`);
      const values = { policy: r.policy, kl: r.kl, recon: r.recon, total: r.total };
      epochMeans.add(values);
      windowMeans.add(values);
      state.step++;
      state.batch = b + 1;
      epochCpu += clock.tick().cpu;
      if (state.step % config.logEvery === 0) {
        run.appendMetrics({
          kind: 'train',
          epoch,
          step: state.step,
          time: round(state.elapsed),
          ...windowMeans.means('losses/'),
          'charts/alpha': r.alpha,
          'charts/grad_norm': r.gradNorm,
          ...(r.temperature === null ? {} : { 'charts/temperature': r.temperature }),
        });
        windowMeans.reset();
      }
      progress.update(b + 1, `CE ${fmt(epochMeans.means().policy)}${r.kl === null ? '' : ` KL ${fmt(r.kl)}`} alpha ${fmt(r.alpha)}`);
      // Let signal handlers and the progress bar's timer run: a training step never awaits by itself.
      await new Promise<void>((done) => setImmediate(done));
      if (interrupt.stopRequested && b + 1 < numBatches) {
        progress.stop('interrupted');
        state.epochMeans = epochMeans.toJSON();
        state.windowMeans = windowMeans.toJSON();
        state.epochCpuSeconds = epochCpu;
        return stopInsideUnit({
          run,
          command: 'pretrain',
          log,
          at: at(state),
          time: state,
          where: `in epoch ${epoch} after batch ${b + 1}/${numBatches}`,
          save: (dir) => saveTrainingCheckpoint(dir, models, state),
          result: result(),
        });
      }
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    progress.stop();

    const v0 = performance.now();
    const cv = ctx.valLayouts ? validateCvae(models, config, data, ctx.valLayouts) : null;
    const v = cv ?? validate(models, config, data, ctx.val);
    const valSeconds = (performance.now() - v0) / 1000;
    state.epochsDone = epoch;
    state.batch = 0;
    epochCpu += clock.tick().cpu;
    const ev = v.evaluation;
    const baseline = majorityBaselines(ev);
    const record: RunMetric = {
      kind: 'epoch',
      epoch,
      step: state.step,
      time: round(state.elapsed),
      ...epochMeans.means('train/'),
      'val/top1': ev.top1,
      'val/top3': ev.top3,
      'val/nll': ev.nll,
      'val/macro_f1': ev.macro.f1,
      'val/top1_moves': moveAccuracy(ev),
      'val/majority_baseline': baseline.all,
      'val/majority_baseline_moves': baseline.moves,
      ...(v.kl === null ? {} : { 'val/kl': v.kl }),
      ...(cv
        ? {
            'val/top1_prior_mean': cv.variants.priorMean.top1,
            'val/top1_moves_prior_mean': cv.variants.priorMean.top1Moves,
            'val/top1_posterior': cv.variants.posterior.top1,
            'val/top1_moves_posterior': cv.variants.posterior.top1Moves,
          }
        : {}),
      ...(v.recon === null ? {} : { 'val/recon': v.recon }),
      'perf/samples_per_s': trainSeconds > 0 ? trainedSamples / trainSeconds : 0,
      'perf/epoch_seconds': trainSeconds,
      'perf/val_seconds': valSeconds,
      'perf/epoch_cpu_seconds': round(epochCpu),
      ...(state.cpuSeconds !== undefined ? { 'perf/cpu_seconds': round(state.cpuSeconds) } : {}),
    };
    const evalFile: EpochEvaluation = {
      epoch,
      step: state.step,
      evaluation: ev,
      trainActionCounts: ctx.trainCounts,
      ...(cv ? { latent: { variants: cv.variants, slotMeaning: cv.slotMeaning } } : {}),
    };
    await writeFileAtomic(run.evalPath(epoch, 'json'), JSON.stringify(evalFile) + '\n');
    await writeFileAtomic(run.evalPath(epoch, 'csv'), perClassCsv(ev) + '\n' + confusionCsv(ev));
    run.appendMetrics(record);
    state.epochMeans = { sums: {}, counts: {} };
    state.windowMeans = windowMeans.toJSON();
    delete state.epochCpuSeconds;
    await saveTrainingCheckpoint(run.epochCheckpoint(epoch), models, state);
    await unitCheckpointSaved(run, 'epoch');
    last = record;
    log(
      `epoch ${epoch}/${config.epochs}: train CE ${fmt(record['train/policy'] as number)}` +
        (v.kl === null ? '' : ` KL ${fmt(record['train/kl'] as number)}`) +
        ` | val top-1 ${ev.top1.toFixed(3)} top-3 ${ev.top3.toFixed(3)} CE ${fmt(ev.nll)}` +
        ` | ${Math.round(record['perf/samples_per_s'] as number)} samples/s, ${trainSeconds.toFixed(1)}s + val ${valSeconds.toFixed(1)}s`,
    );
    if (cv) log(`  top-1 on moves: prior-sampled z ${moveAccuracy(ev).toFixed(3)}, prior mean ${cv.variants.priorMean.top1Moves.toFixed(3)}, posterior (sees the subgoal) ${cv.variants.posterior.top1Moves.toFixed(3)}`);
    if (v.kl !== null && v.kl < config.klWarn)
      log(
        `warning: validation KL ${v.kl.toExponential(2)} is under --kl-warn ${config.klWarn}: ` +
          (cv
            ? 'the posterior adds almost nothing to the prior (the subgoal goes unused); compare the prior-sampled top-1 with the no-goal bound, and try --free-bits'
            : 'the latent carries almost no information (collapsed); try --latent cvae, or a lower --alpha-max'),
      );
    if (interrupt.stopRequested && epoch < config.epochs)
      return interruptTail({ run, command: 'pretrain', log, at: at(state), time: state, where: `after epoch ${epoch}`, saved: run.epochCheckpoint(epoch), result: result() });
  }

  if (config.pairs && ctx.models.moa) await writePairs(ctx);
  clock.tick();
  run.appendMetrics(event(state, 'end'));
  log(
    `done: ${state.epochsDone} epochs, ${state.step} steps, ${state.elapsed.toFixed(1)}s ` +
      `(${(state.cpuSeconds ?? 0).toFixed(1)} CPU-s${state.cpuSeconds === undefined ? ', not recorded by the checkpoint it resumed from' : ''})`,
  );
  return result();
}

/** Validation of one per-pair model on its pair's rows. */
export interface PairEvaluation {
  pair: string;
  /** The observer and the modelled co-player: model i_to_j predicts player j. */
  i: number;
  j: number;
  /** Validation rows of player j. */
  rows: number;
  top1: number;
  top1Moves: number;
  majorityMoves: number;
}

/**
 * Evaluates every per-pair model player_i_to_j on the validation rows of player j (its pair's rows), with
 * the run's goal input (the CVAE on player j's whole trajectories). Pairs that share one model are
 * evaluated once per co-player.
 */
function evaluatePairs(ctx: LoopContext, registry: PairRegistry): PairEvaluation[] {
  const { data, models, config } = ctx;
  const agentOf = data.dataset.batch(data.val, ['agent']).agent;
  const agentOfAll = data.dataset.batch(data.valAll, ['agent']).agent;
  const done = new Map<string, Omit<PairEvaluation, 'pair' | 'i' | 'j'>>();
  const ids = new Map<unknown, number>();
  const out: PairEvaluation[] = [];
  for (let i = 0; i < data.numAgents; i++)
    for (let j = 0; j < data.numAgents; j++) {
      if (i === j) continue;
      const moa = registry.model(i, j);
      if (!ids.has(moa)) ids.set(moa, ids.size);
      const key = `${ids.get(moa)}/${j}`;
      let r = done.get(key);
      if (!r) {
        const rows = data.val.filter((_, k) => agentOf[k] === j);
        const m = { ...models, moa };
        let ev: Evaluation;
        if (models.cvae) {
          // whole trajectories, exploratory rows included as history (validateCvae scores the others)
          const t = trajectoriesOf(data, data.valAll.filter((_, k) => agentOfAll[k] === j));
          const layouts = packTrajectories(t, Int32Array.from({ length: t.count }, (_, k) => k), config.evalBatchSize).map((g) => layoutOf(t, g));
          ev = validateCvae(m, config, data, layouts).evaluation;
        } else ev = validate(m, config, data, readHostBatch(data, rows)).evaluation;
        r = { rows: rows.length, top1: ev.top1, top1Moves: moveAccuracy(ev), majorityMoves: majorityBaselines(ev).moves };
        done.set(key, r);
      }
      out.push({ pair: pairKey(i, j), i, j, ...r });
    }
  return out;
}

/** The per-pair models player_i_to_j, all starting from the generic MOA (shared until trained). */
async function writePairs(ctx: LoopContext): Promise<void> {
  const { models, data, run, config } = ctx;
  const registry = new PairRegistry(models.moa, data.numAgents, models.moaTrainer.config);
  try {
    await savePairRegistry(run.pairsDir, registry, {
      source: relative(run.root, run.epochCheckpoint(config.epochs)),
      goalInput: config.goalInput,
      note: 'pairs start from the generic MOA; z comes from the VAE in the source checkpoint',
    });
    await writeFile(
      join(run.pairsDir, 'pairs.json'),
      JSON.stringify({ numAgents: data.numAgents, pairs: registry.keys() }, null, 2) + '\n',
    );
    ctx.log(`per-pair models ${registry.keys().join(', ')} written to ${run.pairsDir}`);
    const evaluations = evaluatePairs(ctx, registry);
    await writeFileAtomic(join(run.pairsDir, 'evaluation.json'), JSON.stringify(evaluations, null, 2) + '\n');
    ctx.log(
      'per-pair validation (model i_to_j on the rows of player j): ' +
        evaluations.map((e) => `${e.pair} top-1 ${e.top1.toFixed(3)} moves ${e.top1Moves.toFixed(3)}`).join('; '),
    );
  } finally {
    registry.dispose();
  }
}

export { moveAccuracy } from './accuracy';

const at = (state: LoopState) => ({ epoch: state.epochsDone, step: state.step });
const event = (state: LoopState, name: string): RunMetric => eventRecord(name, at(state), state);

function datasetFacts(data: TrainingData, trainCounts: number[]): Record<string, unknown> {
  const m = data.dataset.meta;
  return {
    dir: data.dir,
    samples: data.dataset.size,
    episodes: m.counts.episodes,
    trainSamples: data.train.length,
    valSamples: data.val.length,
    preset: m.preset,
    population: m.population,
    gridShape: data.gridShape,
    players: data.numAgents,
    goals: m.counts.goals,
    trainActionCounts: Object.fromEntries(ACTION_NAMES.map((n, i) => [n, trainCounts[i]])),
  };
}

function defaultRunName(config: PretrainConfig): string {
  return runName('pretrain', `${config.objective}-${config.latent}-${config.goalInput}`);
}

const fmt = (x: number | undefined) => (x === undefined ? '-' : Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4));


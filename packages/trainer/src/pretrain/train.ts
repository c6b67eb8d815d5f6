import { rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HopError } from '@hop/core';
import { PairRegistry, confusionCsv, pairKey, perClassCsv, savePairRegistry, type Evaluation } from '@hop/moa';
import { ACTION_NAMES } from '@hop/env-staghunt';
import { PretrainConfigSchema, type PretrainConfig } from '../config/schemas';
import { resolveConfig } from '../config/load';
import { actionCounts, epochOrder, openTrainingData, readHostBatch, type HostBatch, type TrainingData } from '../data/dataset';
import { prepareEnvironment } from '../run/environment';
import type { InterruptFlag } from '../run/interrupt';
import { continueWith, defaultLog, defaultRunName as runName, interruptOf, warnEngineChange, type RunStatus } from '../run/lifecycle';
import { RunDir, writeFileAtomic, type RunMetric } from '../run/layout';
import { checkInputs, fingerprintInputs } from '../run/fingerprint';
import { newestVerifiedCheckpoint } from '../run/verify';
import { checkResumeBudget } from '../run/resume-budget';
import { createProgress } from '../run/progress';
import { buildModels, disposeModels, type PretrainModels } from './models';
import * as tf from '@tensorflow/tfjs';
import { checkpointBytes, recordBytes } from '../run/budget';
import { formatBytes, type FreeSpaceCheck } from '../run/fs-errors';
import { RunningMeans } from './means';
import { loadTrainingCheckpoint, readLoopState, saveTrainingCheckpoint, type LoopState } from './state';
import { trainStep } from './step';
import { validate } from './validate';
import { validateCvae, type CvaeValidation } from './validate-cvae';
import { majorityBaselines, moveAccuracy } from './accuracy';
import { layoutOf, packTrajectories, trajectoriesOf, trajectoryOrder, type SequenceBatchLayout, type Trajectories } from '../data/trajectories';

export interface PretrainOptions {
  /** Lines for the user (default: stdout). */
  log?: (line: string) => void;
  /** Stop flag (default: one listening to SIGINT / SIGTERM for the duration of the run). */
  interrupt?: InterruptFlag;
  /** Free bytes of the filesystem holding a path (tests simulate a small disk with it). */
  freeBytes?: (path: string) => number;
}

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

export interface PretrainResult {
  status: RunStatus;
  runDir: string;
  epochsDone: number;
  step: number;
  /** The last epoch record (validation metrics), null before the first epoch ends. */
  last: RunMetric | null;
  /** Seconds spent in the training loop (all invocations of a resumed run). */
  elapsed: number;
}

/** Starts a pretraining run in a fresh directory (made only once the dataset has been opened and checked). */
export async function pretrain(config: PretrainConfig, options: PretrainOptions = {}): Promise<PretrainResult> {
  const log = options.log ?? defaultLog;
  const environment = await prepareEnvironment(log);
  const out = config.out ?? defaultRunName(config);
  const resolved: PretrainConfig = { ...config, out };
  const data = openTrainingData(resolved.data, { valFraction: resolved.valFraction, seed: resolved.seed });
  const run = new RunDir(out);
  let trainCounts: number[];
  let models: PretrainModels | null = null;
  try {
    trainCounts = actionCounts(data, data.train);
    const fingerprints = fingerprintInputs({ data: resolved.data });
    // The run's own models, built once here (the loop trains these): their tensors size the checkpoints.
    const before = tf.memory().numBytes;
    models = buildModels(resolved, data);
    const space = checkpointSpace(resolved, Math.max(0, tf.memory().numBytes - before), options.freeBytes);
    run.create('pretrain', resolved, environment, { dataset: datasetFacts(data, trainCounts), fingerprints }, space);
  } catch (e) {
    if (models) disposeModels(models);
    data.dataset.close();
    throw e;
  }
  log(`seed ${resolved.seed}; run directory ${run.root}`);
  warnBatchSize(resolved.batchSize, data.train.length, log);
  const built = models;
  return run.guardStart(() => hasCheckpoint(run), () => loop(run, resolved, data, null, trainCounts, log, options.interrupt, built), log);
}

/**
 * What a pretraining run keeps at most: every epoch's checkpoint and one more (a Ctrl-C checkpoint beside the
 * epochs done, or the exported per-pair models at the end), each the models' weights with Adam's two moments
 * (x 3), and its records (per-epoch evaluation files, report).
 */
function checkpointSpace(config: PretrainConfig, tensorBytes: number, freeBytes?: (path: string) => number): FreeSpaceCheck {
  const one = checkpointBytes(tensorBytes);
  const copies = config.epochs + 1;
  const records = recordBytes(config.epochs);
  return {
    bytes: copies * one + records,
    what:
      `hop pretrain --epochs ${config.epochs}: ${copies} checkpoints (one per epoch, and a Ctrl-C one or the exported models) of at most ` +
      `${formatBytes(one)} each (${formatBytes(tensorBytes)} of weights x 3 with Adam's moments), and ${formatBytes(records)} of records and report; an upper bound`,
    freeBytes,
  };
}

/** A batch larger than the training split is one short batch per epoch: almost surely not what was meant. */
export function warnBatchSize(batchSize: number, trainSamples: number, log: (line: string) => void): void {
  if (batchSize > trainSamples)
    log(
      `warning: --batch-size ${batchSize} is larger than the training split (${trainSamples} samples): every epoch is one batch ` +
        `of ${trainSamples}; lower --batch-size or collect more episodes`,
    );
}

function hasCheckpoint(run: RunDir): boolean {
  return run.completeEpochs().length > 0 || existsSync(run.interruptCheckpoint);
}

/**
 * Continues a run from its latest checkpoint that verifies (a Ctrl-C checkpoint inside an epoch, else the
 * last complete epoch; a damaged one is moved aside and the previous one used) with the same data order.
 * The dataset must be the one the run started with (E_INPUT_CHANGED otherwise); the run is locked
 * (E_RUN_LOCKED when another process writes it). `epochs` may extend the run; nothing else can change.
 */
export async function resumePretrain(
  runDir: string,
  overrides: { epochs?: number; progress?: PretrainConfig['progress'] } = {},
  options: PretrainOptions = {},
): Promise<PretrainResult> {
  const log = options.log ?? defaultLog;
  const run = new RunDir(runDir);
  const file = run.readConfig<PretrainConfig>();
  if (file.command !== 'pretrain') throw new HopError('E_RUN', `${run.root} is a '${file.command}' run, not a pretraining run`);
  const config = resolveConfig(PretrainConfigSchema, 'pretrain', {
    file: { path: run.configPath, values: file.config as Record<string, unknown> },
    flags: { epochs: overrides.epochs, progress: overrides.progress },
  });
  run.acquire('pretrain --resume');
  let data: TrainingData;
  let point: string | null;
  let state: LoopState | null;
  try {
    checkInputs(run.root, file.inputs?.fingerprints, { data: config.data }, { data: '--data' });
    const environment = await prepareEnvironment(log);
    warnEngineChange(file.resumes?.at(-1) ?? file.environment, environment, log);
    data = openTrainingData(config.data, { valFraction: config.valFraction, seed: config.seed });
    point = resumePoint(run, log);
    state = point ? await readLoopState(point) : null;
    const planned = (file.config as PretrainConfig).epochs;
    checkResumeBudget({ run: run.root, flag: '--epochs', unit: 'epochs', requested: overrides.epochs, done: state?.epochsDone ?? 0, planned });
    // Records written after the checkpoint (a kill between a metrics write and the next checkpoint) go.
    run.reopen(environment, (r) => (r.kind === 'epoch' ? r.epoch <= (state?.epochsDone ?? 0) : r.step <= (state?.step ?? 0)), config, file);
  } catch (e) {
    run.close();
    throw e;
  }
  if (!point) log(`no checkpoint in ${run.checkpointsDir}: restarting the run from epoch 1 (seed ${config.seed})`);
  else log(`resuming ${run.root} from ${relative(run.root, point)}: epoch ${state!.epochsDone + 1}, batch ${state!.batch} (seed ${config.seed})`);
  warnBatchSize(config.batchSize, data.train.length, log);
  return loop(run, config, data, point, actionCounts(data, data.train), log, options.interrupt);
}

/**
 * The newest checkpoint that verifies: the Ctrl-C one when it is ahead of the last complete epoch, then the
 * epochs newest first. Damaged ones are moved aside (`checkpoints/damaged-*`) and said so.
 */
function resumePoint(run: RunDir, log: (line: string) => void): string | null {
  const epochs = run.completeEpochs();
  const lastDone = epochs.length ? epochs[epochs.length - 1] : 0;
  const candidates: string[] = [];
  if (existsSync(run.interruptCheckpoint)) {
    let ahead = true;
    try {
      ahead = (JSON.parse(readFileSync(join(run.interruptCheckpoint, 'state.json'), 'utf8')) as LoopState).epochsDone >= lastDone;
    } catch {
      // Unreadable: a candidate that verification will reject and move aside.
    }
    if (ahead) candidates.push(run.interruptCheckpoint);
  }
  for (const e of [...epochs].reverse()) candidates.push(run.epochCheckpoint(e));
  return newestVerifiedCheckpoint(candidates, ['state.json', 'moa/meta.json'], log);
}

async function loop(
  run: RunDir,
  config: PretrainConfig,
  data: TrainingData,
  checkpoint: string | null,
  trainCounts: number[],
  log: (line: string) => void,
  interruptFlag?: InterruptFlag,
  built?: PretrainModels,
): Promise<PretrainResult> {
  const { flag: interrupt, release } = interruptOf(interruptFlag);
  const models = built ?? buildModels(config, data);
  try {
    let state: LoopState = {
      format: 'hop-pretrain-state',
      version: 1,
      epochsDone: 0,
      batch: 0,
      step: 0,
      elapsed: 0,
      epochMeans: { sums: {}, counts: {} },
      windowMeans: { sums: {}, counts: {} },
    };
    if (checkpoint) state = await loadTrainingCheckpoint(checkpoint, models);
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
    disposeModels(models);
    data.dataset.close();
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
  if (state.step === 0) run.appendMetrics(event(state, 'start'));
  else run.appendMetrics(event(state, 'resume'));

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
    const elapsed0 = state.elapsed;
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
      state.elapsed = elapsed0 + (performance.now() - t0) / 1000;
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
        await saveTrainingCheckpoint(run.interruptCheckpoint, models, state);
        run.appendMetrics(event(state, 'interrupt'));
        log(
          `interrupted in epoch ${epoch} after batch ${b + 1}/${numBatches}; checkpoint saved to ${run.interruptCheckpoint}\n` +
            `continue with: ${continueWith('pretrain', run.root)}`,
        );
        return { status: 'interrupted', runDir: run.root, epochsDone: state.epochsDone, step: state.step, last, elapsed: state.elapsed };
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
    state.elapsed = elapsed0 + (performance.now() - t0) / 1000;
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
    await saveTrainingCheckpoint(run.epochCheckpoint(epoch), models, state);
    await rm(run.interruptCheckpoint, { recursive: true, force: true });
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
    if (interrupt.stopRequested && epoch < config.epochs) {
      run.appendMetrics(event(state, 'interrupt'));
      log(`interrupted after epoch ${epoch}; checkpoint ${run.epochCheckpoint(epoch)}\ncontinue with: ${continueWith('pretrain', run.root)}`);
      return { status: 'interrupted', runDir: run.root, epochsDone: state.epochsDone, step: state.step, last, elapsed: state.elapsed };
    }
  }

  if (config.pairs && ctx.models.moa) await writePairs(ctx);
  run.appendMetrics(event(state, 'end'));
  log(`done: ${state.epochsDone} epochs, ${state.step} steps, ${state.elapsed.toFixed(1)}s in the loop`);
  return { status: 'completed', runDir: run.root, epochsDone: state.epochsDone, step: state.step, last, elapsed: state.elapsed };
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

function event(state: LoopState, name: string): RunMetric {
  return { kind: 'event', event: name, epoch: state.epochsDone, step: state.step, time: round(state.elapsed), at: new Date().toISOString() };
}

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

const round = (x: number) => Math.round(x * 1000) / 1000;
const fmt = (x: number | undefined) => (x === undefined ? '-' : Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4));


import { cp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HopError, readCheckpointMeta } from '@hop/core';
import { RUN_FILES, networkParams, openTransitionData, parseWorldModelConfig, trainWorldModel, type WorldModelConfigInput } from '@hop/world-model';
import { explorationOf } from '@hop/env-staghunt';
import { openCheckedDataset } from '../data/dataset';
import { warnBatchSize } from '../pretrain/train';
import { checkInputs, fingerprintInputs } from '../run/fingerprint';
import { verifyCheckpoint, newestVerifiedCheckpoint } from '../run/verify';
import { resolveSavedConfig, resumeEpochs } from '../config/load';
import { WorldModelCliSchema, type WorldModelCliConfig } from '../config/schemas';
import { writeReport } from '../report/build';
import {
  RunClock,
  clockOfRecords,
  defaultLog,
  defaultRunName,
  eventRecord,
  interruptOf,
  interruptTail,
  openForResume,
  resumeRun,
  round,
  spentMetrics,
  startRun,
  type RunAt,
  type RunOptions,
  type RunOutcome,
  type RunStatus,
  type RunTime,
} from '../run/lifecycle';
import { writeDirAtomic, type RunDir } from '../run/layout';
import { createProgress, type Progress } from '../run/progress';
import { checkOffPolicy } from './offpolicy';
import { checkpointBytes, recordBytes } from '../run/budget';
import { formatBytes, type FreeSpaceCheck } from '../run/fs-errors';

export type WorldModelCommandInput =
  | { config: WorldModelCliConfig }
  | { resume: string; flags: Record<string, unknown>; configFile?: string };

/** The CLI's flat options as @hop/world-model's config. */
export function worldModelConfigOf(c: WorldModelCliConfig): WorldModelConfigInput {
  return {
    arch: c.arch,
    seed: c.seed,
    epochs: c.epochs,
    batchSize: c.batchSize,
    learningRate: c.lr,
    minLrFactor: c.minLrFactor,
    gradClipNorm: c.gradClipNorm,
    actionPlanes: c.actionPlanes,
    direct: { layers: [{ filters: c.filters, kernel: 3 }, { filters: c.filters, kernel: 1 }, { filters: c.filters, kernel: 1 }] },
    ...(c.channelWeights ? { channelWeights: c.channelWeights } : {}),
  };
}

/** What `hop world-model` returns to its command. */
export interface WorldModelResult extends RunOutcome {
  epochsDone: number;
}

/** The data, where the run stands (its clock included) and the checkpoint @hop/world-model resumes from. */
interface Setup {
  data: Awaited<ReturnType<typeof openTransitionData>>;
  time: RunTime;
  /** Where the run stands for its events: the epochs done (`step` stays 0: the optimiser steps are in the epoch records). */
  at: RunAt;
  /** `true`: `<run>/checkpoint`; a path: the previous epoch's copy (the newest was damaged); false: from the start. */
  resumeFrom: string | boolean;
}

/**
 * `hop world-model`: trains @hop/world-model's model on a collected dataset in a run directory (config.json,
 * metrics.jsonl, checkpoint/, checkpoint-previous/, best/, report.html), on the run lifecycle of every long
 * command (run/lifecycle.ts): resumable after a kill or Ctrl-C (from the last finished epoch, same batch
 * order), with the run clock on every record, and the world-model report section. Returns the run's status
 * (the CLI maps it to an exit code).
 */
export async function runWorldModelCommand(
  input: WorldModelCommandInput,
  log: (l: string) => void = defaultLog,
  options: Omit<RunOptions, 'log'> = {},
): Promise<RunStatus> {
  const result = 'resume' in input ? await resumeWorldModel(input, log, options) : await startWorldModel(input.config, log, options);
  if (result.status !== 'completed') return result.status;
  const report = await writeReport(result.runDir);
  log(`report: ${report}`);
  return result.status;
}

async function startWorldModel(given: WorldModelCliConfig, log: (l: string) => void, options: Omit<RunOptions, 'log'>): Promise<WorldModelResult> {
  const config: WorldModelCliConfig = { ...given, out: given.out ?? defaultRunName('wm', given.arch) };
  return startRun<Setup, WorldModelResult>({
    command: 'world-model',
    out: config.out as string,
    config,
    seed: config.seed,
    log,
    // Everything that can fail on bad input is checked before the run directory exists.
    open: async () => ({ data: await openData(config, log), at: { epoch: 0, step: 0 }, time: { elapsed: 0, cpuSeconds: 0 }, resumeFrom: false }),
    inputs: () => ({ dataset: { dir: config.data }, fingerprints: fingerprintInputs({ data: config.data }) }),
    dispose: () => {},
    hasCheckpoint: (run) => existsSync(join(run.root, RUN_FILES.checkpoint)),
    space: { check: (setup) => checkpointSpace(config, setup.data, options.freeBytes) },
    body: (run, setup) => loop(run, config, setup, true, log, options),
  });
}

/** Continues a run from `checkpoint/` (or `checkpoint-previous/` when that is damaged); config.json is read once, here. */
async function resumeWorldModel(
  input: Extract<WorldModelCommandInput, { resume: string }>,
  log: (l: string) => void,
  options: Omit<RunOptions, 'log'>,
): Promise<WorldModelResult> {
  const epochs = resumeEpochs(input.flags, input.configFile) as number | undefined;
  const { run, file, config } = openForResume<WorldModelCliConfig, WorldModelCliConfig>(input.resume, 'world-model', 'a world-model run', (f, r) =>
    resolveSavedConfig(WorldModelCliSchema, 'world-model', f, r, { epochs, progress: input.flags.progress }),
  );
  const ckpt = join(run.root, RUN_FILES.checkpoint);
  const setup = await resumeRun<Setup>({
    run,
    file,
    config,
    seed: config.seed,
    log,
    unit: 'epoch',
    checkpointsDir: run.root,
    point: () => {
      checkInputs(run.root, file.inputs?.fingerprints, { data: config.data }, { data: '--data' });
      const candidates = [ckpt, previousCheckpoint(run)].filter((d) => existsSync(d));
      return candidates.length ? newestVerifiedCheckpoint(candidates, ['meta.json'], log) : null;
    },
    open: async (point) => {
      const data = await openData(config, log);
      if (!point) return { data, at: { epoch: 0, step: 0 }, time: { elapsed: 0, cpuSeconds: 0 }, resumeFrom: false };
      const extra = ((await readCheckpointMeta(point)).extra ?? {}) as { epoch?: unknown };
      // Events carry step 0 as they always have: the optimiser steps are in the epoch records.
      const at = { epoch: Number(extra.epoch ?? 0), step: 0 };
      // The clock goes on from the records kept: the checkpoint's epoch record, and the events after it (a
      // Ctrl-C's interrupt event holds the time spent in the epoch it stopped inside, which is trained again).
      const time = clockOfRecords(run.readMetrics().filter((r) => (r.section === 'world-model' ? r.epoch <= at.epoch : r.kind === 'event')));
      return { data, at, time, resumeFrom: point === ckpt ? true : point };
    },
    done: (s) => s.at.epoch,
    // A fallback to an older checkpoint drops the records of the epochs after it.
    keep: (r, s) => (r.section === 'world-model' ? r.epoch <= s.at.epoch : true),
    budget: { requested: epochs, planned: file.config.epochs },
  });
  return loop(run, config, setup, false, log, options);
}

async function loop(
  run: RunDir,
  config: WorldModelCliConfig,
  setup: Setup,
  fresh: boolean,
  log: (l: string) => void,
  options: Omit<RunOptions, 'log'>,
): Promise<WorldModelResult> {
  const { flag: interrupt, release } = interruptOf(options.interrupt);
  // @hop/world-model stops on an AbortSignal, after the batch it is training.
  const abort = new AbortController();
  const stop = () => abort.abort();
  interrupt.onRequest(stop);
  if (interrupt.stopRequested) abort.abort();
  const { at, time: state } = setup;
  const result = (status: RunStatus): WorldModelResult => ({ status, runDir: run.root, elapsed: state.elapsed, epochsDone: at.epoch });
  try {
    const { dataset, train, val } = setup.data;
    log(`dataset ${config.data}: ${dataset.size} transitions, train ${train.size} / validation ${val.size} (split by episode)`);
    warnBatchSize(config.batchSize, train.size, log);
    run.appendMetrics(eventRecord(fresh ? 'start' : 'resume', at, state));
    // Wall and CPU time of the run, as in every loop: each epoch record carries it (time, time/cpu, perf/cpu_seconds).
    const clock = new RunClock(state);
    const writer = run.writerForExtensions((r) => {
      if (r.section !== 'world-model') return r;
      at.epoch = Number(r.epoch);
      const spent = clock.tick();
      return { ...r, time: round(state.elapsed), ...spentMetrics(spent, state) };
    });
    let progress: Progress | null = null;
    let epochNow = 0;
    const trained = await trainWorldModel({
      config: worldModelConfigOf(config),
      data: { train, val },
      outDir: run.root,
      runWriter: writer,
      resumeFrom: setup.resumeFrom,
      signal: abort.signal,
      onBatch: ({ epoch, batch, batches }) => {
        if (epoch !== epochNow) {
          progress?.stop();
          epochNow = epoch;
          progress = createProgress({ label: `epoch ${epoch}/${config.epochs}`, total: batches, unit: 'batches', mode: config.progress });
        }
        progress?.update(batch);
      },
      onEpoch: async (e) => {
        progress?.stop();
        progress = null;
        await keepPreviousCheckpoint(run);
        log(
          `epoch ${e.epoch}/${e.epochs}: train loss ${e.train.total.toPrecision(4)} | val obs MSE ${e.val.obsMse.toPrecision(3)} ` +
            `PSNR ${e.val.psnr.toFixed(2)} dB, positions exact ${(100 * e.val.positionAccuracy).toFixed(3)}%, hunt outcome exact ${(100 * e.val.outcomeAccuracy).toFixed(3)}%, ` +
            // n/a: no row's reward follows from one view (prosocial or strength-split rules)
            `rewards exact ${e.val.rewardExact === null ? 'n/a' : `${(100 * e.val.rewardExact).toFixed(3)}%`}, ` +
            `val loss ${e.valLosses.total.toPrecision(4)} (best/ is chosen on it) ` +
            `| ${Math.round(e.transitionsPerSecond)} transitions/s${e.best ? ' (best)' : ''}`,
        );
        // Let a pending Ctrl-C reach the trainer before the next epoch starts.
        await new Promise<void>((done) => setImmediate(done));
      },
    });
    trained.model.dispose();
    clock.tick();
    at.epoch = trained.completedEpochs;
    if (trained.aborted) {
      (progress as Progress | null)?.stop('interrupted');
      const n = trained.completedEpochs;
      return interruptTail({
        run,
        command: 'world-model',
        log,
        at,
        time: state,
        where: `in epoch ${n + 1} (a resume trains it again from its start)`,
        saved: n > 0 ? trained.checkpointDir : null,
        result: result('interrupted'),
      });
    }
    run.appendMetrics(eventRecord('end', at, state));
    log(
      `done: ${trained.completedEpochs} epochs; best epoch ${trained.bestEpoch} in ${trained.bestDir}; ${state.elapsed.toFixed(1)}s ` +
        `(${(state.cpuSeconds ?? 0).toFixed(1)} CPU-s${state.cpuSeconds === undefined ? ', not recorded by the run it resumed' : ''})`,
    );
    if (config.offPolicyEpisodes > 0) {
      log(`checking the best model off the data's policy on ${config.offPolicyEpisodes} fresh episodes of the true game ...`);
      await checkOffPolicy(run.root, trained.bestDir, config.data, { episodes: config.offPolicyEpisodes, seed: config.seed }, log);
    }
    return result('completed');
  } finally {
    interrupt.offRequest(stop);
    run.close();
    release();
  }
}

/**
 * Opens the transitions after scanning the dataset's values (E_DATASET_VALUE names file, row, column) and
 * checking that it explores: a planner tries every action, so data of the population alone teaches a model
 * that fails off its policy (E_DATASET_NO_EXPLORATION unless --on-policy-data).
 */
async function openData(config: WorldModelCliConfig, log: (l: string) => void) {
  const ds = openCheckedDataset(config.data);
  const exploration = explorationOf(ds.meta);
  ds.close();
  if (exploration.share === 0) {
    const what =
      `${config.data} holds only the population's own actions (no exploration in its meta.json); a planner tries ` +
      'every action, and a model trained on such data is unreliable on the others (stay, blocked moves, ...)';
    if (!config.onPolicyData)
      throw new HopError(
        'E_DATASET_NO_EXPLORATION',
        `${what}. Collect world-model data with exploratory actions: hop collect --explore 0.5 --out <dir>; or pass --on-policy-data to train on it anyway`,
      );
    log(`warning: ${what} (--on-policy-data)`);
  } else log(`dataset exploration: ${(100 * exploration.share).toFixed(0)}% uniformly random actions (${exploration.exploredRows} rows)`);
  return openTransitionData(config.data, { valFraction: config.valFraction, seed: config.seed });
}

/**
 * What a world-model run keeps at most: `checkpoint/` and `checkpoint-previous/` (weights with Adam's two
 * moments, x 3 each), `best/` (weights only) and one of them being written beside its old copy (x 3): 10 x the
 * network's weights, counted from its shapes (the network is built once, by the trainer).
 */
function checkpointSpace(config: WorldModelCliConfig, data: { train: { layout: Parameters<typeof networkParams>[1] } }, freeBytes?: (path: string) => number): FreeSpaceCheck {
  const weights = 4 * networkParams(parseWorldModelConfig(worldModelConfigOf(config)), data.train.layout);
  const records = recordBytes(config.epochs);
  return {
    bytes: 10 * weights + 4 * checkpointBytes(0) + records,
    what:
      `hop world-model --arch ${config.arch}: checkpoint/, checkpoint-previous/, best/ and one being written ` +
      `(${formatBytes(weights)} of weights, x 3 with Adam's moments but in best/), and ${formatBytes(records)} of records and report; an upper bound`,
    freeBytes,
  };
}

function previousCheckpoint(run: RunDir): string {
  return join(run.root, `${RUN_FILES.checkpoint}-previous`);
}

/**
 * After each epoch, a verified copy of `checkpoint/` goes to `checkpoint-previous/`: @hop/world-model keeps
 * one checkpoint, and a damaged one must leave something to resume from.
 */
async function keepPreviousCheckpoint(run: RunDir): Promise<void> {
  const ckpt = join(run.root, RUN_FILES.checkpoint);
  if (verifyCheckpoint(ckpt, ['meta.json']) !== null) return;
  await writeDirAtomic(previousCheckpoint(run), (tmp) => cp(ckpt, tmp, { recursive: true }));
}

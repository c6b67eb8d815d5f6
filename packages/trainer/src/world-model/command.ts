import { checkResumeBudget } from '../run/resume-budget';
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
import { resolveConfig, resumeEpochs } from '../config/load';
import { WorldModelCliSchema, type WorldModelCliConfig } from '../config/schemas';
import { writeReport } from '../report/build';
import { prepareEnvironment } from '../run/environment';
import { InterruptFlag } from '../run/interrupt';
import { continueWith, defaultLog, defaultRunName, warnEngineChange, type RunStatus } from '../run/lifecycle';
import { RunDir, writeDirAtomic } from '../run/layout';
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

/**
 * `hop world-model`: trains @hop/world-model's model on a collected dataset in a run directory (same
 * layout as pretraining: config.json, metrics.jsonl, checkpoint/, best/, report.html), resumable after a
 * kill or Ctrl-C (from the last finished epoch, same batch order), with the world-model report section.
 */
export async function runWorldModelCommand(
  input: WorldModelCommandInput,
  log: (l: string) => void = defaultLog,
  options: { freeBytes?: (path: string) => number } = {},
): Promise<RunStatus> {
  let config: WorldModelCliConfig;
  let run: RunDir;
  const environment = await prepareEnvironment(log);
  /** The checkpoint to resume from: `<run>/checkpoint`, or the previous epoch's copy when that one is damaged. */
  let resumeFrom: string | boolean = false;
  let data: Awaited<ReturnType<typeof openTransitionData>>;
  if ('resume' in input) {
    const epochs = resumeEpochs(input.flags, input.configFile);
    run = new RunDir(input.resume);
    const file = run.readConfig<WorldModelCliConfig>();
    if (file.command !== 'world-model') throw new HopError('E_RUN', `${run.root} is a '${file.command}' run, not a world-model run`);
    config = resolveConfig(WorldModelCliSchema, 'world-model', {
      file: { path: run.configPath, values: file.config as Record<string, unknown> },
      flags: { epochs, progress: input.flags.progress },
    });
    run.acquire('world-model --resume');
    warnEngineChange(file.resumes?.at(-1) ?? file.environment, environment, log);
    try {
      checkInputs(run.root, file.inputs?.fingerprints, { data: config.data }, { data: '--data' });
      data = await openData(config, log);
      const ckpt = join(run.root, RUN_FILES.checkpoint);
      const point = existsSync(ckpt) || existsSync(previousCheckpoint(run)) ? newestVerifiedCheckpoint([ckpt, previousCheckpoint(run)].filter((d) => existsSync(d)), ['meta.json'], log) : null;
      let epoch = 0;
      if (point) {
        const meta = await readCheckpointMeta(point);
        epoch = Number((meta.extra as { epoch?: unknown } | undefined)?.epoch ?? 0);
        resumeFrom = point === ckpt ? true : point;
      }
      checkResumeBudget({ run: run.root, flag: '--epochs', unit: 'epochs', requested: epochs as number | undefined, done: epoch, planned: file.config.epochs });
      // A fallback to an older checkpoint drops the records of the epochs after it.
      run.reopen(environment, (r) => (r.section === 'world-model' ? r.epoch <= epoch : true), config, file);
      log(point ? `resuming ${run.root} from ${point === ckpt ? RUN_FILES.checkpoint : RUN_FILES.checkpoint + '-previous'}: epoch ${epoch + 1} (seed ${config.seed})` : `no checkpoint in ${run.root}: restarting from epoch 1 (seed ${config.seed})`);
    } catch (e) {
      run.close();
      throw e;
    }
  } else {
    config = { ...input.config, out: input.config.out ?? defaultRunName('wm', input.config.arch) };
    // Everything that can fail on bad input is checked before the run directory exists.
    data = await openData(config, log);
    run = new RunDir(config.out as string);
    const space = checkpointSpace(config, data, options.freeBytes);
    run.create('world-model', config, environment, { dataset: { dir: config.data }, fingerprints: fingerprintInputs({ data: config.data }) }, space);
    log(`seed ${config.seed}; run directory ${run.root}`);
  }

  const { dataset, train, val } = data;
  log(`dataset ${config.data}: ${dataset.size} transitions, train ${train.size} / validation ${val.size} (split by episode)`);
  warnBatchSize(config.batchSize, train.size, log);
  const fresh = !('resume' in input);
  const abort = new AbortController();
  const interrupt = new InterruptFlag().onRequest(() => abort.abort()).listen();
  let progress: Progress | null = null;
  let epochNow = 0;
  run.appendMetrics({ kind: 'event', event: 'resume' in input ? 'resume' : 'start', epoch: 0, step: 0, time: 0, at: new Date().toISOString() });
  const body = async (): Promise<RunStatus> => {
    const result = await trainWorldModel({
      config: worldModelConfigOf(config),
      data: { train, val },
      outDir: run.root,
      runWriter: run.writerForExtensions(),
      resumeFrom,
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
    result.model.dispose();
    const at = new Date().toISOString();
    if (result.aborted) {
      run.appendMetrics({ kind: 'event', event: 'interrupt', epoch: result.completedEpochs, step: 0, time: 0, at });
      log(`interrupted; epochs 1..${result.completedEpochs} are saved in ${result.checkpointDir}\ncontinue with: ${continueWith('world-model', run.root)}`);
      return 'interrupted';
    }
    run.appendMetrics({ kind: 'event', event: 'end', epoch: result.completedEpochs, step: 0, time: 0, at });
    log(`done: ${result.completedEpochs} epochs; best epoch ${result.bestEpoch} in ${result.bestDir}`);
    if (config.offPolicyEpisodes > 0) {
      log(`checking the best model off the data's policy on ${config.offPolicyEpisodes} fresh episodes of the true game ...`);
      await checkOffPolicy(run.root, result.bestDir, config.data, { episodes: config.offPolicyEpisodes, seed: config.seed }, log);
    }
    return 'completed';
  };
  let status: RunStatus;
  try {
    status = fresh ? await run.guardStart(() => existsSync(join(run.root, RUN_FILES.checkpoint)), body, log) : await body();
  } finally {
    interrupt.dispose();
    run.close();
  }
  if (status !== 'completed') return status;
  const report = await writeReport(run.root);
  log(`report: ${report}`);
  return status;
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

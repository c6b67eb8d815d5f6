import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HopError, Rng, RunWriter, clipByGlobalNorm as clipGradients, readCheckpointMeta, readMetrics, type MetricRecord } from '@hop/core';
import type { TransitionBatch, TransitionSource } from '../data/batch';
import { parseWorldModelConfig, type WorldModelConfig, type WorldModelConfigInput } from '../config';
import { evaluateWorldModel, type Evaluation } from '../eval/evaluate';
import { metricsRecord, type WorldModelMetrics } from '../eval/metrics';
import { gridSizeOf } from '../layout';
import { WorldModel, resolveWorldModelConfig, type ResolvedWorldModelConfig } from '../model/world-model';
import { checkWorldModelFormat, restoreWorldModel, saveWorldModel } from '../model/checkpoint';
import { worldModelLoss } from './loss';

/** Files a run directory gets (besides the RunWriter's metrics.jsonl / config.json). */
export const RUN_FILES = {
  /** Latest epoch: model + optimizer state (resume from here). */
  checkpoint: 'checkpoint',
  /** Epoch with the lowest validation objective (the training loss on `val`): the model to plan with. */
  best: 'best',
  /** Latest evaluation: metrics, picture samples, reward pairs (read by `worldModelReportSection`). */
  evaluation: 'world-model-eval.json',
  /** Off-policy figures (`evaluateOffPolicy` on fresh episodes of the true game), written by the caller. */
  offPolicy: 'world-model-offpolicy.json',
} as const;

/** `section` value of every metrics line this trainer writes (a run may hold other sections). */
export const METRICS_SECTION = 'world-model';

export interface TrainLosses {
  total: number;
  recon: number;
  outcome: number;
}

export interface EpochReport {
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** Mean training losses of the epoch. */
  train: TrainLosses;
  val: WorldModelMetrics;
  /** The training loss on the validation set (`best/` is chosen on its total). */
  valLosses: TrainLosses;
  learningRate: number;
  seconds: number;
  /** Training transitions per second this epoch. */
  transitionsPerSecond: number;
  /** This epoch improved the best validation objective (and was saved to `best/`). */
  best: boolean;
}

export interface TrainWorldModelOptions {
  /** The run's config; `layout` defaults to the data's, `finalTime` to the data's episode length. */
  config: WorldModelConfigInput | WorldModelConfig;
  data: { train: TransitionSource; val: TransitionSource };
  /** Run directory: checkpoints, evaluation and (without `runWriter`) metrics.jsonl / config.json. */
  outDir: string;
  /** Where metric lines go (default: a RunWriter on `outDir`). Not closed by the trainer. */
  runWriter?: RunWriter;
  onEpoch?: (e: EpochReport) => void | Promise<void>;
  /** Progress inside an epoch (for progress bars). */
  onBatch?: (p: { epoch: number; batch: number; batches: number }) => void;
  /** Stops after the current batch; the run resumes from the last finished epoch. */
  signal?: AbortSignal;
  /**
   * Continue a run: a checkpoint directory, or `true` for `<outDir>/checkpoint` when it exists (a fresh
   * start otherwise). The checkpoint's architecture is kept; `epochs` comes from `config` (to extend a run).
   */
  resumeFrom?: string | boolean;
}

export interface TrainWorldModelResult {
  outDir: string;
  config: ResolvedWorldModelConfig;
  completedEpochs: number;
  aborted: boolean;
  last: EpochReport | null;
  bestEpoch: number;
  bestMetrics: WorldModelMetrics | null;
  checkpointDir: string;
  bestDir: string;
  /** The trained model (latest weights); the caller disposes it. */
  model: WorldModel;
}

/** The layout and episode length a run uses: the config's, else the data's. */
function resolveRunConfig(config: unknown, train: TransitionSource): ResolvedWorldModelConfig {
  const c = parseWorldModelConfig(config);
  const layout = c.layout ?? train.layout;
  if (JSON.stringify(layout) !== JSON.stringify(train.layout))
    throw new HopError(
      'E_CONFIG',
      `the config's grid layout (${layout.height}x${layout.width}x${layout.channels}, ${layout.players} players) ` +
        `differs from the data's (${train.layout.height}x${train.layout.width}x${train.layout.channels}, ${train.layout.players} players)`,
    );
  return resolveWorldModelConfig({ ...c, layout, finalTime: c.finalTime ?? train.finalTime ?? train.maxTime + 1 });
}

/** Cosine decay from `learningRate` to `learningRate * minLrFactor` over all steps. */
export function learningRateAt(c: WorldModelConfig, step: number, totalSteps: number): number {
  const f = totalSteps <= 1 ? 0 : Math.min(1, step / (totalSteps - 1));
  return c.learningRate * (c.minLrFactor + (1 - c.minLrFactor) * 0.5 * (1 + Math.cos(Math.PI * f)));
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(value)}\n`);
  await rename(tmp, path);
}

interface ResumeState {
  epoch: number;
  step: number;
  bestEpoch: number;
  /** Lowest validation objective so far (runs saved before it existed resume with Infinity: their next epoch is best). */
  bestObjective: number;
  bestMetrics: WorldModelMetrics | null;
  record: MetricRecord | null;
}

/**
 * Trains a world model on transitions: per epoch, shuffled minibatches (seeded per epoch, so a resumed run
 * replays the same batches), then a validation pass over the whole `val` source. Each epoch saves
 * `best/` when the validation objective (`validationLosses`) improved, then `checkpoint/` (model + Adam state, atomic), then logs one
 * metrics line and writes the evaluation for the report, so a run killed at any point resumes with
 * `resumeFrom: true` and continues exactly as if it had not stopped.
 */
export async function trainWorldModel(opts: TrainWorldModelOptions): Promise<TrainWorldModelResult> {
  const { train, val } = opts.data;
  if (train.size === 0) throw new HopError('E_DATASET', 'the training set is empty');
  if (val.size === 0) throw new HopError('E_DATASET', 'the validation set is empty');
  const outDir = resolve(opts.outDir);
  await mkdir(outDir, { recursive: true });
  const ckptDir = join(outDir, RUN_FILES.checkpoint);
  const bestDir = join(outDir, RUN_FILES.best);

  let config = resolveRunConfig(opts.config, train);
  let resumeDir: string | null = null;
  if (typeof opts.resumeFrom === 'string') resumeDir = resolve(opts.resumeFrom);
  else if (opts.resumeFrom === true && existsSync(join(ckptDir, 'meta.json'))) resumeDir = ckptDir;
  let state: ResumeState = { epoch: 0, step: 0, bestEpoch: 0, bestObjective: Infinity, bestMetrics: null, record: null };
  if (resumeDir) {
    const meta = await readCheckpointMeta(resumeDir);
    checkWorldModelFormat(resumeDir, meta.config);
    // Keep the saved architecture; take the (possibly longer) epoch count of this call.
    config = resolveRunConfig({ ...(meta.config as object), epochs: config.epochs }, train);
    const saved = (meta.extra ?? {}) as Partial<ResumeState>;
    // JSON has no Infinity: a run that never had a finite validation objective saved null.
    state = { ...state, ...saved, bestObjective: saved.bestObjective ?? Infinity };
  }

  const model = new WorldModel(config);
  const optimizer = tf.train.adam(config.learningRate);
  const writer = opts.runWriter ?? new RunWriter(outDir, { config });
  const ownWriter = !opts.runWriter;
  const weights = tf.keep(tf.tensor1d(config.channelWeights ?? []));
  try {
    if (resumeDir) {
      await restoreWorldModel(resumeDir, model, optimizer);
      // The last checkpoint's metrics line may have been lost to a kill right after the save.
      if (state.record && !loggedEpoch(writer.dir, state.epoch)) writer.log(state.record);
    }
    const bs = Math.min(config.batchSize, train.size);
    const batchesPerEpoch = Math.ceil(train.size / bs);
    const totalSteps = batchesPerEpoch * config.epochs;
    const G = gridSizeOf(config.layout);
    const { height: H, width: W, channels: C } = config.layout;
    const K1 = config.layout.preyChannels.length + 1;
    let last: EpochReport | null = null;
    let aborted = false;
    const idx = new Int32Array(bs);
    let batch: TransitionBatch | undefined;

    for (let epoch = state.epoch + 1; epoch <= config.epochs; epoch++) {
      const t0 = performance.now();
      const order = new Rng(config.seed).fork(epoch).permutation(train.size);
      const sums = new Float64Array(3);
      let lr = 0;
      for (let bi = 0; bi < batchesPerEpoch; bi++) {
        if (opts.signal?.aborted) {
          aborted = true;
          break;
        }
        const n = Math.min(bs, train.size - bi * bs);
        for (let k = 0; k < n; k++) idx[k] = order[bi * bs + k];
        batch = train.gather(idx.subarray(0, n), batch);
        lr = learningRateAt(config, state.step, totalSteps);
        // Adam reads its learning rate on every step; the field is protected in the typings only.
        (optimizer as unknown as { learningRate: number }).learningRate = lr;
        const b = batch;
        tf.tidy(() => {
          const { obs, cond } = model.inputs(b);
          const target = {
            next: tf.tensor4d(b.nextObs.subarray(0, n * G), [n, H, W, C]),
            outcome: tf.oneHot(tf.tensor1d(b.outcome.subarray(0, n), 'int32'), K1).toFloat() as tf.Tensor2D,
          };
          let parts: tf.Scalar[] = [];
          const { grads } = tf.variableGrads(() => {
            const l = worldModelLoss(model.forward(obs, cond), target, { channel: weights, outcome: config.outcomeWeight });
            parts = [l.total, l.recon, l.outcome].map((t) => tf.keep(t));
            return l.total;
          });
          const applied = config.gradClipNorm > 0 ? clipGradients(grads, config.gradClipNorm).grads : grads;
          optimizer.applyGradients(applied as Parameters<typeof optimizer.applyGradients>[0]);
          // wasm / cpu backends are synchronous: reading 4 numbers per batch costs nothing measurable.
          tf.stack(parts).dataSync().forEach((v, i) => (sums[i] += v * n));
          tf.dispose(parts);
        });
        state.step++;
        opts.onBatch?.({ epoch, batch: bi + 1, batches: batchesPerEpoch });
        // The training step is synchronous on wasm / cpu: without a turn of the event loop per batch, a Ctrl-C
        // (which aborts `signal` from its handler) would wait for the end of the epoch, minutes on real data.
        await new Promise<void>((resume) => setImmediate(resume));
      }
      if (aborted) break;
      const trainSeconds = (performance.now() - t0) / 1000;

      const evaluation = await evaluateWorldModel(model, val);
      const m = evaluation.metrics;
      // best/ is chosen on what training minimises, outcome head included: it decides catches, rewards and
      // ends, so a model with a slightly better grid but worse outcomes must not win on obs MSE alone.
      const valLosses = validationLosses(model, val, weights, config.outcomeWeight, config.evalBatchSize);
      const isBest = valLosses.total < state.bestObjective;
      const seconds = (performance.now() - t0) / 1000;
      const losses: TrainLosses = {
        total: sums[0] / train.size,
        recon: sums[1] / train.size,
        outcome: sums[2] / train.size,
      };
      const record: MetricRecord = {
        section: METRICS_SECTION,
        epoch,
        step: state.step,
        'losses/total': losses.total,
        'losses/recon': losses.recon,
        'losses/outcome': losses.outcome,
        'val/objective': valLosses.total,
        'val/recon': valLosses.recon,
        'val/outcome_loss': valLosses.outcome,
        'charts/learning_rate': lr,
        'time/epoch_seconds': seconds,
        'time/train_transitions_per_second': train.size / trainSeconds,
        ...metricsRecord(m),
      };
      if (isBest) state = { ...state, bestEpoch: epoch, bestObjective: valLosses.total, bestMetrics: m };
      state = { ...state, epoch, record };
      const extra = { ...state } as unknown as Record<string, unknown>;
      if (isBest) await saveWorldModel(bestDir, model, { extra });
      await saveWorldModel(ckptDir, model, { optimizer, extra });
      writer.log(record);
      await writeJsonAtomic(join(outDir, RUN_FILES.evaluation), { epoch, config, ...serialiseEvaluation(evaluation) });
      last = {
        epoch,
        epochs: config.epochs,
        train: losses,
        val: m,
        valLosses,
        learningRate: lr,
        seconds,
        transitionsPerSecond: train.size / trainSeconds,
        best: isBest,
      };
      await opts.onEpoch?.(last);
    }
    return {
      outDir,
      config,
      completedEpochs: state.epoch,
      aborted,
      last,
      bestEpoch: state.bestEpoch,
      bestMetrics: state.bestMetrics,
      checkpointDir: ckptDir,
      bestDir,
      model,
    };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    weights.dispose();
    optimizer.dispose();
    if (ownWriter) writer.close();
  }
}

function loggedEpoch(dir: string, epoch: number): boolean {
  try {
    return readMetrics(dir).some((r) => r.section === METRICS_SECTION && r.epoch === epoch);
  } catch {
    return false;
  }
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm`.
 * @deprecated Use `clipByGlobalNorm` from `@hop/core` (it also returns the norm); this one is removed in 0.2.0.
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  return tf.tidy(() => clipGradients(grads, maxNorm).grads);
}

/** JSON of an evaluation (metrics, pictures, reward pairs). */
export function serialiseEvaluation(e: Evaluation): Evaluation {
  return { metrics: e.metrics, samples: e.samples, worst: e.worst, scatter: e.scatter };
}

/**
 * The training loss (`worldModelLoss`: weighted reconstruction + `outcomeWeight` * hunt-outcome
 * cross-entropy) over a whole source, as a mean per transition: the objective `best/` is selected on.
 */
export function validationLosses(model: WorldModel, src: TransitionSource, channel: tf.Tensor1D, outcomeWeight: number, batchSize: number): TrainLosses {
  const { height: H, width: W, channels: C } = model.layout;
  const G = gridSizeOf(model.layout);
  const K1 = model.layout.preyChannels.length + 1;
  const sums = new Float64Array(3);
  const idx = new Int32Array(Math.min(batchSize, src.size));
  let batch: TransitionBatch | undefined;
  for (let start = 0; start < src.size; start += idx.length) {
    const n = Math.min(idx.length, src.size - start);
    for (let k = 0; k < n; k++) idx[k] = start + k;
    const b = (batch = src.gather(idx.subarray(0, n), batch));
    tf.tidy(() => {
      const { obs, cond } = model.inputs(b);
      const target = {
        next: tf.tensor4d(b.nextObs.subarray(0, n * G), [n, H, W, C]),
        outcome: tf.oneHot(tf.tensor1d(b.outcome.subarray(0, n), 'int32'), K1).toFloat() as tf.Tensor2D,
      };
      const l = worldModelLoss(model.forward(obs, cond), target, { channel, outcome: outcomeWeight });
      tf.stack([l.total, l.recon, l.outcome]).dataSync().forEach((v, i) => (sums[i] += v * n));
    });
  }
  return { total: sums[0] / src.size, recon: sums[1] / src.size, outcome: sums[2] / src.size };
}


import { join } from 'node:path';
import { HopError } from '@hop/core';
import { openTransitionData, trainWorldModel, type WorldModelConfigInput } from '@hop/world-model';
import { EXIT } from '../cli/exit';
import { resolveConfig, resumeEpochs } from '../config/load';
import { WorldModelCliSchema, type WorldModelCliConfig } from '../config/schemas';
import { writeReport } from '../report/build';
import { prepareEnvironment } from '../run/environment';
import { InterruptFlag } from '../run/interrupt';
import { RunDir } from '../run/layout';
import { createProgress, type Progress } from '../run/progress';

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
    ...(c.channelWeights ? { channelWeights: c.channelWeights } : {}),
  };
}

/**
 * `hop world-model`: trains @hop/world-model's model on a collected dataset in a run directory (same
 * layout as pretraining: config.json, metrics.jsonl, checkpoint/, best/, report.html), resumable after a
 * kill or Ctrl-C (from the last finished epoch, same batch order), with the world-model report section.
 */
export async function runWorldModelCommand(input: WorldModelCommandInput, log: (l: string) => void = (l) => process.stdout.write(l + '\n')): Promise<number> {
  let config: WorldModelCliConfig;
  let run: RunDir;
  const environment = await prepareEnvironment(log);
  if ('resume' in input) {
    const epochs = resumeEpochs(input.flags, input.configFile);
    run = new RunDir(input.resume);
    const file = run.readConfig<WorldModelCliConfig>();
    if (file.command !== 'world-model') throw new HopError('E_RUN', `${run.root} is a '${file.command}' run, not a world-model run`);
    config = resolveConfig(WorldModelCliSchema, 'world-model', {
      file: { path: run.configPath, values: file.config as Record<string, unknown> },
      flags: { epochs },
    });
    run.reopen(environment, () => true, config);
    log(`resuming ${run.root} (seed ${config.seed})`);
  } else {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
    config = { ...input.config, out: input.config.out ?? join('runs', `wm-${input.config.arch}-${stamp}`) };
    run = new RunDir(config.out as string);
    run.create('world-model', config, environment, { dataset: { dir: config.data } });
    log(`seed ${config.seed}; run directory ${run.root}`);
  }

  const { dataset, train, val } = await openTransitionData(config.data, { valFraction: config.valFraction, seed: config.seed });
  log(`dataset ${config.data}: ${dataset.size} transitions, train ${train.size} / validation ${val.size} (split by episode)`);
  const abort = new AbortController();
  const interrupt = new InterruptFlag().onRequest(() => abort.abort()).listen();
  let progress: Progress | null = null;
  let epochNow = 0;
  run.appendMetrics({ kind: 'event', event: 'resume' in input ? 'resume' : 'start', epoch: 0, step: 0, time: 0, at: new Date().toISOString() });
  try {
    const result = await trainWorldModel({
      config: worldModelConfigOf(config),
      data: { train, val },
      outDir: run.root,
      runWriter: run.writerForExtensions(),
      resumeFrom: 'resume' in input,
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
        log(
          `epoch ${e.epoch}/${e.epochs}: train loss ${e.train.total.toPrecision(4)} | val obs MSE ${e.val.obsMse.toPrecision(3)} ` +
            `PSNR ${e.val.psnr.toFixed(2)} dB, reward MSE ${e.val.rewardMse.toPrecision(3)}, positions exact ${(100 * e.val.positionAccuracy).toFixed(2)}% ` +
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
      log(`interrupted; epochs 1..${result.completedEpochs} are saved in ${result.checkpointDir}\ncontinue with: hop world-model --resume ${run.root}`);
      return EXIT.interrupted;
    }
    run.appendMetrics({ kind: 'event', event: 'end', epoch: result.completedEpochs, step: 0, time: 0, at });
    log(`done: ${result.completedEpochs} epochs; best epoch ${result.bestEpoch} in ${result.bestDir}`);
  } finally {
    interrupt.dispose();
    run.close();
  }
  const report = await writeReport(run.root);
  log(`report: ${report}`);
  return EXIT.ok;
}

import { HopError } from '@hop/core';
import { EXIT } from '../cli/exit';
import { kebab, resolveConfig } from '../config/load';
import { ALGORITHMS, algorithm, planningAlgorithm } from '../algos/registry';
import { isLoopAlgorithm } from '../algos/types';
import { BUDGET_PRESETS } from '../selfplay/config';
import { RunDir } from '../run/layout';
import { resumeSelfPlay, trainSelfPlay, type SelfPlayOptions } from '../selfplay/loop';
import { writeReport } from '../report/build';
import { trainBudget } from '../run/budget';
import { assertWritable } from '../run/fs-errors';

export type TrainCommandInput =
  | { flags: Record<string, unknown>; file?: { path: string; values: Record<string, unknown> } }
  | { resume: string; flags: Record<string, unknown>; configFile?: string };

/**
 * The config of `hop train`: the budget preset's values under the config file under the flags, validated
 * by the chosen algorithm's record.
 */
export function trainConfigOf(flags: Record<string, unknown>, file?: { path: string; values: Record<string, unknown> }) {
  const algoName = String(flags.algo ?? file?.values.algo ?? 'hop');
  const algo = algorithm(algoName);
  const presetName = String(flags.preset ?? file?.values.preset ?? 'none');
  const presets = algo.presets ?? BUDGET_PRESETS;
  const preset = presets[presetName];
  if (!preset) throw new HopError('E_CONFIG', `unknown --preset "${presetName}" for --algo ${algoName}; choose one of ${Object.keys(presets).join(', ')}`);
  const values = { ...preset, ...(file?.values ?? {}) };
  const config = resolveConfig(algo.schema, `train --algo ${algoName}`, { file: { path: file?.path ?? `preset ${presetName}`, values }, flags: { ...flags, algo: algoName } });
  return { algo, config: config as Parameters<typeof trainSelfPlay>[1] };
}

/** `hop train`: self-play training of a planning agent, resumable, with evaluation and a report. */
export async function runTrainCommand(input: TrainCommandInput, options: SelfPlayOptions = {}): Promise<number> {
  let result;
  if ('resume' in input) {
    const { iterations, progress, ...rest } = input.flags;
    const bad = [...(input.configFile ? ['--config'] : []), ...Object.keys(rest).map((k) => `--${kebab(k)}`)];
    if (bad.length)
      throw new HopError('E_CONFIG', `--resume continues a run with the config saved in it; only --iterations (and --progress) may change (got ${bad.join(', ')})`);
    const overrides = { iterations: iterations as number | undefined, progress: progress as 'auto' | 'bar' | 'plain' | 'none' | undefined };
    // The run's own config names its algorithm, whose loop continues it.
    const saved = new RunDir(input.resume).readConfig<{ algo?: string }>();
    const algo = saved.command === 'train' ? algorithm(String(saved.config.algo)) : null;
    result =
      algo && isLoopAlgorithm(algo)
        ? await algo.resume(input.resume, overrides, options)
        : await resumeSelfPlay(input.resume, planningAlgorithm, overrides, options);
  } else {
    const { algo, config } = trainConfigOf(input.flags, input.file);
    // Before any directory is made or model built: sizes past memory, and an --out that cannot be written.
    trainBudget(config as Parameters<typeof trainBudget>[0]);
    if (config.out) assertWritable(config.out, 'dir');
    result = isLoopAlgorithm(algo) ? await algo.train(config, options) : await trainSelfPlay(algo, config, options);
  }
  if (result.status === 'interrupted') return EXIT.interrupted;
  const report = await writeReport(result.runDir);
  (options.log ?? ((l: string) => process.stdout.write(l + '\n')))(`report: ${report}`);
  return EXIT.ok;
}

export const ALGORITHM_NAMES = Object.keys(ALGORITHMS);

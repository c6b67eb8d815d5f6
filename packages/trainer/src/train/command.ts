import { HopError } from '@hop/core';
import { kebab, resolveConfig } from '../config/load';
import { TRAIN_RENAMES, renameKeys } from '../config/renames';
import { ALGORITHMS, algorithm } from '../algos/registry';
import type { Algorithm } from '../algos/types';
import { RunDir } from '../run/layout';
import { defaultLog, type RunOptions, type RunResult, type RunStatus } from '../run/lifecycle';
import { writeReport } from '../report/build';
import { trainBudget } from '../run/budget';
import { assertWritable } from '../run/fs-errors';

export type TrainCommandInput =
  | { flags: Record<string, unknown>; file?: { path: string; values: Record<string, unknown> } }
  | { resume: string; flags: Record<string, unknown>; configFile?: string };

/**
 * The config of `hop train`, parsed once: the algorithm's budget preset < the config file < the flags,
 * validated by the chosen algorithm's record. Old key spellings (treeNum, simulations, preset) are accepted
 * in every layer and reported as deprecated.
 */
export function trainConfigOf(
  flags: Record<string, unknown>,
  file?: { path: string; values: Record<string, unknown> },
  warn?: (line: string) => void,
): { algo: Algorithm; config: Record<string, unknown> } {
  const f = renameKeys(flags, TRAIN_RENAMES).values;
  const v = renameKeys(file?.values ?? {}, TRAIN_RENAMES).values;
  const algoName = String(f.algo ?? v.algo ?? 'hop');
  const algo = algorithm(algoName);
  const budgetName = String(f.budget ?? v.budget ?? 'none');
  const budget = algo.budgets[budgetName];
  if (!budget) throw new HopError('E_CONFIG', `unknown --budget "${budgetName}" for --algo ${algoName}; choose one of ${Object.keys(algo.budgets).join(', ')}`);
  const config = resolveConfig(algo.schema, `train --algo ${algoName}`, {
    preset: { name: budgetName, values: budget },
    file,
    flags: { ...flags, algo: algoName },
    renamed: TRAIN_RENAMES,
    warn,
  }) as Record<string, unknown>;
  return { algo, config };
}

/**
 * `hop train`: the CLI, the registry and the algorithm's folder, nothing else. Returns the run's status (the
 * CLI maps it to an exit code). A resume reads the run's
 * config.json once, here, and hands it to the algorithm that made the run.
 */
export async function runTrainCommand(input: TrainCommandInput, options: RunOptions = {}): Promise<RunStatus> {
  let result: RunResult;
  if ('resume' in input) {
    const { iterations, progress, ...rest } = input.flags;
    const bad = [...(input.configFile ? ['--config'] : []), ...Object.keys(rest).map((k) => `--${kebab(k)}`)];
    if (bad.length)
      throw new HopError('E_CONFIG', `--resume continues a run with the config saved in it; only --iterations (and --progress) may change (got ${bad.join(', ')})`);
    const run = new RunDir(input.resume);
    const file = run.readConfig<Record<string, unknown>>();
    if (file.command !== 'train') throw new HopError('E_RUN', `${run.root} is a '${file.command}' run, not a \`hop train\` run`);
    // Runs saved before the renames continue under the new names.
    const saved = { ...file, config: renameKeys(file.config, TRAIN_RENAMES).values };
    const overrides = { iterations: iterations as number | undefined, progress: progress as 'auto' | 'bar' | 'plain' | 'none' | undefined };
    result = await algorithm(String(saved.config.algo)).resume(run, saved, overrides, options);
  } else {
    const { algo, config } = trainConfigOf(input.flags, input.file, options.log);
    // Before any directory is made or model built: sizes past memory, and an --out that cannot be written.
    trainBudget(config as Parameters<typeof trainBudget>[0]);
    if (typeof config.out === 'string') assertWritable(config.out, 'dir');
    result = await algo.train(config, options);
  }
  if (result.status === 'interrupted') return result.status;
  const report = await writeReport(result.runDir);
  (options.log ?? defaultLog)(`report: ${report}`);
  return result.status;
}

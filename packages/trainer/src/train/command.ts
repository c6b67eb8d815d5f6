import { HopError } from '@hop/core';
import { kebab, resolveConfig } from '../config/load';
import { TRAIN_RENAMES, renameKeys } from '../config/renames';
import { algorithm } from '../algos/registry';
import type { Algorithm, ResumeOverrides } from '../algos/types';
import type { RunConfigFile } from '../run/layout';
import { defaultLog, openForResume, type RunOptions, type RunResult, type RunStatus } from '../run/lifecycle';
import { trainResumePoint } from '../run/train-inputs';
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
 * CLI maps it to an exit code). A resume goes through openForResume as `hop pretrain` and `hop world-model` do:
 * config.json read once, the run locked, the config resolved; then the algorithm continues from the shared
 * resume point (run/train-inputs.ts: inputs checked, newest verified checkpoint).
 */
export async function runTrainCommand(input: TrainCommandInput, options: RunOptions = {}): Promise<RunStatus> {
  let result: RunResult;
  if ('resume' in input) {
    const { iterations, progress, ...rest } = input.flags;
    const bad = [...(input.configFile ? ['--config'] : []), ...Object.keys(rest).map((k) => `--${kebab(k)}`)];
    if (bad.length)
      throw new HopError('E_CONFIG', `--resume continues a run with the config saved in it; only --iterations (and --progress) may change (got ${bad.join(', ')})`);
    const overrides: ResumeOverrides = { iterations: iterations as number | undefined, progress: progress as ResumeOverrides['progress'] };
    const log = options.log ?? defaultLog;
    // The one resume check of every long command: a `hop train` run, locked, its config resolved by the algorithm that made it.
    const { run, config: opened } = openForResume<Record<string, unknown>, { algo: Algorithm; file: RunConfigFile<Record<string, unknown>>; config: Record<string, unknown> }>(
      input.resume,
      'train',
      'a `hop train` run',
      (file) => {
        // Runs saved before the renames continue under the new names.
        const saved = { ...file, config: renameKeys(file.config, TRAIN_RENAMES).values };
        const algo = algorithm(String(saved.config.algo));
        return { algo, file: saved, config: algo.resumeConfig(saved.config, overrides) };
      },
    );
    const { algo, file, config } = opened;
    try {
      result = await algo.resume(
        {
          run,
          file,
          config,
          requestedIterations: overrides.iterations,
          point: () => trainResumePoint(run, { recorded: file.inputs, config, required: algo.checkpointFiles, log }),
        },
        options,
      );
    } catch (e) {
      // Whatever the algorithm did not get to close (a failure before its loop) leaves the run unlocked.
      run.close();
      throw e;
    }
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

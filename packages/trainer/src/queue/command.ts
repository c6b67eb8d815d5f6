import { HopError } from '@hop/core';
import { EXIT } from '../cli/exit';
import type { ExperimentCli } from '../experiment/schema';
import { enqueueExperiment } from './enqueue';
import { runQueueJob } from './job';
import { showStatus } from './status';
import { cpuLine, runWorker } from './worker';

const print = (l: string) => process.stdout.write(l + '\n');
/** The codes of run/lock.ts's refusals (a run, a dataset). */
const LOCKED = new Set(['E_RUN_LOCKED', 'E_DATASET_LOCKED']);

/** `hop experiment <file> --queue <url> [--status [--follow]]`. */
export async function queueExperimentCommand(
  file: string,
  cli: ExperimentCli,
  url: string,
  opts: { status: boolean; follow: boolean; seedsPerShard?: number },
): Promise<number> {
  if (opts.seedsPerShard !== undefined && (!Number.isInteger(opts.seedsPerShard) || opts.seedsPerShard < 1))
    throw new HopError('E_CONFIG', `--seeds-per-shard must be a whole number >= 1 (got ${opts.seedsPerShard})`);
  if (!opts.status) {
    if (opts.follow) throw new HopError('E_CONFIG', '--follow goes with --status');
    return enqueueExperiment(file, cli, url, { seedsPerShard: opts.seedsPerShard });
  }
  const { loadExperiment } = await import('../experiment/command');
  const { exp } = await loadExperiment(file, cli);
  return showStatus(url, exp.name, opts.follow, print);
}

/** `hop worker`. */
export async function workerCommand(url: string, opts: { concurrency?: number; cpusPerJob?: number; lockSeconds?: number; lockedRetrySeconds?: number }): Promise<number> {
  for (const [flag, v] of [['--concurrency', opts.concurrency], ['--cpus-per-job', opts.cpusPerJob], ['--lock-seconds', opts.lockSeconds], ['--locked-retry-seconds', opts.lockedRetrySeconds]] as const)
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new HopError('E_CONFIG', `${flag} must be a whole number >= 1 (got ${v})`);
  return runWorker(url, opts);
}

/**
 * `hop queue-job` (hidden): one job in the worker's child process. It ends when the worker goes (the IPC
 * channel closes), so a killed worker leaves no orphan training beside the worker that resumes its job.
 */
export async function queueJobCommand(root: string, experiment: string, job: string, recipe: string): Promise<number> {
  process.on('disconnect', () => process.exit(137));
  let code: number;
  try {
    code = await runQueueJob(root, experiment, job, recipe, print);
  } catch (e) {
    // Locked by another process: not this job's failure; the worker puts it back without using an attempt.
    if (!(e instanceof HopError) || !LOCKED.has(e.code)) throw e;
    process.stderr.write(`error [${e.code}]: ${e.message}\n`);
    code = EXIT.locked;
  }
  const u = process.cpuUsage();
  print(cpuLine((u.user + u.system) / 1e6));
  return code;
}

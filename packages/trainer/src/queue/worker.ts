import { spawn } from 'node:child_process';
import { availableParallelism, hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { HopError } from '@hop/core';
import { EXIT } from '../cli/exit';
import { QUEUE_NAME, parseQueueUrl, probeRedis, redisClient } from './address';
import type { QueueJobData } from './enqueue';
import { sameIdentity, showIdentity, trainerIdentity, type TrainerIdentity } from './identity';
import { readMarker } from './marker';
import { allRegistered } from './registry';

export interface WorkerOptions {
  /** Jobs at once (default: cores / cpusPerJob). */
  concurrency?: number;
  /** Cores one job may use: its tensor backend's and ONNX Runtime's thread pools are sized to it (default 1). */
  cpusPerJob?: number;
  /** How long a job's lock lasts without renewal: a killed worker's job is taken by another after about this long. */
  lockSeconds?: number;
  /** How often a job whose inputs are not made yet is looked at again. */
  pollSeconds?: number;
  /**
   * How long a job whose run (or dataset) is locked by a process elsewhere waits before it is tried again
   * (default 30). Not an attempt: the holder may be the child of a worker that lost Redis but still trains, or
   * a lost machine whose lock goes stale after LOCK_STALE_MS; either way the job runs once the lock is free.
   */
  lockedRetrySeconds?: number;
  /** Who this worker is (default this install); tests stand in another version with it. */
  identity?: TrainerIdentity;
  log?: (line: string) => void;
}

/** What a finished job returns: where it ran and what it cost (the status view's ETA and the docs' table). */
export interface JobResult {
  host: string;
  pid: number;
  wallSeconds: number;
  cpuSeconds: number | null;
}

/** Where a running job is, as its progress (the status view shows it). */
export interface JobWhere {
  host: string;
  pid: number;
  workerPid: number;
  startedAt: number;
  /** Set while the job waits for a lock on its run or dataset: who holds it (the status view shows it). */
  waitingFor?: string;
}

const CPU_LINE = /^queue-job cpu-seconds ([\d.]+)$/;
export const cpuLine = (seconds: number) => `queue-job cpu-seconds ${seconds.toFixed(3)}`;

/**
 * `hop worker --queue <url>`: takes jobs of any experiment and runs each in a child process (`hop queue-job`),
 * so a training step that holds the child's event loop never holds this one's: the job's lock stays renewed.
 * A killed worker's jobs go stalled and another worker takes them; a cell resumes from its last checkpoint.
 * Refuses, by name, jobs of another trainer version and experiments whose out: it cannot see.
 */
export async function runWorker(url: string, options: WorkerOptions = {}): Promise<number> {
  const log = options.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const address = parseQueueUrl(url);
  await probeRedis(address);
  const me = options.identity ?? trainerIdentity();
  const cpusPerJob = options.cpusPerJob ?? 1;
  const concurrency = options.concurrency ?? Math.max(1, Math.floor(availableParallelism() / cpusPerJob));
  const lockDuration = (options.lockSeconds ?? 30) * 1000;
  const poll = (options.pollSeconds ?? 5) * 1000;
  const lockedRetry = (options.lockedRetrySeconds ?? 30) * 1000;
  const connection = address.connection;
  await checkExperiments(address, me);

  let fatal: Error | null = null;
  let stop: () => void = () => {};
  const stopped = new Promise<void>((r) => (stop = r));
  const children = new Set<ReturnType<typeof spawn>>();
  const queue = new Queue(QUEUE_NAME, { connection });
  // A job this worker must not run goes back to the queue (for a worker that can), and this worker stops.
  const refuse = async (job: Job<QueueJobData>, token: string | undefined, error: HopError): Promise<never> => {
    fatal ??= error;
    await job.moveToDelayed(Date.now() + 1000, token);
    stop();
    throw new DelayedError();
  };

  const processor = async (job: Job<QueueJobData>, token?: string): Promise<JobResult> => {
    const d = job.data;
    if (fatal) return refuse(job, token, fatal as HopError);
    if (!sameIdentity(d.identity, me))
      return refuse(
        job,
        token,
        new HopError('E_QUEUE', `job ${job.id} was enqueued by ${showIdentity(d.identity)}, this worker on ${hostname()} runs ${showIdentity(me)}: install the same version from the same lockfile on every machine`),
      );
    try {
      readMarker(d.root, d.experiment);
    } catch (e) {
      return refuse(job, token, e as HopError);
    }
    for (const dep of d.deps) {
      const state = await queue.getJobState(dep);
      if (state === 'completed') continue;
      if (state === 'failed' || state === 'unknown') throw new UnrecoverableError(`${d.job} waits for ${dep}, which ${state === 'failed' ? 'failed (see its error in hop queue status)' : 'is not on the queue'}`);
      await job.moveToDelayed(Date.now() + poll, token);
      throw new DelayedError();
    }
    const t0 = Date.now();
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], 'queue-job', d.root, d.experiment, d.job, d.recipe], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, OMP_NUM_THREADS: String(cpusPerJob), TF_NUM_INTRAOP_THREADS: String(cpusPerJob), TF_NUM_INTEROP_THREADS: '1', HOP_ONNX_THREADS: String(cpusPerJob) },
    });
    children.add(child);
    const where: JobWhere = { host: hostname(), pid: child.pid ?? -1, workerPid: process.pid, startedAt: t0 };
    await job.updateProgress(where as unknown as Record<string, unknown>);
    log(`${job.id}: started on ${where.host} pid ${where.pid} (attempt ${job.attemptsMade + 1})`);
    let cpuSeconds = null as number | null;
    const errTail: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = CPU_LINE.exec(l);
      if (m) cpuSeconds = Number(m[1]);
      else log(`[${d.job}] ${l}`);
    });
    createInterface({ input: child.stderr! }).on('line', (l) => {
      if (!l) return;
      errTail.push(l);
      if (errTail.length > 12) errTail.shift();
    });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('close', (c, s) => r([c, s])));
    children.delete(child);
    if (code === EXIT.locked) {
      // No limit on the wait: the holder finishes, or its lock goes stale, or the user removes it as the message says.
      const holder = (errTail.at(-1) ?? 'its run is locked by another process').replace(/^error \[[A-Z_]+\]: /, '');
      await job.updateProgress({ ...where, waitingFor: holder } as unknown as Record<string, unknown>);
      await job.moveToDelayed(Date.now() + lockedRetry, token);
      log(`${job.id}: ${holder} (trying again in ${lockedRetry / 1000} s)`);
      throw new DelayedError();
    }
    if (code !== 0) throw new Error(`${d.job} on ${where.host} (pid ${where.pid}) ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${errTail.length ? `: ${errTail.join('\n')}` : ''}`);
    const result: JobResult = { host: where.host, pid: where.pid, wallSeconds: (Date.now() - t0) / 1000, cpuSeconds };
    log(`${job.id}: done in ${result.wallSeconds.toFixed(1)} s (${cpuSeconds === null ? '?' : cpuSeconds.toFixed(1)} CPU-s)`);
    return result;
  };

  const worker = new Worker<QueueJobData, JobResult>(QUEUE_NAME, processor, {
    connection,
    concurrency,
    lockDuration,
    stalledInterval: lockDuration,
    maxStalledCount: 3,
  });
  worker.on('failed', (job, err) => {
    if (job && !(err instanceof DelayedError)) log(`${job.id}: failed (attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1}): ${err.message.split('\n')[0]}`);
  });
  worker.on('error', (err) => log(`worker: ${err.message}`));
  const onSignal = () => stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  log(`worker on ${hostname()} pid ${process.pid}: ${concurrency} job(s) at once, ${cpusPerJob} CPU(s) each, queue ${address.shown}, ${showIdentity(me)}`);
  await stopped;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // Children of a stopping worker are stopped too; their jobs go stalled and another worker resumes them.
  for (const c of children) c.kill('SIGTERM');
  await worker.close(true);
  await queue.close();
  if (fatal) throw fatal;
  return 0;
}

/** Before taking anything: every experiment with jobs still to run must be of this version and visible here. */
async function checkExperiments(address: ReturnType<typeof parseQueueUrl>, me: TrainerIdentity): Promise<void> {
  const redis = redisClient(address);
  const queue = new Queue(QUEUE_NAME, { connection: address.connection });
  try {
    for (const e of await allRegistered(redis)) {
      const states = await Promise.all(Object.values(e.ids).map((id) => queue.getJobState(id)));
      if (states.every((s) => s === 'completed' || s === 'failed' || s === 'unknown')) continue;
      if (!sameIdentity(e.identity, me))
        throw new HopError(
          'E_QUEUE',
          `experiment '${e.name}' on the queue was enqueued by ${showIdentity(e.identity)}, this worker on ${hostname()} runs ${showIdentity(me)}: install the same version from the same lockfile on every machine`,
        );
      readMarker(e.root, e.name);
    }
  } finally {
    redis.disconnect();
    await queue.close();
  }
}

import { Queue, type Job } from 'bullmq';
import { HopError } from '@hop/core';
import { QUEUE_NAME, parseQueueUrl, probeRedis, redisClient } from './address';
import type { QueueJobData } from './enqueue';
import { allRegistered, registered, unregister, type Registered } from './registry';
import type { JobResult, JobWhere } from './worker';

export interface JobView {
  name: string;
  id: string;
  state: string;
  where?: JobWhere;
  result?: JobResult;
  failedReason?: string;
  /** A delayed job waiting for a lock on its run: who holds it. */
  waitingFor?: string;
  attempts: number;
  /** Seconds from start to finish of its last attempt. */
  seconds?: number;
}

export interface ExperimentView {
  name: string;
  root: string;
  jobs: JobView[];
  /** Seconds to go, from the finished cells' mean time and the cells running now; null before a cell finished. */
  etaSeconds: number | null;
  done: boolean;
}

/** The state of every job of the experiments on the queue (all, or the one named). */
export async function queueStatus(url: string, experiment?: string): Promise<ExperimentView[]> {
  const address = parseQueueUrl(url);
  await probeRedis(address);
  const redis = redisClient(address);
  const queue = new Queue<QueueJobData>(QUEUE_NAME, { connection: address.connection });
  try {
    const entries: Registered[] = experiment ? [await registered(redis, experiment)].filter((e): e is Registered => !!e) : await allRegistered(redis);
    if (experiment && !entries.length) throw new HopError('E_QUEUE', `no experiment '${experiment}' on the queue at ${address.shown}; enqueue it with hop experiment <file> --queue ${address.shown}`);
    const views: ExperimentView[] = [];
    for (const e of entries) {
      const jobs: JobView[] = [];
      for (const [name, id] of Object.entries(e.ids)) {
        const job = (await queue.getJob(id)) as Job<QueueJobData, JobResult> | undefined;
        const state = job ? await job.getState() : 'missing';
        const progress = job?.progress && typeof job.progress === 'object' ? (job.progress as unknown as JobWhere) : undefined;
        jobs.push({
          name,
          id,
          state,
          where: state === 'active' ? progress : undefined,
          result: state === 'completed' ? job?.returnvalue : undefined,
          failedReason: state === 'failed' ? job?.failedReason : undefined,
          waitingFor: state === 'delayed' ? progress?.waitingFor : undefined,
          attempts: job?.attemptsMade ?? 0,
          seconds: job?.finishedOn && job.processedOn ? (job.finishedOn - job.processedOn) / 1000 : undefined,
        });
      }
      views.push({ name: e.name, root: e.root, jobs, etaSeconds: eta(jobs), done: jobs.every((j) => j.state === 'completed' || j.state === 'failed') });
    }
    return views;
  } finally {
    redis.disconnect();
    await queue.close();
  }
}

function eta(jobs: JobView[]): number | null {
  const cells = jobs.filter((j) => j.name.startsWith('cell.'));
  const times = cells.filter((j) => j.state === 'completed' && j.result).map((j) => j.result!.wallSeconds);
  if (!times.length) return null;
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const left = cells.filter((j) => j.state !== 'completed' && j.state !== 'failed').length;
  const running = Math.max(1, jobs.filter((j) => j.state === 'active').length);
  return (left * mean) / running;
}

const STATES = ['waiting', 'waiting-children', 'delayed', 'prioritized', 'active', 'completed', 'failed', 'missing'];

/** The status as text: counts by state, then what runs where, what failed and why. */
export function formatStatus(views: ExperimentView[]): string {
  if (!views.length) return 'no experiment on the queue';
  const out: string[] = [];
  for (const v of views) {
    const counts = STATES.map((s) => [s, v.jobs.filter((j) => j.state === s).length] as const).filter(([, n]) => n > 0);
    const eta =
      v.etaSeconds === null ? 'ETA after the first finished cell' : v.etaSeconds === 0 ? 'every cell trained, evaluation to go' : `training ETA ${formatSeconds(v.etaSeconds)} (from the finished cells' mean)`;
    out.push(`experiment ${v.name} (${v.root}): ${v.jobs.length} jobs: ${counts.map(([s, n]) => `${n} ${s}`).join(', ')}; ${v.done ? 'all done' : eta}`);
    for (const j of v.jobs.filter((x) => x.state === 'active')) out.push(`  running  ${j.name} on ${j.where?.host ?? '?'} pid ${j.where?.pid ?? '?'}${j.where ? ` for ${formatSeconds((Date.now() - j.where.startedAt) / 1000)}` : ''}`);
    for (const j of v.jobs.filter((x) => x.state === 'delayed' && x.waitingFor)) out.push(`  waiting  ${j.name}: ${j.waitingFor}`);
    for (const j of v.jobs.filter((x) => x.state === 'failed')) out.push(`  failed   ${j.name} after ${j.attempts} attempt(s): ${(j.failedReason ?? '').split('\n').slice(0, 3).join(' | ')}`);
  }
  return out.join('\n');
}

const formatSeconds = (s: number) => (s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);

/** `--status [--follow]`: prints the status once, or every `everySeconds` until the experiment is done. */
export async function showStatus(url: string, experiment: string | undefined, follow: boolean, log: (text: string) => void, everySeconds = 2): Promise<number> {
  let last = '';
  for (;;) {
    const views = await queueStatus(url, experiment);
    const text = formatStatus(views);
    if (text !== last) log(follow ? `[${new Date().toISOString().slice(11, 19)}] ${text}` : text);
    last = text;
    if (!follow || views.every((v) => v.done)) return views.some((v) => v.jobs.some((j) => j.state === 'failed')) ? 1 : 0;
    await new Promise((r) => setTimeout(r, everySeconds * 1000));
  }
}

/** `hop queue remove <experiment>`: takes its jobs (not those running now) and its record off the queue; its files stay. */
export async function removeExperiment(url: string, experiment: string, log: (line: string) => void): Promise<number> {
  const address = parseQueueUrl(url);
  await probeRedis(address);
  const redis = redisClient(address);
  const queue = new Queue(QUEUE_NAME, { connection: address.connection });
  try {
    const e = await registered(redis, experiment);
    if (!e) throw new HopError('E_QUEUE', `no experiment '${experiment}' on the queue at ${address.shown}`);
    // The tables job is the flow's parent: removing it removes its shards with it.
    const ids = Object.values(e.ids).reverse();
    let removed = 0;
    for (const id of ids) {
      const job = await queue.getJob(id);
      if (!job) continue;
      if ((await job.getState()) === 'active') throw new HopError('E_QUEUE', `${id} is running; stop its worker first (its files stay in ${e.root})`);
      await job.remove({ removeChildren: true });
      removed++;
    }
    await unregister(redis, experiment);
    log(`experiment ${experiment}: ${removed} jobs taken off the queue; its files stay in ${e.root}`);
    return 0;
  } finally {
    redis.disconnect();
    await queue.close();
  }
}

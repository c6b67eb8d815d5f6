import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { FlowProducer, Queue, type JobsOptions } from 'bullmq';
import { HopError } from '@hop/core';
import { readConfigFile } from '../config/load';
import { experimentEvalConfig, loadExperiment } from '../experiment/command';
import type { ExperimentCli } from '../experiment/schema';
import { QUEUE_NAME, parseQueueUrl, probeRedis, redisClient } from './address';
import { trainerIdentity, type TrainerIdentity } from './identity';
import { writeMarker } from './marker';
import { jobId, planExperiment, recipeHash, type JobKind } from './plan';
import { register, registered } from './registry';

/** What a queue job carries: enough to find its experiment (through the marker) and to refuse it where it must not run. */
export interface QueueJobData {
  experiment: string;
  root: string;
  job: string;
  kind: JobKind;
  recipe: string;
  /** BullMQ ids of the jobs it waits for (the tables job waits for its shards as a flow instead). */
  deps: string[];
  identity: TrainerIdentity;
}

export interface EnqueueOptions {
  /** Seeds of one evaluation shard (default 1: the finest split). */
  seedsPerShard?: number;
  /** Tries of a job before it stays failed (default 2). */
  attempts?: number;
  /** Who enqueues (default this install); tests stand in another version with it. */
  identity?: TrainerIdentity;
  log?: (line: string) => void;
}

/**
 * `hop experiment <file> --queue <url>`: puts the grid on the queue instead of running it. Inputs and cells are
 * plain jobs that wait for what they use (their `deps`, checked by the worker); the evaluation shards are the
 * children of the tables job (a BullMQ flow). The same command twice adds nothing; a job whose recipe changed
 * is refused by name.
 */
export async function enqueueExperiment(file: string, cli: ExperimentCli, url: string, options: EnqueueOptions = {}): Promise<number> {
  const log = options.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const address = parseQueueUrl(url);
  await probeRedis(address);
  const values = await readConfigFile(file);
  const { exp, root, cells } = await loadExperiment(file, cli, values);
  const evalConfig = cli.skipEval ? null : experimentEvalConfig(file, exp, root, cli);
  const seedsPerShard = options.seedsPerShard ?? 1;
  const jobs = planExperiment(exp, root, cells, evalConfig, seedsPerShard);
  const identity = options.identity ?? trainerIdentity();
  const ids = Object.fromEntries(jobs.map((j) => [j.name, jobId(exp.name, j)]));
  const redis = redisClient(address);
  const connection = address.connection;
  try {
    const before = await registered(redis, exp.name);
    if (before) {
      refuseChanged(exp.name, before.root, root, before.recipes, Object.fromEntries(jobs.map((j) => [j.name, j.recipe])));
      log(`experiment ${exp.name}: already on the queue at ${address.shown} with these ${jobs.length} jobs (enqueued ${before.enqueuedAt} from ${before.host}); nothing new enqueued`);
      return 0;
    }
    writeMarker(root, {
      format: 'hop-queue-experiment',
      name: exp.name,
      file: resolve(file),
      values,
      cli: { ...cli, out: root },
      seedsPerShard,
      identity,
      recipes: Object.fromEntries(jobs.map((j) => [j.name, recipeHash(j.recipe)])),
    });
    const data = (name: string): QueueJobData => {
      const j = jobs.find((x) => x.name === name)!;
      return { experiment: exp.name, root, job: j.name, kind: j.kind, recipe: recipeHash(j.recipe), deps: j.kind === 'tables' ? [] : j.deps.map((d) => ids[d]), identity };
    };
    const opts = (name: string): JobsOptions => ({ jobId: ids[name], attempts: options.attempts ?? 2, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: false, removeOnFail: false });
    const queue = new Queue(QUEUE_NAME, { connection });
    try {
      await queue.addBulk(jobs.filter((j) => j.kind === 'input' || j.kind === 'cell').map((j) => ({ name: j.name, data: data(j.name), opts: opts(j.name) })));
    } finally {
      await queue.close();
    }
    const tables = jobs.find((j) => j.kind === 'tables');
    if (tables) {
      const flow = new FlowProducer({ connection });
      try {
        await flow.add({
          name: tables.name,
          queueName: QUEUE_NAME,
          data: data(tables.name),
          opts: opts(tables.name),
          children: tables.deps.map((s) => ({ name: s, queueName: QUEUE_NAME, data: data(s), opts: { ...opts(s), failParentOnFailure: true } })),
        });
      } finally {
        await flow.close();
      }
    }
    await register(redis, { name: exp.name, root, identity, ids, recipes: Object.fromEntries(jobs.map((j) => [j.name, j.recipe])), enqueuedAt: new Date().toISOString(), host: hostname() });
    const count = (k: JobKind) => jobs.filter((j) => j.kind === k).length;
    log(
      `experiment ${exp.name}: enqueued ${jobs.length} jobs on ${address.shown} (${count('input')} inputs, ${count('cell')} cells, ${count('eval')} evaluation shards, ${count('tables')} tables) for ${root}; ` +
        `start workers with \`hop worker --queue ${address.shown}\`, follow with \`hop experiment ${file} --queue ${address.shown} --status --follow\``,
    );
    return 0;
  } finally {
    redis.disconnect();
  }
}

/** The same experiment name may only come back with the same jobs from the same recipes. */
function refuseChanged(name: string, oldRoot: string, root: string, before: Record<string, unknown>, now: Record<string, unknown>): void {
  const fix = `give the experiment another name, or take the old one off the queue with \`hop queue remove ${name}\``;
  if (oldRoot !== root) throw new HopError('E_QUEUE', `experiment '${name}' is already on the queue with out: ${oldRoot}, not ${root}; ${fix}`);
  const changed = Object.keys(now)
    .filter((j) => j in before && JSON.stringify(before[j]) !== JSON.stringify(now[j]))
    .map((j) => `${j} (${diff(before[j], now[j]).join('; ')})`);
  const added = Object.keys(now).filter((j) => !(j in before));
  const removed = Object.keys(before).filter((j) => !(j in now));
  if (!changed.length && !added.length && !removed.length) return;
  const parts = [
    changed.length ? `changed recipe: ${changed.join(', ')}` : '',
    added.length ? `new jobs: ${added.join(', ')}` : '',
    removed.length ? `jobs no longer in the file: ${removed.join(', ')}` : '',
  ].filter(Boolean);
  throw new HopError('E_QUEUE', `experiment '${name}' is already on the queue from another version of its file: ${parts.join('; ')}; ${fix}`);
}

function diff(a: unknown, b: unknown): string[] {
  if (typeof a !== 'object' || typeof b !== 'object' || !a || !b) return [`${JSON.stringify(a)} -> ${JSON.stringify(b)}`];
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  return [...new Set([...Object.keys(x), ...Object.keys(y)])]
    .filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]))
    .map((k) => `${k}: ${JSON.stringify(x[k]) ?? '(unset)'} -> ${JSON.stringify(y[k]) ?? '(unset)'}`);
}

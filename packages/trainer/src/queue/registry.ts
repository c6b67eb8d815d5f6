import type { Redis } from 'ioredis';
import type { TrainerIdentity } from './identity';

/** hop's record of an enqueued experiment in Redis (beside BullMQ's keys): where it lives, who made it, its jobs. */
export interface Registered {
  name: string;
  root: string;
  identity: TrainerIdentity;
  /** Job name -> BullMQ job id, in plan order. */
  ids: Record<string, string>;
  /** Job name -> recipe (what the refusal of a changed recipe names). */
  recipes: Record<string, unknown>;
  enqueuedAt: string;
  host: string;
}

const KEY = (name: string) => `hop:experiment:${name}`;
const ALL = 'hop:experiments';

export async function registered(redis: Redis, name: string): Promise<Registered | null> {
  const v = await redis.get(KEY(name));
  return v ? (JSON.parse(v) as Registered) : null;
}

export async function register(redis: Redis, entry: Registered): Promise<void> {
  await redis.multi().set(KEY(entry.name), JSON.stringify(entry)).sadd(ALL, entry.name).exec();
}

export async function unregister(redis: Redis, name: string): Promise<void> {
  await redis.multi().del(KEY(name)).srem(ALL, name).exec();
}

export async function allRegistered(redis: Redis): Promise<Registered[]> {
  const names = (await redis.smembers(ALL)).sort();
  const out: Registered[] = [];
  for (const n of names) {
    const r = await registered(redis, n);
    if (r) out.push(r);
  }
  return out;
}

import { hostname } from 'node:os';
import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { HopError } from '@hop/core';

/** The one BullMQ queue every experiment's jobs go to (workers take jobs of any experiment). */
export const QUEUE_NAME = 'hop';

export interface QueueAddress {
  /** The URL as given, without its password (for messages). */
  shown: string;
  options: RedisOptions;
  /** The same options as BullMQ types them. */
  connection: ConnectionOptions;
}

/** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS): anything else is a named error. */
export function parseQueueUrl(url: string): QueueAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new HopError('E_QUEUE', `--queue ${url} is not a URL; give redis://host:port[/db] (e.g. redis://127.0.0.1:6379)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new HopError('E_QUEUE', `--queue ${url}: the scheme is '${u.protocol.replace(/:$/, '')}', a queue is a Redis server: give redis://host:port[/db] (or rediss:// for TLS)`);
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new HopError('E_QUEUE', `--queue ${url}: '${u.pathname.slice(1)}' is not a database number; give redis://host:port/<0-15>`);
  const options: RedisOptions = {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ's blocking commands need it; a Redis restart is waited for rather than failed.
    maxRetriesPerRequest: null,
    retryStrategy: (attempt: number) => Math.min(attempt * 250, 2000),
  };
  const shown = `${u.protocol}//${options.host}:${options.port}/${db}`;
  return { shown, options, connection: options as ConnectionOptions };
}

/** Fails within `timeoutMs` with a named error when the Redis server cannot be reached (BullMQ itself would wait forever). */
export async function probeRedis(address: QueueAddress, timeoutMs = 3000): Promise<void> {
  const redis = new Redis({ ...address.options, lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // ioredis rejects with 'Connection is closed'; the cause (ECONNREFUSED, ETIMEDOUT, ...) comes as an event.
  let cause: Error | null = null;
  redis.on('error', (e: Error) => (cause ??= e));
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    throw new HopError(
      'E_QUEUE',
      `cannot reach Redis at ${address.shown} from ${hostname()} (${(cause ?? (e as Error)).message}); start one (\`redis-server --port ${address.options.port}\`) or check --queue`,
    );
  } finally {
    redis.disconnect();
  }
}

/** A plain Redis client for the experiment registry (hop's own keys beside BullMQ's). */
export function redisClient(address: QueueAddress): Redis {
  const redis = new Redis(address.options);
  redis.on('error', () => {});
  return redis;
}

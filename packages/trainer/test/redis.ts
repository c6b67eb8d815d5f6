import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { tempDir } from './helpers';

/** A free loopback port (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolvePort(port));
    });
  });
}

/**
 * A redis-server of the test's own on a free loopback port, its files in a temporary directory; `stop()`
 * ends it (tests stop theirs in afterAll). With `aof`, every write is fsynced to its append-only file, so a
 * SIGKILLed server restarted on the same directory has all of it.
 */
export class TestRedis {
  readonly dir: string;
  private proc: ChildProcess | null = null;
  constructor(
    readonly port: number,
    readonly aof = false,
  ) {
    this.dir = tempDir('redis');
  }

  static async start(aof = false): Promise<TestRedis> {
    const r = new TestRedis(await freePort(), aof);
    try {
      await r.restart();
    } catch (e) {
      await r.dispose();
      throw e;
    }
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--daemonize', 'no'];
    if (this.aof) args.push('--appendonly', 'yes', '--appendfsync', 'always');
    else args.push('--appendonly', 'no');
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    this.proc = proc;
    // Without redis-server installed the spawn fails asynchronously: say what to install instead of an unhandled ENOENT.
    let failed: Error | null = null;
    proc.once('error', (e: NodeJS.ErrnoException) => {
      failed = new Error(e.code === 'ENOENT' ? 'redis-server is not installed: the queue tests start their own (apt-get install redis-server; .ci/run does it)' : `redis-server: ${e.message}`);
    });
    const client = new Redis({ port: this.port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
    client.on('error', () => {});
    for (let i = 0; i < 100; i++) {
      if (failed) throw failed;
      try {
        await client.connect();
        await client.ping();
        client.disconnect();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  /** SIGKILL by default: a crash, not a shutdown. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null || p.pid === undefined) return;
    await new Promise<void>((r) => {
      p.once('exit', () => r());
      p.kill(signal);
    });
  }

  /** Stops the server for good and removes its directory (its AOF); for afterAll. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

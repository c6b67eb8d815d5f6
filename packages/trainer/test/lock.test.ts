import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DirLock, readHolder } from '../src/run/lock';
import { tempDir } from './helpers';

const LOCK_TS = fileURLToPath(new URL('../src/run/lock.ts', import.meta.url));

/**
 * A child process that takes the lock on `dir` and holds it until it is signalled (another process: proper-lockfile
 * keys its locks by path, so a second holder in this process would replace the first one's entry).
 */
function holdInChild(dir: string): Promise<{ pid: number; stop: (signal: NodeJS.Signals) => Promise<number | null> }> {
  const code = `
    const { DirLock } = await import(${JSON.stringify(LOCK_TS)});
    DirLock.acquire(${JSON.stringify(dir)}, { lockPath: ${JSON.stringify(join(dir, '.lock'))}, what: 'test dir', command: 'child', code: 'E_RUN_LOCKED' });
    process.stdout.write('locked\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (String(d).includes('locked'))
        resolve({
          pid: child.pid!,
          stop: (signal) => {
            child.kill(signal);
            return exited;
          },
        });
    });
    void exited.then(() => reject(new Error(`the child exited before locking: ${err}`)));
  });
}

describe('DirLock: a lock is released only by its holder', () => {
  it('a holder whose directory was moved away leaves the lock taken on the old path alone when it exits', async () => {
    const root = tempDir('lock-moved');
    const dir = join(root, 'run');
    mkdirSync(dir);
    const child = await holdInChild(dir);
    expect(readHolder(join(dir, '.lock.json'))!.pid).toBe(child.pid);
    // the run directory is moved aside while locked, and a new run is locked at the old path
    renameSync(dir, join(root, 'moved'));
    mkdirSync(dir);
    const lock = DirLock.acquire(dir, { lockPath: join(dir, '.lock'), what: 'test dir', command: 'parent', code: 'E_RUN_LOCKED' });
    // the old holder stops (its exit hook releases what it holds, by path)
    await child.stop('SIGTERM');
    expect(existsSync(join(dir, '.lock'))).toBe(true);
    expect(readHolder(join(dir, '.lock.json'))!.pid).toBe(process.pid);
    // control: the new holder's own release removes both
    lock.release();
    expect(existsSync(join(dir, '.lock'))).toBe(false);
    expect(existsSync(join(dir, '.lock.json'))).toBe(false);
  }, 60_000);

  it('a holder whose .lock.json was deleted still releases the lock directory it made', () => {
    const dir = join(tempDir('lock-nojson'), 'run');
    mkdirSync(dir);
    const lock = DirLock.acquire(dir, { lockPath: join(dir, '.lock'), what: 'test dir', command: 'parent', code: 'E_RUN_LOCKED' });
    rmSync(join(dir, '.lock.json'));
    lock.release();
    expect(existsSync(join(dir, '.lock'))).toBe(false);
    // and the path can be locked again at once
    DirLock.acquire(dir, { lockPath: join(dir, '.lock'), what: 'test dir', command: 'again', code: 'E_RUN_LOCKED' }).release();
  });

  it('control: a holder that exits on a signal, its directory in place, releases its lock', async () => {
    const dir = join(tempDir('lock-exit'), 'run');
    mkdirSync(dir);
    const child = await holdInChild(dir);
    expect(existsSync(join(dir, '.lock'))).toBe(true);
    await child.stop('SIGTERM');
    expect(existsSync(join(dir, '.lock'))).toBe(false);
  }, 60_000);
});

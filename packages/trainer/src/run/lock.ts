import * as fs from 'node:fs';
import { hostname } from 'node:os';
import lockfile from 'proper-lockfile';
import { HopError, writeFileAtomicSync } from '@hop/core';

/** Who holds a lock: written beside the lock directory so the error of a refused process can name it. */
export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

/**
 * A lock whose holder has not refreshed it for this long is stale (a crashed process on another host). Long:
 * a training step can keep the event loop, and with it the refresh, busy for a minute. On the same host a
 * live holder is never taken over, whatever the age of its lock, and a dead one at once.
 */
export const LOCK_STALE_MS = 5 * 60_000;

/**
 * An exclusive inter-process lock on a run or dataset directory (proper-lockfile: an atomic `mkdir` of
 * `lockPath`, its mtime refreshed while held). A lock left by a crashed process is taken over: at once when
 * the holder recorded in `<lockPath>.json` was on this host and its pid is gone, else once it is stale.
 * Released by `release()` and, on any normal exit or signal, by proper-lockfile's exit hook; either removes the
 * lock directory only while it is the one this process made (same inode) and `<lockPath>.json` only while it
 * names this holder, so a directory moved away while locked leaves the lock of whoever took its old path alone.
 */
export class DirLock {
  private releaseFn: (() => void) | null;
  private constructor(
    readonly lockPath: string,
    private readonly holderPath: string,
    releaseFn: () => void,
    private readonly ours: () => boolean,
  ) {
    this.releaseFn = releaseFn;
  }

  /**
   * Takes the lock on `target` (which need not exist) or throws `code` naming the holder.
   * `what` names the thing for the error ("run directory /x"), `command` is recorded for others to read.
   */
  static acquire(target: string, opts: { lockPath: string; what: string; command: string; code: string }): DirLock {
    const holderPath = `${opts.lockPath}.json`;
    // Set once the holder record is written. proper-lockfile releases by path (also from its exit hook): if this
    // run directory was moved away and another process locked the old path, that lock is not ours to remove.
    // The lock directory is ours while it is the very directory we made (same device and inode: a moved one keeps
    // its inode, a new one at the old path has another); the holder record while it names us.
    let mine: LockHolder | null = null;
    let made: { dev: number; ino: number } | null = null;
    const ours = () => mine === null || sameHolder(readHolder(holderPath), mine);
    const ourDir = () => {
      if (made === null) return true;
      try {
        const st = fs.statSync(opts.lockPath);
        return st.dev === made.dev && st.ino === made.ino;
      } catch {
        return false;
      }
    };
    const guardedFs = {
      ...fs,
      rmdirSync: (path: fs.PathLike, o?: fs.RmDirOptions) => {
        if (String(path) === opts.lockPath && !ourDir()) return;
        fs.rmdirSync(path, o);
      },
    };
    const options: lockfile.LockOptions = {
      realpath: false,
      fs: guardedFs,
      lockfilePath: opts.lockPath,
      stale: LOCK_STALE_MS,
      update: LOCK_STALE_MS / 6,
      // A long synchronous step may delay the refresh; a warning, never an exception thrown from a timer.
      onCompromised: (e: Error) => process.stderr.write(`warning: the lock ${opts.lockPath} could not be refreshed (${e.message})\n`),
    };
    const refuse = (holder: LockHolder | null) => {
      const who = holder
        ? `process ${holder.pid} (\`${holder.command}\` on ${holder.host}, since ${holder.since})`
        : 'another process (which has not recorded its pid yet)';
      return new HopError(
        opts.code,
        `${opts.what} is in use by ${who}; wait for it to finish or stop it. A lock left by a crashed process is ` +
          `taken over automatically (at once on this host, else after ${LOCK_STALE_MS / 60_000} min without refresh); ` +
          `if that pid is not a hop process, remove ${opts.lockPath}`,
      );
    };
    // A live holder on this host keeps its lock even when a long synchronous step delayed its refresh.
    const current = fs.existsSync(opts.lockPath) ? readHolder(holderPath) : null;
    if (current && current.host === hostname() && current.pid !== process.pid && alive(current.pid)) throw refuse(current);
    let release: () => void;
    try {
      release = lockfile.lockSync(target, options);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
      const holder = readHolder(holderPath);
      if (holder && holder.host === hostname() && !alive(holder.pid)) {
        // The holder crashed (kill -9, power loss): its lock is ours to take.
        fs.rmSync(opts.lockPath, { recursive: true, force: true });
        try {
          release = lockfile.lockSync(target, options);
        } catch {
          throw new HopError(opts.code, `${opts.what} is in use by another process that took over the lock of crashed process ${holder.pid}`);
        }
      } else throw refuse(holder);
    }
    const st = fs.statSync(opts.lockPath);
    made = { dev: st.dev, ino: st.ino };
    const holder: LockHolder = { pid: process.pid, host: hostname(), command: opts.command, since: new Date().toISOString() };
    writeFileAtomicSync(holderPath, JSON.stringify(holder) + '\n');
    mine = holder;
    return new DirLock(opts.lockPath, holderPath, release, ours);
  }

  get held(): boolean {
    return this.releaseFn !== null;
  }

  release(): void {
    if (!this.releaseFn) return;
    // The lock directory (only if it is still the one we made), then the record, unless another process has
    // taken the lock and written its own meanwhile.
    try {
      this.releaseFn();
    } catch {
      // Already released (e.g. compromised and removed by another process): nothing to undo.
    }
    if (this.ours()) fs.rmSync(this.holderPath, { force: true });
    this.releaseFn = null;
  }
}

function sameHolder(a: LockHolder | null, b: LockHolder): boolean {
  return a !== null && a.pid === b.pid && a.host === b.host && a.since === b.since;
}

export function readHolder(path: string): LockHolder | null {
  if (!fs.existsSync(path)) return null;
  try {
    const h = JSON.parse(fs.readFileSync(path, 'utf8')) as Partial<LockHolder>;
    return typeof h.pid === 'number' && typeof h.host === 'string'
      ? { pid: h.pid, host: h.host, command: String(h.command ?? '?'), since: String(h.since ?? '?') }
      : null;
  } catch {
    return null;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

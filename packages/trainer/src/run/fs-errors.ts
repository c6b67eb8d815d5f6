import { accessSync, constants, existsSync, statSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { HopError } from '@hop/core';

/**
 * The filesystem errors a user can meet (a full disk, a read-only mount, a path through a file), each as a
 * named HopError with the path and the fix. `runCli` passes every error through `fsErrorToHop`, so no
 * command prints a stack trace for them, whichever write failed.
 */
const FS_ERRORS: Record<string, { code: string; what: string; fix: string }> = {
  ENOSPC: { code: 'E_DISK_FULL', what: 'the disk is full', fix: 'free space on that filesystem or choose an --out on another one' },
  EDQUOT: { code: 'E_DISK_FULL', what: 'the disk quota is exhausted', fix: 'free space or choose an --out on another filesystem' },
  EROFS: { code: 'E_READ_ONLY', what: 'the filesystem is read-only', fix: 'choose an --out on a writable filesystem' },
  // Reads meet these too (an unreadable --data, a --data path through a file): the fix names no flag.
  EACCES: { code: 'E_PERMISSION', what: 'permission denied', fix: 'change its permissions, or give a path you may read (inputs) or write (--out)' },
  EPERM: { code: 'E_PERMISSION', what: 'operation not permitted', fix: 'change its permissions, or give a path you may read (inputs) or write (--out)' },
  ENOTDIR: { code: 'E_NOT_A_DIRECTORY', what: 'a part of the path is a file, not a directory', fix: 'correct the path: every part before the last must be a directory' },
  EEXIST: { code: 'E_PATH_EXISTS', what: 'something is already there', fix: 'remove it or choose another --out' },
};

/**
 * The named HopError for a filesystem error (looked for along `cause` chains), or null for anything else.
 * `path` names the file when the error does not (a write on an open descriptor).
 */
export function fsErrorToHop(e: unknown, path?: string): HopError | null {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    if (cur instanceof HopError) return null;
    const err = cur as NodeJS.ErrnoException;
    const known = typeof err.code === 'string' ? FS_ERRORS[err.code] : undefined;
    if (!known) continue;
    const where = err.path ? `${err.syscall ?? 'writing'} ${err.path}` : path ? `writing ${path}` : (err.message ?? 'a write');
    return new HopError(known.code, `${where}: ${known.what} (${err.code}); ${known.fix}`, { cause: e });
  }
  return null;
}

/** The nearest existing ancestor of `path` (itself when it exists). */
function existingAncestor(path: string): string {
  let p = resolve(path);
  while (!existsSync(p)) {
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  return p;
}

/**
 * Checks, before any work, that `out` can be written: every existing part of the path is a directory
 * (`kind: 'dir'`) or `out` is a file or missing (`kind: 'file'`), and the directory that would receive it is
 * writable. Throws the named error of fsErrorToHop (E_READ_ONLY, E_PERMISSION, E_NOT_A_DIRECTORY).
 */
export function assertWritable(out: string, kind: 'dir' | 'file', flag = '--out'): void {
  const target = resolve(out);
  const anc = existingAncestor(target);
  const isDir = statSync(anc).isDirectory();
  if (anc === target && kind === 'dir' && !isDir)
    throw new HopError('E_NOT_A_DIRECTORY', `${flag} ${out} is a file, not a directory; choose a directory (new or empty) for ${flag}`);
  if (anc === target && kind === 'file' && isDir)
    throw new HopError('E_NOT_A_DIRECTORY', `${flag} ${out} is a directory; give a file name for ${flag}`);
  const dir = anc === target && kind === 'file' ? dirname(anc) : anc;
  if (!statSync(dir).isDirectory())
    throw new HopError('E_NOT_A_DIRECTORY', `${flag} ${out}: ${dir} is a file, not a directory; choose an ${flag} whose parents are directories`);
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw fsErrorToHop(e) ?? e;
  }
}

/** Free bytes for an unprivileged writer on the filesystem that holds (or would hold) `path`. */
export function freeBytes(path: string): number {
  const s = statfsSync(existingAncestor(path));
  return s.bavail * s.bsize;
}

/** What a command will write at most, for assertFreeSpace; `freeBytes` replaces the probe (tests). */
export interface FreeSpaceCheck {
  bytes: number;
  what: string;
  freeBytes?: (path: string) => number;
}

/**
 * Refuses a write of about `bytes` to `out` when its filesystem has less free space (E_DISK_FULL naming the
 * estimate and the free space), before any of it is written. `what` says what would be written; `free` is
 * replaceable so tests can simulate a small filesystem.
 */
export function assertFreeSpace(out: string, bytes: number, what: string, free: (path: string) => number = freeBytes): void {
  const avail = free(out);
  if (bytes > avail)
    throw new HopError(
      'E_DISK_FULL',
      `${what} needs about ${formatBytes(bytes)} but the filesystem of ${out} has ${formatBytes(avail)} free; ` +
        'lower the budget, free space, or choose an --out on another filesystem',
    );
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 && i > 0 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

let seq = 0;

/**
 * A sibling name for a file or directory being written: `<path>.tmp-<pid>-<n>`. The pid keeps concurrent
 * processes apart, the counter concurrent writers in one process; a crash leaves only such names behind,
 * never a half-written `path`.
 */
export function tempSibling(path: string): string {
  return `${path}.tmp-${process.pid}-${seq++}`;
}

/** fsync a directory so a rename in it survives a power loss; not every platform allows it. */
export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Windows and some filesystems refuse to open / fsync directories; the rename is still atomic there.
  }
}

export function syncDirSync(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // see syncDir
  }
}

/** Writes `chunks` to a temp sibling, fsyncs it and renames it over `path`. */
export async function writeFileAtomic(path: string, chunks: readonly (Uint8Array | string)[]): Promise<void> {
  const tmp = tempSibling(path);
  const fh = await open(tmp, 'w');
  try {
    for (const c of chunks) {
      const bytes = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
      let off = 0;
      while (off < bytes.byteLength) {
        const { bytesWritten } = await fh.write(bytes, off, bytes.byteLength - off);
        off += bytesWritten;
      }
    }
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDir(dirname(path));
}

/** Synchronous `writeFileAtomic` for small text files (configs, run metadata). */
export function writeFileAtomicSync(path: string, text: string): void {
  const tmp = tempSibling(path);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  syncDirSync(dirname(path));
}

import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { alive, readHolder } from './lock';

/**
 * Commands that only read a run (`hop report`, `hop eval`, `hop compare`) do not wait for its lock, but say
 * when another live process is writing it: what they read may be a moment of a run in progress.
 */
export function warnIfBeingWritten(runDir: string, log: (line: string) => void): boolean {
  const root = resolve(runDir);
  const lockPath = join(root, '.lock');
  if (!existsSync(lockPath)) return false;
  const holder = readHolder(`${lockPath}.json`);
  if (holder && holder.host === hostname() && (holder.pid === process.pid || !alive(holder.pid))) return false;
  const who = holder ? `process ${holder.pid} (\`${holder.command}\`, since ${holder.since})` : 'another process';
  log(`warning: ${root} is being written by ${who}; reading it as it is now (its newest records and checkpoints may change)`);
  return true;
}

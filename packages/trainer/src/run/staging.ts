import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** A staging folder of an atomic directory write (`epoch-3.tmp-4242`, core's `<dir>.tmp-<pid>-<n>`). */
const STAGING = /\.tmp-(\d+)(?:-\d+)?$/;

/**
 * Removes the staging folders a killed writer left in `parent` (any pid but ours: the caller holds the run's
 * lock, so no other live process writes there). Called after each successful atomic write, so a kill costs
 * disk space only until the next checkpoint. Returns the names removed.
 */
export function removeStaleStaging(parent: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = STAGING.exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

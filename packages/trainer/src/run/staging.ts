import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { alive } from './lock';

/** A staging folder of an atomic directory write (`epoch-3.tmp-4242`, core's `<dir>.tmp-<pid>-<n>`). */
const STAGING = /\.tmp-(\d+)(?:-\d+)?$/;

/**
 * Removes the staging folders a killed writer left in `parent`: those of a pid that is not alive. A live
 * one's are kept even though the caller holds the run's lock, because readers do not take it: `hop report`
 * writes `report.html.tmp-<pid>-<n>` into the run's root, the parent of a world-model run's
 * `checkpoint-previous`. Called after each successful atomic write, so a kill costs disk space only until
 * the next checkpoint. Returns the names removed.
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
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

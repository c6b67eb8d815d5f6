import { join } from 'node:path';
import { HopError } from '@hop/core';
import { NUM_ACTIONS, type StagHuntDataset } from '@hop/env-staghunt';

/** Rows read at a time by the scan (memory stays at one chunk of every column). */
const SCAN_ROWS = 8192;

/** A column's rule: finite floats, or integers in `lo..hi` (`what` says what they are). */
type Check = { finite: true } | { finite: false; lo: number; hi: number; what: string };

const finite: Check = { finite: true };
const inRange = (lo: number, hi: number, what: string): Check => ({ finite: false, lo, hi, what });

/** Index of the first value breaking the rule, or -1 (tight loops: this reads every byte of the dataset). */
function firstBad(values: ArrayLike<number>, check: Check): number {
  const n = values.length;
  if (check.finite) {
    // x - x is 0 for every finite x, NaN for NaN and +-Infinity.
    for (let k = 0; k < n; k++) if (values[k] - values[k] !== 0) return k;
  } else {
    const { lo, hi } = check;
    for (let k = 0; k < n; k++) if (values[k] < lo || values[k] > hi) return k;
  }
  return -1;
}

/**
 * Checks every value of a dataset in one streaming pass, before anything is trained or any run directory
 * is made: observations, rewards and times finite, action / goal / agent / joint-action labels in range.
 * A bad value is E_DATASET_VALUE naming the file, the row and the column (and the position inside the row).
 */
export function scanDatasetValues(ds: StagHuntDataset): void {
  const players = ds.geometry.players;
  const checks: Partial<Record<string, Check>> = {
    obs: finite,
    next_obs: finite,
    reward: finite,
    time: inRange(0, ds.config.finalTime, 'a time step'),
    action: inRange(0, NUM_ACTIONS - 1, 'an action index'),
    joint_action: inRange(-1, NUM_ACTIONS - 1, 'an action index or -1'),
    goal: inRange(-1, 1, 'a goal: -1 none, 0 stag, 1 hare'),
    agent: inRange(0, players - 1, 'a player index'),
    done: inRange(0, 1, 'a flag'),
  };
  const columns = ds.columns.filter((c) => checks[c] !== undefined);
  const idx = new Int32Array(SCAN_ROWS);
  for (let from = 0; from < ds.size; from += SCAN_ROWS) {
    const n = Math.min(SCAN_ROWS, ds.size - from);
    for (let i = 0; i < n; i++) idx[i] = from + i;
    const batch = ds.batch(idx.subarray(0, n), columns) as unknown as Record<string, ArrayLike<number>>;
    for (const c of columns) {
      const values = batch[c];
      const check = checks[c] as Check;
      const width = values.length / n;
      const k = firstBad(values, check);
      if (k >= 0) {
        const v = values[k];
        const bad = check.finite ? String(v) : `${v} (${check.what} ${check.lo}..${check.hi})`;
        const row = from + Math.floor(k / width);
        const file = join(ds.dir, ds.meta.columns[c as keyof typeof ds.meta.columns]?.file ?? `${c}.npy`);
        throw new HopError(
          'E_DATASET_VALUE',
          `${file}: row ${row}, column "${c}"${width > 1 ? ` (value ${k % width} of the row)` : ''} holds ${bad}; ` +
            `the dataset is corrupt: re-collect it (hop collect --out ${ds.dir} --force)`,
        );
      }
    }
  }
}

import { join } from 'node:path';
import { HopError } from '@hop/core';
import { NUM_ACTIONS, type StagHuntDataset } from '@hop/env-staghunt';

/** Rows read at a time by the scan (memory stays at one chunk of every column). */
const SCAN_ROWS = 8192;

type Check = (v: number) => string | null;

const finite: Check = (v) => (Number.isFinite(v) ? null : String(v));
const inRange = (lo: number, hi: number, what: string): Check => (v) => (Number.isInteger(v) && v >= lo && v <= hi ? null : `${v} (${what} ${lo}..${hi})`);

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
      for (let k = 0; k < values.length; k++) {
        const bad = check(values[k]);
        if (bad === null) continue;
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

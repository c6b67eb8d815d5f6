import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HopError } from '@hop/core';

/** The checkpoint directories of a run's units: `iter-N` (hop train) or `epoch-N` (hop pretrain). */
export type CheckpointPrefix = 'iter' | 'epoch';

/**
 * Iteration numbers with a complete checkpoint (`iter-N/state.json`; `epoch-N/...` with `prefix`), newest first;
 * with `complete: false` every `<prefix>-N` directory (candidates that verification may reject and set aside).
 */
export function checkpointIterations(checkpointsDir: string, prefix: CheckpointPrefix = 'iter', complete = true): number[] {
  if (!existsSync(checkpointsDir)) return [];
  const pattern = new RegExp(`^${prefix}-(\\d+)$`);
  return readdirSync(checkpointsDir)
    .map((n) => pattern.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && (!complete || existsSync(join(checkpointsDir, m[0], 'state.json'))))
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
}

/**
 * Reads a checkpoint's state.json and checks its format (E_CHECKPOINT when it is missing, unreadable or of
 * another kind). Shared by every loop that writes `state.json` last into its checkpoints.
 */
export function readStateFile<S extends { format: string }>(dir: string, format: S['format'], what: string): S {
  const path = join(dir, 'state.json');
  let s: S;
  try {
    s = JSON.parse(readFileSync(path, 'utf8')) as S;
  } catch (e) {
    throw new HopError('E_CHECKPOINT', `${path} cannot be read (${(e as Error).message}); the checkpoint is incomplete`);
  }
  if (s.format !== format) throw new HopError('E_CHECKPOINT', `${path} is not a ${what} checkpoint state`);
  return s;
}

/** Keeps the two newest complete checkpoints (a truncated newest one still leaves an intact one). */
export async function pruneCheckpoints(checkpointsDir: string, prefix: CheckpointPrefix = 'iter'): Promise<void> {
  for (const it of checkpointIterations(checkpointsDir, prefix).slice(2)) await rm(join(checkpointsDir, `${prefix}-${it}`), { recursive: true, force: true });
}

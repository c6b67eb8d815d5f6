import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { HopError, writeFileAtomicSync } from '@hop/core';
import type { ExperimentCli } from '../experiment/schema';
import type { TrainerIdentity } from './identity';

/**
 * `<out>/hop-experiment.json`: the experiment as it was enqueued (the file's values, its flags, the recipe of
 * every job). Workers read the experiment from here, so only `out:` has to be on the shared filesystem, and a
 * worker that cannot see it is refused before it runs anything.
 */
export interface Marker {
  format: 'hop-queue-experiment';
  name: string;
  /** The experiment file as given to `hop experiment` (for messages) and its values. */
  file: string;
  values: Record<string, unknown>;
  cli: ExperimentCli;
  seedsPerShard: number;
  identity: TrainerIdentity;
  /** Recipe hash of every job, by job name. */
  recipes: Record<string, string>;
}

export const markerPath = (root: string) => join(root, 'hop-experiment.json');

export function writeMarker(root: string, marker: Marker): void {
  mkdirSync(root, { recursive: true });
  writeFileAtomicSync(markerPath(root), JSON.stringify(marker, null, 1) + '\n');
}

/** The marker, or a named error saying which host cannot see which path. */
export function readMarker(root: string, experiment: string): Marker {
  const path = markerPath(root);
  if (!existsSync(path))
    throw new HopError(
      'E_QUEUE',
      `${hostname()} cannot see ${path}, the marker of experiment '${experiment}': this worker does not mount the experiment's out: directory; mount the shared filesystem at the same path on every machine (or run the worker where it is)`,
    );
  return JSON.parse(readFileSync(path, 'utf8')) as Marker;
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckedDataset } from '../data/dataset';
import { checkInputs, fingerprintInputs, type InputFingerprint } from './fingerprint';
import type { RunDir } from './layout';
import { newestVerifiedCheckpoint } from './verify';
import { checkpointIterations } from './checkpoints';

/**
 * The inputs of `hop train` (every algorithm) that are fingerprinted when a run starts and checked when it
 * resumes, by config key, with their flags. An algorithm whose record has none of these keys has nothing to check.
 */
export const TRAIN_INPUT_FLAGS = { pretrained: '--pretrained', warmStart: '--warm-start', worldModel: '--world-model' } as const;

function inputPaths(config: Record<string, unknown>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const key of Object.keys(TRAIN_INPUT_FLAGS)) out[key] = typeof config[key] === 'string' ? (config[key] as string) : undefined;
  return out;
}

/** Scans the --warm-start dataset's values (E_DATASET_VALUE) so a bad one stops `hop train` before its run directory exists. */
export function validateTrainInputs(config: Record<string, unknown>): void {
  if (typeof config.warmStart === 'string' && existsSync(join(config.warmStart, 'meta.json'))) openCheckedDataset(config.warmStart).close();
}

/** Fingerprints of the pretraining run, warm-start dataset and world-model run a `hop train` run loads (config.json's inputs.fingerprints). */
export function trainFingerprints(config: Record<string, unknown>): Record<string, InputFingerprint> {
  return fingerprintInputs(inputPaths(config));
}

/**
 * Where `hop train --resume` continues from, the same for every algorithm (train/command.ts hands it to the
 * algorithm as `TrainResume.point`): refuses inputs changed since the run started (E_INPUT_CHANGED), then picks
 * the newest iteration checkpoint that verifies (`required`: the files the algorithm's checkpoints hold; every
 * other file is checked too); damaged ones are moved aside and said so. Returns its directory, or null to
 * restart from iteration 1. The run is already locked (openForResume): nothing is moved aside under another
 * process's feet.
 */
export function trainResumePoint(
  run: RunDir,
  p: { recorded: Record<string, unknown> | undefined; config: Record<string, unknown>; required: readonly string[]; log: (line: string) => void },
): string | null {
  checkInputs(run.root, p.recorded?.fingerprints, inputPaths(p.config), TRAIN_INPUT_FLAGS);
  const candidates = checkpointIterations(run.checkpointsDir).map((it) => join(run.checkpointsDir, `iter-${it}`));
  return newestVerifiedCheckpoint(candidates, p.required, p.log);
}

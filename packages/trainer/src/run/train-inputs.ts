import { checkInputs, fingerprintInputs, type InputFingerprint } from '../../run/fingerprint';
import type { RunDir } from '../../run/layout';
import { newestVerifiedCheckpoint } from '../../run/verify';
import { checkpointIterations } from '../../run/checkpoints';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { openCheckedDataset } from '../../data/dataset';

/** The inputs of `hop train` that are fingerprinted, by config key, with their flags. */
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

/** Fingerprints of the pretraining run, warm-start dataset and world-model run a `hop train` run loads. */
export function trainFingerprints(config: Record<string, unknown>): Record<string, InputFingerprint> {
  return fingerprintInputs(inputPaths(config));
}

/**
 * What a resume of `hop train` does before loading anything: takes the run lock (E_RUN_LOCKED), refuses
 * changed inputs (E_INPUT_CHANGED), and picks the newest iteration checkpoint that verifies (damaged ones
 * are moved aside and said so). Returns its directory, or null to restart from iteration 1.
 */
export function prepareTrainResume(run: RunDir, recorded: Record<string, unknown> | undefined, config: Record<string, unknown>, log: (line: string) => void): string | null {
  run.acquire('train --resume');
  try {
    checkInputs(run.root, recorded?.fingerprints, inputPaths(config), TRAIN_INPUT_FLAGS);
    const candidates = checkpointIterations(run.checkpointsDir).map((it) => join(run.checkpointsDir, `iter-${it}`));
    return newestVerifiedCheckpoint(candidates, ['state.json', 'policy/meta.json'], log);
  } catch (e) {
    run.close();
    throw e;
  }
}

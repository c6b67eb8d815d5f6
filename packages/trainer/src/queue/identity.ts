import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainerVersion } from '../cli/version';

/** What a job must be run by: the same @hop/trainer version and the same installed dependency tree. */
export interface TrainerIdentity {
  version: string;
  /** sha256 (12 hex) of the package-lock.json above this install, or 'none'. */
  lockHash: string;
}

export function trainerIdentity(): TrainerIdentity {
  return { version: trainerVersion(), lockHash: lockfileHash() };
}

function lockfileHash(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const p = join(dir, 'package-lock.json');
    if (existsSync(p)) return createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 12);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return 'none';
}

export const sameIdentity = (a: TrainerIdentity, b: TrainerIdentity) => a.version === b.version && a.lockHash === b.lockHash;
export const showIdentity = (a: TrainerIdentity) => `@hop/trainer ${a.version} (lockfile ${a.lockHash})`;

import { HopError } from '@hop/core';
import type { WorldModelCliConfig } from '../config/schemas';

export type WorldModelCommandInput =
  | { config: WorldModelCliConfig }
  | { resume: string; flags: Record<string, unknown>; configFile?: string };

/** `hop world-model`: wraps @hop/world-model's trainer (integrated once that package exports it). */
export async function runWorldModelCommand(_input: WorldModelCommandInput): Promise<number> {
  throw new HopError('E_UNAVAILABLE', 'hop world-model needs @hop/world-model, which does not export its trainer yet');
}

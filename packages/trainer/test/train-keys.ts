import { expect } from 'vitest';
import { trainConfigOf } from '../src/train/command';

/**
 * A key of the planning family's training config only: hop, hop-wm and direct-om keep `value` (beside the settings
 * `with_` it needs), ppo and hop-onestep refuse it by name (their configs have no such key).
 */
export function expectPlanningKey(key: string, flag: string, value: unknown, with_: Record<string, unknown> = {}): void {
  for (const algo of ['hop', 'hop-wm', 'direct-om'])
    expect((trainConfigOf({ algo, ...with_, [key]: value, ...(algo === 'hop-wm' ? { worldModel: 'wm-run' } : {}) }).config as Record<string, unknown>)[key], algo).toEqual(value);
  for (const algo of ['ppo', 'hop-onestep']) expect(() => trainConfigOf({ algo, [key]: value }), algo).toThrow(new RegExp(`unknown key "${key}" from ${flag}`));
}

/** A probability key of the planning family (as `expectPlanningKey`): default 0, errors naming the flag outside [0, 1]. */
export function expectProbabilityKey(key: 'loneContinuation' | 'loneStarts', flag: string): void {
  expect((trainConfigOf({ algo: 'hop' }).config as Record<string, unknown>)[key]).toBe(0);
  expectPlanningKey(key, flag, 0.25);
  for (const bad of [-0.1, 1.5])
    expect(() => trainConfigOf({ algo: 'hop', [key]: bad })).toThrow(new RegExp(`"${key}" = .* \\(from ${flag}\\) is invalid: a probability must be between 0 and 1`));
}

import { expect } from 'vitest';
import { trainConfigOf } from '../src/train/command';

/**
 * A probability key of the planning family's training config: default 0, taken by hop, hop-wm and direct-om,
 * errors naming the flag outside [0, 1], refused by name by ppo and hop-onestep (their configs have no such key).
 */
export function expectProbabilityKey(key: 'loneContinuation' | 'loneStarts', flag: string): void {
  const value = (algo: string, p: number) => (trainConfigOf({ algo, [key]: p, ...(algo === 'hop-wm' ? { worldModel: 'wm-run' } : {}) }).config as Record<string, unknown>)[key];
  expect((trainConfigOf({ algo: 'hop' }).config as Record<string, unknown>)[key]).toBe(0);
  for (const algo of ['hop', 'hop-wm', 'direct-om']) expect(value(algo, 0.25), algo).toBe(0.25);
  for (const bad of [-0.1, 1.5])
    expect(() => trainConfigOf({ algo: 'hop', [key]: bad })).toThrow(new RegExp(`"${key}" = .* \\(from ${flag}\\) is invalid: a probability must be between 0 and 1`));
  for (const algo of ['ppo', 'hop-onestep']) expect(() => trainConfigOf({ algo, [key]: 0.5 }), algo).toThrow(new RegExp(`unknown key "${key}" from ${flag}`));
}

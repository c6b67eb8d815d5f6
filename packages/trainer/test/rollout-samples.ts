import type { RolloutSamples } from '../src/algos/hop/rollout';

/** Every per-row column of a rollout's samples (what a bit-for-bit comparison must cover). */
export const SAMPLE_COLUMNS = ['obs', 'mask', 'time', 'action', 'policy', 'reward', 'ret', 'player', 'env', 'episode', 'goal', 'learn', 'intent'] as const;

/** Whether two rollouts' samples agree bit for bit in every column. */
export function sameSamples(a: RolloutSamples, b: RolloutSamples): boolean {
  if (a.count !== b.count) return false;
  return SAMPLE_COLUMNS.every((k) => a[k].length === b[k].length && a[k].every((v, i) => Object.is(v, b[k][i])));
}

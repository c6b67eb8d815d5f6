import { HopError } from '@hop/core';

/**
 * `--resume` never lowers what a run has done: a budget below the epochs / iterations already trained is
 * refused (E_RESUME_BUDGET, with the numbers) before the run is touched. A budget between what is done and
 * what was planned shortens the plan; the change is recorded (see configChanges), never silently.
 */
export function checkResumeBudget(o: { run: string; flag: string; unit: string; requested: number | undefined; done: number; planned: number }): void {
  if (o.requested === undefined || o.requested >= o.done) return;
  throw new HopError(
    'E_RESUME_BUDGET',
    `${o.run} has already done ${o.done} ${o.unit} (of ${o.planned} planned); ${o.flag} ${o.requested} would lower what it has done. ` +
      `Give ${o.flag} ${o.done} or more (or leave it out to continue to ${o.planned}); to train a shorter run, start a new one with another --out`,
  );
}

/** One setting a resume changed: the run's record keeps the old value beside the new one. */
export interface ConfigChange {
  key: string;
  from: unknown;
  to: unknown;
}

/** The top-level settings whose values differ between `before` and `after` (JSON equality). */
export function configChanges(before: unknown, after: unknown): ConfigChange[] {
  const a = (before ?? {}) as Record<string, unknown>;
  const b = (after ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => ({ key: k, from: a[k] ?? null, to: b[k] ?? null }));
}

/** `iterations 10 -> 20; progress "none" -> "plain"`: a change as one metrics value (records hold scalars). */
export function describeChanges(changes: readonly ConfigChange[]): string {
  return changes.map((c) => `${c.key} ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}`).join('; ');
}

/**
 * Exit codes: 0 done, 1 unexpected failure, 2 bad input (config, dataset, run), 75 (EX_TEMPFAIL) a queued job's
 * run or dataset is locked by another process (hop worker tries it again later), 130 interrupted after saving.
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, locked: 75, interrupted: 130 } as const;

/** The exit code of a long command's status (run/lifecycle.ts): 0 completed, 130 interrupted after saving. */
export function exitCodeOf(status: 'completed' | 'interrupted'): number {
  return status === 'interrupted' ? EXIT.interrupted : EXIT.ok;
}

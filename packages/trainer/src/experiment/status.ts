import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RunDir } from '../run/layout';

/** A run directory (an experiment cell, or a pretraining input): finished (an `end` event), started (a run without one: resume it), or new. */
export function cellStatus(dir: string): 'finished' | 'started' | 'new' {
  if (!existsSync(join(dir, 'config.json'))) return 'new';
  const run = new RunDir(dir);
  if (!existsSync(run.metricsPath)) return 'started';
  const events = run.readMetrics().filter((r) => r.kind === 'event');
  return events.length && events[events.length - 1].event === 'end' ? 'finished' : 'started';
}


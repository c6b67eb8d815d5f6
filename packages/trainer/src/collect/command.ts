import { collect, ACTION_NAMES, openDataset } from '@hop/env-staghunt';
import type { CollectConfig } from '../config/schemas';
import { EXIT } from '../cli/exit';
import { createProgress } from '../run/progress';
import { table } from '../cli/text';

export interface CollectSummary {
  dir: string;
  samples: number;
  episodes: number;
  seconds: number;
  actionCounts: number[];
  /** Stag hunts / all hunts. */
  preyRatio: number;
  stagsCaught: number;
  haresCaught: number;
  goals: { stag: number; hare: number; none: number };
}

/** Plays the population into a dataset with a progress display; returns the summary it prints. */
export async function collectDataset(config: CollectConfig, log: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<CollectSummary> {
  log(`collecting ${config.episodes} episodes of ${config.preset} with the ${config.population} population (seed ${config.seed}) into ${config.out}`);
  const progress = createProgress({ label: 'collect', total: config.episodes, unit: 'episodes', mode: config.progress });
  const t0 = performance.now();
  const { meta } = await collect({
    preset: config.preset,
    population: config.population,
    episodes: config.episodes,
    seed: config.seed,
    out: config.out,
    onProgress: (p) => progress.update(p.episodes, `${p.samples} samples`),
  });
  const seconds = (performance.now() - t0) / 1000;
  progress.stop(`${meta.counts.samples} samples`);

  // The action distribution is read back from the file written, so it describes exactly what is on disk.
  const ds = openDataset(config.out);
  const actionCounts = new Array<number>(ACTION_NAMES.length).fill(0);
  try {
    const all = new Int32Array(ds.size);
    for (let i = 0; i < ds.size; i++) all[i] = i;
    for (const a of ds.batch(all, ['action']).action) actionCounts[a]++;
  } finally {
    ds.close();
  }
  const c = meta.counts;
  const hunts = c.stagsCaught + c.haresCaught;
  const summary: CollectSummary = {
    dir: config.out,
    samples: c.samples,
    episodes: c.episodes,
    seconds,
    actionCounts,
    preyRatio: hunts > 0 ? c.stagsCaught / hunts : 0,
    stagsCaught: c.stagsCaught,
    haresCaught: c.haresCaught,
    goals: c.goals,
  };
  log(
    `${c.samples} samples from ${c.episodes} episodes in ${seconds.toFixed(1)}s ` +
      `(${Math.round(c.samples / Math.max(seconds, 1e-9))} samples/s); stags caught ${c.stagsCaught}, hares caught ${c.haresCaught}, ` +
      `prey ratio (stag hunts / all hunts) ${summary.preyRatio.toFixed(3)}`,
  );
  log(`hindsight goals: stag ${c.goals.stag}, hare ${c.goals.hare}, none ${c.goals.none}`);
  log('action distribution:');
  log(
    table(
      ['action', 'count', 'ratio'],
      ACTION_NAMES.map((n, i) => [n, String(actionCounts[i]), (actionCounts[i] / Math.max(c.samples, 1)).toFixed(3)]),
    ),
  );
  return summary;
}

export async function runCollect(config: CollectConfig): Promise<number> {
  await collectDataset(config);
  return EXIT.ok;
}

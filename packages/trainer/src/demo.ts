import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXIT } from './cli/exit';
import { collectDataset } from './collect/command';
import { PretrainConfigSchema, type DemoConfig } from './config/schemas';
import { pretrain } from './pretrain/train';
import { writeReport } from './report/build';

/**
 * `hop demo` (what `npm run demo` runs): collect a small dataset, pretrain the VAE + MOA jointly for a few
 * epochs, write the report and say where it is. Real work at a small size: a few minutes on 2 cores.
 */
export async function runDemo(config: DemoConfig, log: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<number> {
  const t0 = performance.now();
  const dataDir = join(config.out, 'data');
  if (sameDataset(dataDir, config)) {
    log(`reusing the demo dataset in ${dataDir}`);
  } else {
    await collectDataset(
      { preset: config.preset, population: config.population, episodes: config.episodes, seed: config.seed, out: dataDir, progress: config.progress },
      log,
    );
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const result = await pretrain(
    PretrainConfigSchema.parse({
      data: dataDir,
      out: join(config.out, `pretrain-${stamp}`),
      seed: config.seed,
      epochs: config.epochs,
      // The small dataset needs the KL weight to arrive within the few hundred steps of the demo.
      alphaWarmupSteps: 300,
      logEvery: 10,
      progress: config.progress,
    }),
    { log },
  );
  if (result.status === 'interrupted') return EXIT.interrupted;
  const report = await writeReport(result.runDir);
  const minutes = (performance.now() - t0) / 60000;
  log(`\ndemo finished in ${minutes.toFixed(1)} min`);
  log(`report: ${report}`);
  log(`open it in a browser, e.g. file://${resolve(report)}`);
  return EXIT.ok;
}

/** A dataset the demo wrote earlier with the same settings (collection is seeded, so it would be identical). */
function sameDataset(dir: string, c: DemoConfig): boolean {
  const metaPath = join(dir, 'meta.json');
  if (!existsSync(metaPath)) return false;
  try {
    const m = JSON.parse(readFileSync(metaPath, 'utf8')) as { preset?: string; seed?: number; counts?: { episodes?: number }; population?: { name?: string } };
    return m.preset === c.preset && m.seed === c.seed && m.counts?.episodes === c.episodes && m.population?.name === c.population;
  } catch {
    return false;
  }
}

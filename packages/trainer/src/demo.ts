import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXIT } from './cli/exit';
import { collectDataset } from './collect/command';
import { PretrainConfigSchema, type DemoConfig } from './config/schemas';
import { pretrain } from './pretrain/train';
import { writeReport } from './report/build';
import { cvaeHeadlineText } from './report/pretrain-section';
import { trainConfigOf } from './train/command';

/**
 * `hop demo` (what `npm run demo` runs): collect a small dataset, pretrain the VAE + MOA jointly for a few
 * epochs, then (unless `--no-train`) pretrain a MOA on the true goals and run `hop train --preset quick` with
 * it, write the reports and say where they are. Real work at a small size: about 20 minutes on 2 cores.
 */
export async function runDemo(config: DemoConfig, log: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<number> {
  const t0 = performance.now();
  const dataDir = join(config.out, 'data');
  if (sameDataset(dataDir, config)) {
    log(`reusing the demo dataset in ${dataDir}`);
  } else {
    await collectDataset(
      {
        preset: config.preset,
        population: config.population,
        stagWait: 'stay',
        episodes: config.episodes,
        explore: 0,
        seed: config.seed,
        out: dataDir,
        force: true,
        progress: config.progress,
      },
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
      // The subgoal CVAE: the plain VAE's latent collapses on this data (its KL goes to ~0), the CVAE's prior
      // carries the history (measured in the trainer README's demo section).
      latent: 'cvae',
      // The small dataset needs the KL weight to arrive within the few hundred steps of the demo.
      alphaWarmupSteps: 300,
      logEvery: 10,
      progress: config.progress,
    }),
    { log },
  );
  if (result.status === 'interrupted') return EXIT.interrupted;
  let report = await writeReport(result.runDir);
  log(`pretraining report: ${report}`);
  if (config.train) {
    // Self-play HOP agents need co-player models conditioned on discrete goals: the true-goal MOA.
    const goals = await pretrain(
      PretrainConfigSchema.parse({
        data: dataDir,
        out: join(config.out, `pretrain-true-${stamp}`),
        seed: config.seed,
        epochs: config.epochs,
        goalInput: 'true',
        logEvery: 10,
        progress: config.progress,
      }),
      { log },
    );
    if (goals.status === 'interrupted') return EXIT.interrupted;
    log(`true-goal pretraining report: ${await writeReport(goals.runDir)}`);
    const { algo, config: trainConfig } = trainConfigOf({
      algo: 'hop',
      budget: 'quick',
      env: config.preset,
      seed: config.seed,
      pretrained: goals.runDir,
      warmStart: dataDir,
      out: join(config.out, `train-hop-${stamp}`),
      progress: config.progress,
    });
    const trained = await algo.train(trainConfig, { log });
    if (trained.status === 'interrupted') return EXIT.interrupted;
    report = await writeReport(trained.runDir);
    log(`self-play training report: ${report}`);
  }
  const minutes = (performance.now() - t0) / 60000;
  log(`\ndemo finished in ${minutes.toFixed(1)} min`);
  log(`report: ${report}`);
  log(`TensorBoard: tensorboard --logdir ${resolve(config.out)}`);
  log(`open it in a browser, e.g. file://${resolve(report)}`);
  // The demo ends with what its subgoal CVAE shows (or does not) at this size.
  const headline = cvaeHeadlineText(result.runDir);
  if (headline) log(headline);
  return EXIT.ok;
}

/** A dataset the demo wrote earlier with the same settings (collection is seeded, so it would be identical). */
function sameDataset(dir: string, c: DemoConfig): boolean {
  const metaPath = join(dir, 'meta.json');
  if (!existsSync(metaPath)) return false;
  try {
    const m = JSON.parse(readFileSync(metaPath, 'utf8')) as {
      preset?: string;
      seed?: number;
      counts?: { episodes?: number };
      population?: { name?: string; stagWait?: string };
    };
    // A dataset from before stagWait existed was played with the old 'hunt' rule: collect again.
    return (
      m.preset === c.preset && m.seed === c.seed && m.counts?.episodes === c.episodes && m.population?.name === c.population && m.population?.stagWait === 'stay'
    );
  } catch {
    return false;
  }
}

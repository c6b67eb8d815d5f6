import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deriveSeed } from '@hop/core';
import { VecStagHunt, createStagHuntSimulator, openDataset, stagHuntRewards, type StagHuntConfig } from '@hop/env-staghunt';
import {
  RUN_FILES,
  STEP_CATEGORIES,
  WorldModelSimulator,
  createWorldModelInference,
  evaluateOffPolicy,
  loadWorldModel,
  type OffPolicyFigures,
} from '@hop/world-model';

export interface OffPolicyCheck {
  /** Seed of the fresh episodes (derived from the run's seed, so they are not the dataset's). */
  seed: number;
  episodes: number;
  checkpoint: string;
  engine: string;
  figures: OffPolicyFigures[];
}

/**
 * Plays `episodes` fresh episodes of the true game of the dataset (random legal actions, then uniformly
 * random ones) and checks the world model of `checkpoint` against them through the planning adapter: the
 * figures a planner can trust (one step and ten-step rollouts; state, rewards and end; by step category).
 * Written to `<run>/world-model-offpolicy.json` for the report.
 */
export async function checkOffPolicy(
  runDir: string,
  checkpoint: string,
  dataDir: string,
  o: { episodes: number; seed: number; horizon?: number },
  log: (l: string) => void,
): Promise<OffPolicyCheck> {
  const ds = openDataset(dataDir);
  const config: StagHuntConfig = ds.config;
  ds.close();
  const truth = createStagHuntSimulator(config);
  const seed = deriveSeed(o.seed, 'world-model-offpolicy');
  const vec = new VecStagHunt(config, { numEnvs: o.episodes, seed, observations: 'none', autoReset: false });
  const starts = truth.allocate(o.episodes);
  for (let k = 0; k < o.episodes; k++) vec.snapshot(k, starts, k);
  const { model } = await loadWorldModel(checkpoint);
  const inference = await createWorldModelInference(model);
  const sim = new WorldModelSimulator(model, { predictor: inference, rewards: stagHuntRewards(config) });
  const g = truth.geometry;
  try {
    const figures = await evaluateOffPolicy(sim, {
      truth,
      starts,
      count: o.episodes,
      seed,
      horizon: o.horizon ?? 10,
      // dynamicFinalTime: the end the first catch set is in the true state only
      endTimeOf: (states, slot) => {
        const end = states[slot * truth.stateWords + g.END];
        return end < config.finalTime ? end : 0;
      },
    });
    const check: OffPolicyCheck = { seed, episodes: o.episodes, checkpoint, engine: inference.engine, figures };
    const path = join(runDir, RUN_FILES.offPolicy);
    await writeFile(`${path}.tmp-${process.pid}`, `${JSON.stringify(check)}\n`);
    await rename(`${path}.tmp-${process.pid}`, path);
    for (const f of figures) log(describeFigures(f));
    return check;
  } finally {
    await inference.dispose();
    model.dispose();
  }
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

/** A few lines of one set of figures, for the console. */
export function describeFigures(f: OffPolicyFigures): string {
  const o = f.oneStep.overall;
  // a category no step fell in (blocked moves under legal actions) has no rate
  const rate = (r: { steps: number; all: number }) => (r.steps ? pct(r.all) : '-');
  const cats = STEP_CATEGORIES.map((c) => `${c} ${rate(f.oneStep.byCategory[c])} (${f.oneStep.byCategory[c].steps})`).join(', ');
  return (
    `off-policy, ${f.actions === 'legal' ? 'random legal' : 'uniformly random'} actions, ${f.episodes} fresh episodes, ${o.steps} steps: ` +
    `one step state ${pct(o.state)}, rewards ${pct(o.reward)}, end ${pct(o.end)}, all three ${pct(o.all)}\n` +
    `  by category (all three): ${cats}\n` +
    `  ${f.rollouts.rollouts} rollouts of ${f.rollouts.horizon} steps on the model's own states: all steps match ${pct(f.rollouts.allMatch)} ` +
    `(${f.seconds.toFixed(1)} s)`
  );
}

import { fileURLToPath } from 'node:url';
import { deriveSeed } from '@hop/core';
import type { SelfPlayConfig } from './settings';
import type { PairRegistry, MOAModel, MOAConfig } from '@hop/moa';
import { runRollout, type RolloutResult, type RolloutSpec } from './rollout';
import type { HopTeam } from '../../team/team';
import type { GoalSetup } from '../../team/goals';
import { packWeights, type PackedWeights } from './weights';
import type { StagHuntSimulator } from '@hop/env-staghunt';
import type { PlanningSpec } from '../../planning/open';

/**
 * Plays an iteration's rollouts, and the greedy held-out evaluations: in this thread, or split over worker
 * threads by environment slices (evaluation episodes are as many as an iteration's, so they share the pool).
 */
export interface RolloutRunner {
  readonly describe: string;
  rollout(iteration: number): Promise<RolloutResult[]>;
  /** Greedy decisions on the environments of `spec` (its `envStart` is ignored: slices cover them all). */
  evaluate(spec: RolloutSpec): Promise<RolloutResult[]>;
  dispose(): Promise<void>;
}

/** What a worker needs to rebuild the networks and planner of the run (task payload). */
export interface RolloutTask {
  config: SelfPlayConfig & Record<string, unknown> & { algo: string };
  /** Where the planner searches (the worker opens it; it never looks the algorithm up). */
  planning: PlanningSpec;
  spec: RolloutSpec;
  /** Greedy decisions (evaluation) instead of sampled ones (training rollouts). */
  greedy: boolean;
  weights: PackedWeights;
  /** Pairs with their own weights (the rest share the generic model). */
  ownedPairs: [number, number][];
  /** Architecture of the generic co-player model. */
  generic: MOAConfig;
  /** The goal set-up (latent goal vectors are computed once, in the main thread). */
  goals: GoalSetup;
  priors: { histogram: Float64Array; outcomes: Int32Array }[];
}

/** Environments `[start, start + count)` of each of `slices` workers (sizes differ by at most one). */
export function envSlices(numEnvs: number, slices: number): { start: number; count: number }[] {
  const w = Math.max(1, Math.min(slices, numEnvs));
  const out: { start: number; count: number }[] = [];
  let start = 0;
  for (let k = 0; k < w; k++) {
    const count = Math.floor(numEnvs / w) + (k < numEnvs % w ? 1 : 0);
    out.push({ start, count });
    start += count;
  }
  return out;
}

/** `--co-player-mix` at training iteration `iteration` (1-based): the mix up to `--co-player-mix-until`, then 0. */
export function coPlayerMixAt(config: Pick<SelfPlayConfig, 'coPlayerMix' | 'coPlayerMixUntil'>, iteration: number): number {
  return config.coPlayerMixUntil !== undefined && iteration > config.coPlayerMixUntil ? 0 : config.coPlayerMix;
}

export function rolloutSpec(config: SelfPlayConfig, iteration: number, start: number, count: number): RolloutSpec {
  return {
    seed: deriveSeed(config.seed, 'rollout', iteration),
    envStart: start,
    numEnvs: count,
    episodesPerEnv: config.episodesPerEnv,
    gamma: config.gamma,
    coPlayerMix: coPlayerMixAt(config, iteration),
    coPlayerEpsilon: config.coPlayerEpsilon,
    loneContinuation: config.loneContinuation,
    loneStarts: config.loneStarts,
  };
}

/**
 * The held-out greedy evaluation of a training run: its own seed, every player planned (no rule co-players, no
 * lone continuation: those shape training only), the first episode recorded for the replay page.
 */
export function evaluationSpec(config: SelfPlayConfig, episodes: number): RolloutSpec {
  return {
    seed: deriveSeed(config.seed, 'held-out-evaluation'),
    envStart: 0,
    numEnvs: config.evalEnvs,
    episodesPerEnv: Math.ceil(episodes / config.evalEnvs),
    gamma: config.gamma,
    record: true,
  };
}

interface RunnerSetup {
  game: StagHuntSimulator;
  team: HopTeam;
  evalTeam: HopTeam;
  models: { policy: MOAModel; registry: PairRegistry };
}

export async function createRunner(
  config: RolloutTask['config'],
  setup: RunnerSetup,
  planning: PlanningSpec,
): Promise<RolloutRunner> {
  const slices = envSlices(config.numEnvs, config.workers);
  if (slices.length === 1) {
    return {
      describe: 'in this thread (--workers 1)',
      rollout: async (it) => [await runRollout(setup.team, setup.game.config, rolloutSpec(config, it, 0, config.numEnvs))],
      evaluate: async (spec) => [await runRollout(setup.evalTeam, setup.game.config, { ...spec, envStart: 0 })],
      dispose: async () => {},
    };
  }
  const { Piscina } = await import('piscina');
  const self = fileURLToPath(import.meta.url);
  const ext = self.endsWith('.ts') ? '.ts' : '.js';
  const filename = new URL(`./rollout-worker${ext}`, import.meta.url).href;
  const pool = new Piscina({ filename, minThreads: slices.length, maxThreads: slices.length, idleTimeout: 60_000 });
  // Each task carries the newest weights (a worker reloads only those whose checksum changed) and priors.
  const play = async (specs: RolloutSpec[], greedy: boolean, priorsOf: HopTeam): Promise<RolloutResult[]> => {
    const { registry, policy } = setup.models;
    const ownedPairs = registry.pairs().filter(([i, j]) => !registry.isShared(i, j));
    const nets: Record<string, import('@tensorflow/tfjs').LayersModel> = { policy: policy.net, generic: registry.generic.net };
    for (const [i, j] of ownedPairs) nets[`pair-${i}-${j}`] = registry.model(i, j).net;
    const weights = packWeights(nets);
    const priors = priorsOf.priors.map((p) => ({ histogram: Float64Array.from(p.histogram), outcomes: Int32Array.from(p.outcomes) }));
    const tasks = specs.map((spec) => ({ config, planning, spec, greedy, weights, ownedPairs, priors, generic: registry.generic.config, goals: setup.team.goals }) satisfies RolloutTask);
    return (await Promise.all(tasks.map((t) => pool.run(t)))) as RolloutResult[];
  };
  return {
    describe: `${slices.length} worker threads, environments ${slices.map((s) => `${s.start}..${s.start + s.count - 1}`).join(' / ')}`,
    rollout: (it) => play(slices.map((s) => rolloutSpec(config, it, s.start, s.count)), false, setup.team),
    evaluate: (spec) =>
      play(
        // Only the first slice records its first episode (the replay page shows environment 0, as in one thread).
        envSlices(spec.numEnvs, config.workers).map((s) => ({ ...spec, envStart: s.start, numEnvs: s.count, record: spec.record === true && s.start === 0 })),
        true,
        // The evaluation team's priors: the loop copies the training team's into it before each evaluation.
        setup.evalTeam,
      ),
    dispose: async () => {
      await pool.destroy();
    },
  };
}

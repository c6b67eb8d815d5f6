import type { z } from 'zod';
import type { BatchedSimulator } from '@hop/core';
import type { StagHuntSimulator } from '@hop/env-staghunt';
import type { SelfPlayConfig } from '../selfplay/config';
import type { SelfPlayOptions, SelfPlayResult } from '../selfplay/loop';
import type { VecStagHunt } from '@hop/env-staghunt';
import type { Controller } from '../eval/controllers';
import type { RootEncoder } from '../selfplay/team';

/** Where an algorithm's planner searches: the game itself, or a learned model of it. */
export interface PlanningSetup {
  planning?: BatchedSimulator;
  roots?: RootEncoder;
  /** What the run records about it (e.g. the world model's run). */
  facts: Record<string, unknown>;
  dispose(): void;
}

/** What every `hop train --algo` choice has: a name, a one-line summary and its validated config record. */
export interface AlgorithmBase {
  readonly name: string;
  readonly summary: string;
  /** The algorithm's config record. */
  readonly schema: z.ZodObject;
  /** Its budget presets (`--preset`), when the shared self-play ones (MCTS budgets) do not apply to it. */
  readonly presets?: Record<string, Record<string, unknown>>;
}

/**
 * An algorithm with its own training loop (PPO and what builds on it): it creates, resumes and records its run
 * in the shared run layout (config.json, metrics.jsonl with kinds 'iteration' / 'eval', checkpoints/iter-N).
 */
export interface LoopAlgorithm extends AlgorithmBase {
  readonly loop: 'own';
  train(config: Record<string, unknown>, options: SelfPlayOptions): Promise<SelfPlayResult>;
  /** Continues a run of this algorithm from its newest complete checkpoint; `iterations` may extend it. */
  resume(runDir: string, overrides: { iterations?: number; progress?: 'auto' | 'bar' | 'plain' | 'none' }, options: SelfPlayOptions): Promise<SelfPlayResult>;
  /** The run's agents for `hop eval`, from checkpoint `dir`, playing in `env`. */
  controller(runDir: string, dir: string, env: VecStagHunt, seed: number, options: { onlineCapacity?: number }): Promise<Controller>;
}

/** Any `hop train --algo` choice. */
export type TrainAlgorithm = SelfPlayAlgorithm | LoopAlgorithm;

export function isLoopAlgorithm(a: TrainAlgorithm): a is LoopAlgorithm {
  return (a as LoopAlgorithm).loop === 'own';
}

/**
 * A planning self-play algorithm: its validated config record and the two choices that make it what it is. The shared
 * loop (`selfplay/loop.ts`) does everything else. Adding an algorithm = a folder + one line in `registry.ts`.
 */
export interface SelfPlayAlgorithm extends AlgorithmBase {
  readonly loop?: 'selfplay';
  /**
   * Co-player models with discrete goal input and beliefs (`goals`), or without goal input (`none`, direct
   * opponent modelling). A pretrained MOA must have been made with the matching `--goal-input`.
   */
  readonly coPlayerGoals: 'goals' | 'none';
  /** The planner's simulator. `game` is the true game (for root states and views); workers call this too. */
  planning(config: SelfPlayConfig & Record<string, unknown>, game: StagHuntSimulator): Promise<PlanningSetup>;
}

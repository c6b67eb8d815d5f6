import type { z } from 'zod';
import type { BatchedSimulator } from '@hop/core';
import type { StagHuntSimulator } from '@hop/env-staghunt';
import type { SelfPlayConfig } from '../selfplay/config';
import type { RootEncoder } from '../selfplay/team';

/** Where an algorithm's planner searches: the game itself, or a learned model of it. */
export interface PlanningSetup {
  planning?: BatchedSimulator;
  roots?: RootEncoder;
  /** What the run records about it (e.g. the world model's run). */
  facts: Record<string, unknown>;
  dispose(): void;
}

/**
 * A self-play algorithm: its validated config record and the two choices that make it what it is. The shared
 * loop (`selfplay/loop.ts`) does everything else. Adding an algorithm = a folder + one line in `registry.ts`.
 */
export interface SelfPlayAlgorithm {
  readonly name: string;
  readonly summary: string;
  /** The algorithm's config record: the shared settings plus its own keys. */
  readonly schema: z.ZodObject;
  /**
   * Co-player models with discrete goal input and beliefs (`goals`), or without goal input (`none`, direct
   * opponent modelling). A pretrained MOA must have been made with the matching `--goal-input`.
   */
  readonly coPlayerGoals: 'goals' | 'none';
  /** The planner's simulator. `game` is the true game (for root states and views); workers call this too. */
  planning(config: SelfPlayConfig & Record<string, unknown>, game: StagHuntSimulator): Promise<PlanningSetup>;
}

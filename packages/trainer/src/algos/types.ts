import type { z } from 'zod';
import type { RuleParams, VecStagHunt } from '@hop/env-staghunt';
import type { MctsConfig } from '@hop/mcts';
import type { RunConfigFile, RunDir } from '../run/layout';
import type { RunOptions, RunResult } from '../run/lifecycle';

/**
 * The contract between an algorithm's folder and everything outside it: the registry, the CLI (`hop train`),
 * `hop eval` and `HopAgent.fromRun` see an algorithm only through this record. It imports no algorithm.
 */

/**
 * Whoever plays some players of an evaluation's envs: a trained run's agents or a rule population. One
 * controller lives for one pairing group (a seed, a focal count and a co-player type), so whatever it learns
 * about its co-players (beliefs, priors) carries across the K episodes of the pairing: the few-shot part.
 */
export interface Controller {
  /** Actions of the players `mine[k * P + p] = 1` (others untouched), all envs at once. */
  act(env: VecStagHunt, mine: Uint8Array, out: Int32Array): Promise<void>;
  /** After the step: `prev` is the state arena before it, `actions` the joint actions, `acted` who was in play. */
  observe(env: VecStagHunt, prev: Int32Array, actions: Int32Array, acted: Uint8Array): Promise<void>;
  /** Env k just started an episode (after a reset). */
  startEpisode(env: VecStagHunt, k: number): void;
  /**
   * Env k's episode ended; `achieved[p]` the goal player p hunted (0 stag, 1 hare, -1 none) and `achievedStep[p]`
   * the time step it hunted at. Agents with online co-player models train them here when a buffer is full.
   */
  endEpisode(k: number, achieved: number[], achievedStep: number[]): Promise<void>;
  dispose(): Promise<void>;
  /** Rule controllers: what their players are (the diagnosis rows' oracles read it). */
  readonly rules?: RuleCoPlayers;
  /** Before the pairing starts: the rule co-players it meets (null: none, e.g. self-play). */
  meet?(co: RuleCoPlayers | null): void;
  /** Planning agents: the `[P-1, G]` belief env k's player p planned with at its last decision (null: none). */
  belief?(k: number, p: number): Float32Array | null;
}

/** The truth about rule co-players, for the oracle diagnosis rows. */
export interface RuleCoPlayers {
  /** Kind index (`AGENT_KINDS`) of env k's player p this episode. */
  kindOf(k: number, p: number): number;
  /** The goal env k's player p went for at its last decision (0 stag, 1 hare, -1 none). */
  goalOf(k: number, p: number): number;
  /** The switching agent's latch. */
  latched(k: number, p: number): boolean;
  /** Whether env k's player p is played by these rules in this pairing. */
  controls(k: number, p: number): boolean;
  readonly params: RuleParams;
}

/**
 * The diagnosis rows of `hop eval` for HOP-family runs: the trained agent with one component replaced by
 * the truth (or removed), without retraining. Side by side they say where adaptation is lost:
 * - `oracle-goals`: beliefs are each rule co-player's true current goal (inference made perfect);
 * - `oracle-model`: inside the tree, rule co-players are simulated by their true rule policy instead of the
 *   per-pair model (co-player model made perfect);
 * - `uniform-beliefs`: no inference at all, no inter-episode prior (what the beliefs are worth);
 * - `no-search`: the policy prior's argmax (what the search adds over the prior it leans on).
 */
export const DIAGNOSIS_VARIANTS = ['oracle-goals', 'oracle-model', 'uniform-beliefs', 'no-search'] as const;
export type DiagnosisVariant = (typeof DIAGNOSIS_VARIANTS)[number];

/** Variants that only change the goal beliefs: nothing to diagnose for goal-free agents (direct-om). */
export const BELIEF_VARIANTS: readonly DiagnosisVariant[] = ['oracle-goals', 'uniform-beliefs'];

/** The planner's search policies: `@hop/mcts`'s `search`. */
export type PlannerSearch = MctsConfig['search'];
/** Their names for `hop eval --search` (the compiler checks each against `@hop/mcts`). */
export const PLANNER_SEARCHES = ['puct', 'gumbel'] as const satisfies readonly PlannerSearch[];

/** How `hop eval` wants a run's agents: online co-player capacity and, for planning runs, a diagnosis row. */
export interface ControllerOptions {
  onlineCapacity?: number;
  variant?: DiagnosisVariant;
  /** Overrides the run's inter-episode prior discount. */
  priorAlpha?: number;
  /** Overrides the planner's simulations per tree. */
  simulations?: number;
  /** Overrides the planner's PUCT exploration constant c. */
  cPuct?: number;
  /** Overrides the planner's root policy: PUCT (as trained) or Gumbel-MuZero sequential halving over every action. */
  search?: PlannerSearch;
}

/** What `--resume` may change in a `hop train` run. */
export interface ResumeOverrides {
  iterations?: number;
  progress?: 'auto' | 'bar' | 'plain' | 'none';
}

/**
 * What `hop train --resume` hands the algorithm that made the run, after the one resume check of every long
 * command (train/command.ts through run/lifecycle.ts's openForResume: the run is a `hop train` run, it is locked
 * by this process, config.json has been read once and the config the resume runs with resolved).
 */
export interface TrainResume {
  /** The run directory, locked by this process until the loop closes it. */
  readonly run: RunDir;
  /** Its config.json as read (old key spellings renamed). */
  readonly file: RunConfigFile<Record<string, unknown>>;
  /** The config the resume runs with: `resumeConfig` of the saved one. */
  readonly config: Record<string, unknown>;
  /** `--iterations` given with --resume: never below what the run has done (resumeRun's budget check). */
  readonly requestedIterations?: number;
  /**
   * Where the run continues from, the same for every algorithm (run/train-inputs.ts): inputs changed since the
   * run started are refused (E_INPUT_CHANGED), then the newest `iter-N` that verifies is chosen (a damaged one is
   * moved aside with a warning and the previous one used); null: from iteration 1. The algorithm hands it to
   * resumeRun as its `point`.
   */
  point(): string | null;
}

/** A `hop train --algo` choice. Adding one: a folder under `algos/` and one line in `algos/registry.ts`. */
export interface Algorithm {
  readonly name: string;
  readonly summary: string;
  /** The algorithm's config record (CleanRL's `Args`): every key with its default and description. */
  readonly schema: z.ZodObject;
  /** Its budget presets (`--budget`): a layer under the config file and the flags. */
  readonly budgets: Record<string, Record<string, unknown>>;
  /** Starts a run in a fresh directory; `config` has been validated by `schema` (once, by the caller). */
  train(config: Record<string, unknown>, options: RunOptions): Promise<RunResult>;
  /** Files every checkpoint `iter-N/` of the algorithm holds: a resume verifies them (and every file beside them). */
  readonly checkpointFiles: readonly string[];
  /** The config a resume runs with: the run's saved config with what `--resume` may change, validated by `schema`. */
  resumeConfig(saved: Record<string, unknown>, overrides: ResumeOverrides): Record<string, unknown>;
  /** Continues a run from `resume.point()` (config.json read, the run locked and the config resolved by the caller). */
  resume(resume: TrainResume, options: RunOptions): Promise<RunResult>;
  /** The run's agents for `hop eval`, from checkpoint `dir`, playing in `env`. */
  controller(runDir: string, dir: string, env: VecStagHunt, seed: number, options: ControllerOptions): Promise<Controller>;
}

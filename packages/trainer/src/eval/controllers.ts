import { join, basename } from "node:path";
import { HopError } from "@hop/core";
import {
  BatchedPopulation,
  POPULATIONS,
  type PopulationName,
  type VecStagHunt,
} from "@hop/env-staghunt";
import { algorithm } from "../algos/registry";
import type { Controller, DiagnosisVariant, PlannerSearch } from "../algos/types";
import { checkpointIterations } from "../run/checkpoints";
import { RunDir } from "../run/layout";

export type { Controller, RuleCoPlayers } from "../algos/types";

/** Makes fresh controllers for one agent kind (a run, or a rule population). */
export interface AgentSource {
  /** The row name in the tables. */
  readonly label: string;
  /** `run` (a trained agent) or `rule` (a reference row). */
  readonly kind: "run" | "rule";
  /** The environment preset the agent was trained on (a run's), or null (rules play any). */
  readonly env: string | null;
  create(env: VecStagHunt, seed: number): Promise<Controller>;
}

/** Rule-based players (`BatchedPopulation`), seeded per env, episode and player as the collector does. */
export function ruleSource(
  population: PopulationName,
  label: string = population
): AgentSource {
  if (!POPULATIONS.includes(population))
    throw new HopError(
      "E_CONFIG",
      `unknown population "${population}"; choose one of ${POPULATIONS.join(
        ", "
      )}`
    );
  return {
    label,
    kind: "rule",
    env: null,
    create: async (env, seed) => {
      const pop = new BatchedPopulation(env, population, seed);
      const all = new Int32Array(env.numEnvs * env.numAgents);
      const P = env.numAgents;
      const playing = new Uint8Array(env.numEnvs * P);
      return {
        rules: {
          kindOf: (k, p) => pop.kindOf(k, p),
          goalOf: (k, p) => pop.goalOf(k, p),
          latched: (k, p) => pop.latched(k, p),
          controls: (k, p) => playing[k * P + p] === 1,
          params: pop.population,
        },
        act: async (e, mine, out) => {
          pop.act(e, all);
          for (let j = 0; j < all.length; j++)
            if (mine[j]) (out[j] = all[j]), (playing[j] = 1);
        },
        observe: async () => {},
        // Kinds drawn now (the same draws act would make) so that oracles can read them before the first step.
        startEpisode: (e) => pop.prepare(e),
        endEpisode: async () => {},
        dispose: async () => {},
      };
    },
  };
}

/**
 * A row evaluated with another search policy or c says so, before any diagnosis variant:
 * `hop (run) [gumbel] [no-search]`, `hop (run) [c 3]` (nothing without either). `--simulations` keeps the label
 * it always had (the evaluation's settings record it), so that labels matched by existing evaluations, experiments
 * and scripts do not change.
 */
export function plannerSuffix(opts: { cPuct?: number; search?: PlannerSearch }): string {
  const parts = [
    opts.search !== undefined ? opts.search : null,
    opts.cPuct !== undefined ? `c ${opts.cPuct}` : null,
  ].filter((p): p is string => p !== null);
  return parts.length > 0 ? ` [${parts.join(", ")}]` : "";
}

/**
 * The agents of a `hop train` run, from its newest complete checkpoint.
 * `label` names its rows (default `<algo> (<run directory name>)`); `onlineCapacity` overrides the run's online
 * buffer capacity during evaluation (smaller: the co-player models adapt within a few episodes).
 */
export function runSource(
  runDir: string,
  label?: string,
  onlineCapacity?: number,
  opts: {
    variant?: DiagnosisVariant;
    priorAlpha?: number;
    simulations?: number;
    cPuct?: number;
    search?: PlannerSearch;
  } = {}
): AgentSource {
  const run = new RunDir(runDir);
  const file = run.readConfig<{ algo?: string; env?: string }>();
  if (file.command !== "train")
    throw new HopError(
      "E_RUN",
      `${run.root} is a '${file.command}' run; hop eval needs \`hop train\` runs`
    );
  const its = checkpointIterations(run.checkpointsDir);
  if (its.length === 0)
    throw new HopError(
      "E_RUN",
      `${run.root} has no complete checkpoint yet (checkpoints/iter-N/state.json)`
    );
  const algo = algorithm(String(file.config.algo));
  const dir = join(run.checkpointsDir, `iter-${its[0]}`);
  const env = String(file.config.env);
  const name =
    (label ?? `${algo.name} (${basename(run.root)})`) +
    plannerSuffix(opts) +
    (opts.variant ? ` [${opts.variant}]` : "");
  return {
    label: name,
    kind: "run",
    env,
    create: async (vec, seed) =>
      algo.controller(run.root, dir, vec, seed, { onlineCapacity, ...opts }),
  };
}

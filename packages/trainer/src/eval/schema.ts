import { z } from "zod";
import { HopError } from "@hop/core";
import { POPULATIONS, presetNames, type PresetName } from "@hop/env-staghunt";
import { DIAGNOSIS_VARIANTS, PLANNER_SEARCHES } from "../algos/types";

const int = (min: number) => z.number().int().min(min);

/** `hop eval`: the evaluation protocols of the paper's two tables. */
export const EvalConfigSchema = z.strictObject({
  protocol: z
    .enum(["self-play", "adapt", "both"])
    .default("both")
    .describe(
      "self-play (all players from the agent), adapt (few-shot with unseen rule co-players), or both"
    ),
  episodes: int(1)
    .default(10)
    .describe(
      "Episodes per pairing, played in sequence (the agent keeps what it learned: the few-shot curve)"
    ),
  seeds: int(1)
    .default(3)
    .describe("Independent seeds; tables show mean +- std over them"),
  pairings: int(1)
    .default(8)
    .describe(
      "Pairings played side by side per seed, focal count and co-player type"
    ),
  seed: z
    .number()
    .int()
    .min(0)
    .max(0xffffffff)
    .default(0)
    .describe("Base seed of layouts, rule agents and decisions"),
  env: z
    .enum(presetNames as [PresetName, ...PresetName[]])
    .optional()
    .describe("Environment preset (default: the runs'; needed without runs)"),
  groupByAlgo: z
    .boolean()
    .default(false)
    .describe(
      "One row per algorithm: its runs (training seeds) pooled, mean +- std over runs x seeds (default: one row per run)"
    ),
  onlineCapacity: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      "Online co-player buffers' capacity during evaluation (default: the run's --moa-capacity; smaller adapts within K episodes)"
    ),
  coPlayers: z
    .array(z.enum(POPULATIONS))
    .optional()
    .describe(
      "Adapt protocol: only these co-player types (comma list; default random, stag, hare, switching)"
    ),
  focal: z
    .array(z.number().int().min(1))
    .optional()
    .describe(
      "Adapt protocol: only these focal counts (comma list; default 1 and P - 1)"
    ),
  variants: z
    .array(z.enum(DIAGNOSIS_VARIANTS))
    .default([])
    .describe(
      `Diagnosis rows for HOP-family runs (comma list of ${DIAGNOSIS_VARIANTS.join(
        ", "
      )}): the agent with true goals, the true co-player rules in the tree, no inference, or no search`
    ),
  simulations: z
    .number()
    .int()
    .min(2)
    .optional()
    .describe(
      "Planner simulations per tree during evaluation (default: the run's); a deeper search with the diagnosis rows tells the value's horizon from the model"
    ),
  cPuct: z
    .number()
    .min(0)
    .optional()
    .describe(
      "Planner PUCT exploration constant c during evaluation (default: the run's); a larger c spreads the root's visits beyond the prior's line. Not with --search gumbel (which has no c)"
    ),
  search: z
    .enum(PLANNER_SEARCHES)
    .optional()
    .describe(
      "Planner root policy during evaluation (default: the run's, puct): gumbel = Gumbel-MuZero sequential halving, which visits every root action and picks by prior + value (a diagnosis: runs train with puct)"
    ),
  priorAlpha: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe(
      "Inter-episode goal prior discount during evaluation (default: the run's --prior-alpha)"
    ),
  reference: z
    .boolean()
    .default(true)
    .describe(
      "Also evaluate the rule populations (reference rows) and, for adapt, the best-responding rule team (ceiling)"
    ),
  workers: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      "Worker threads playing the evaluation's slices (default: the machine's cores; 1 = in this thread); the same cells for any count"
    ),
  progress: z
    .enum(["auto", "bar", "plain", "none"])
    .default("auto")
    .describe(
      "Progress display (episodes done of planned): a bar on a terminal, plain lines otherwise (auto), or forced"
    ),
  out: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Output directory (default <first run>/evaluation, or runs/eval-<time>)"
    ),
});
export type EvalConfig = z.infer<typeof EvalConfigSchema>;

/**
 * Settings the schema alone cannot refuse: `--c-puct` with `--search gumbel` (which has no c). Called by `hop eval`
 * and by `hop experiment` / the queue when they resolve an experiment's `eval:` block, before anything trains.
 */
export function checkEvalConfig(config: Pick<EvalConfig, "search" | "cPuct">, where = "--c-puct"): void {
  if (config.search === "gumbel" && config.cPuct !== undefined)
    throw new HopError(
      "E_CONFIG",
      `${where} ${config.cPuct} is PUCT's exploration constant, and search gumbel does not use it: drop one of them`
    );
}

import { ruleSource, runSource, type AgentSource } from "./controllers";
import type { PopulationName } from "@hop/env-staghunt";
import type { EvalSettings, EvalSlice } from "./protocol";
import type { DiagnosisVariant, PlannerSearch } from "../algos/types";

/** What an evaluation task rebuilds its agent from: a rule population, or a run directory with options. */
export type SourceSpec =
  | { kind: "rule"; population: PopulationName; label: string }
  | {
      kind: "run";
      runDir: string;
      label?: string;
      onlineCapacity?: number;
      variant?: DiagnosisVariant;
      priorAlpha?: number;
      simulations?: number;
      cPuct?: number;
      search?: PlannerSearch;
    };

/** One slice of one agent row under one protocol: all a worker (or a queue consumer) needs to play it. */
export interface EvalTask {
  source: SourceSpec;
  /** The environment preset. */
  env: string;
  settings: EvalSettings;
  slice: EvalSlice;
}

export interface EvalTaskResult {
  /** `[K][pairingCount]` focal rewards. */
  rewards: number[][];
  /** Wall seconds the task ran (its share of the process CPU is apportioned by it). */
  busySeconds: number;
}

export function sourceOf(spec: SourceSpec): AgentSource {
  return spec.kind === "rule"
    ? ruleSource(spec.population, spec.label)
    : runSource(spec.runDir, spec.label, spec.onlineCapacity, {
        variant: spec.variant,
        priorAlpha: spec.priorAlpha,
        simulations: spec.simulations,
        cPuct: spec.cPuct,
        search: spec.search,
      });
}

import { initBackend } from '@hop/core';
import { resolveConfig as resolveGame, type PopulationName } from '@hop/env-staghunt';
import { ruleSource, runSource, type AgentSource } from './controllers';
import type { EvalSettings, EvalSlice } from './protocol';
import { playSlice } from './protocol';
import type { DiagnosisVariant } from '../algos/types';

/** What an evaluation task rebuilds its agent from: a rule population, or a run directory with options. */
export type SourceSpec =
  | { kind: 'rule'; population: PopulationName; label: string }
  | { kind: 'run'; runDir: string; label?: string; onlineCapacity?: number; variant?: DiagnosisVariant; priorAlpha?: number; simulations?: number };

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
  return spec.kind === 'rule'
    ? ruleSource(spec.population, spec.label)
    : runSource(spec.runDir, spec.label, spec.onlineCapacity, { variant: spec.variant, priorAlpha: spec.priorAlpha, simulations: spec.simulations });
}

let ready: Promise<unknown> | null = null;
// Sources read the run's config and checkpoint list once per worker; every task builds fresh controllers
// (and disposes their tensors and sessions at its end), so nothing a task learns leaks into the next.
const sources = new Map<string, AgentSource>();

/** Plays one evaluation task (a piscina worker's entry point; also called in process with --workers 1). */
export default async function evalTask(task: EvalTask): Promise<EvalTaskResult> {
  const t0 = performance.now();
  ready ??= initBackend();
  await ready;
  const key = JSON.stringify(task.source);
  let source = sources.get(key);
  if (!source) sources.set(key, (source = sourceOf(task.source)));
  const game = resolveGame(task.env as Parameters<typeof resolveGame>[0]);
  const co = task.slice.coPlayer === 'self' ? null : ruleSource(task.slice.coPlayer as PopulationName);
  const rewards = await playSlice(source, co, game, task.settings, task.slice);
  return { rewards, busySeconds: (performance.now() - t0) / 1000 };
}

import { initBackend } from "@hop/core";
import {
  resolveConfig as resolveGame,
  type PopulationName,
} from "@hop/env-staghunt";
import { ruleSource, type AgentSource } from "./controllers";
import { playSlice } from "./protocol";
import { sourceOf, type EvalTask, type EvalTaskResult } from "./task";

let ready: Promise<unknown> | null = null;
// Sources read the run's config and checkpoint list once per worker; every task builds fresh controllers
// (and disposes their tensors and sessions at its end), so nothing a task learns leaks into the next.
const sources = new Map<string, AgentSource>();

/** Plays one evaluation task (a piscina worker's entry point; also called in process with --workers 1). */
export default async function evalTask(
  task: EvalTask
): Promise<EvalTaskResult> {
  const t0 = performance.now();
  ready ??= initBackend();
  await ready;
  const key = JSON.stringify(task.source);
  let source = sources.get(key);
  if (!source) sources.set(key, (source = sourceOf(task.source)));
  const game = resolveGame(task.env as Parameters<typeof resolveGame>[0]);
  const co =
    task.slice.coPlayer === "self"
      ? null
      : ruleSource(task.slice.coPlayer as PopulationName);
  const rewards = await playSlice(source, co, game, task.settings, task.slice);
  return { rewards, busySeconds: (performance.now() - t0) / 1000 };
}

import type { StagHuntSimulator } from '@hop/env-staghunt';
import type { PlanningSetup } from './setup';
import { worldModelPlanning } from './world-model';

/**
 * Where a planner searches, as data: the game itself, or a `hop world-model` run. An algorithm names it from
 * its config; it is recorded in the run's config.json (`inputs.planning`), so rollout workers and
 * `HopAgent.fromRun` open the same simulator without asking which algorithm made the run.
 */
export type PlanningSpec = { simulator: 'true game' } | { simulator: 'world model'; worldModel: string };


export async function openPlanning(spec: PlanningSpec, game: StagHuntSimulator): Promise<PlanningSetup> {
  if (spec.simulator === 'world model') return worldModelPlanning(spec.worldModel, game);
  return { facts: { simulator: 'true game' }, dispose() {} };
}

/** The planning recorded in a run's config.json (runs of the true game before it was recorded say nothing else). */
export function recordedPlanning(inputs: Record<string, unknown> | undefined): PlanningSpec {
  const p = inputs?.planning as { simulator?: string; worldModel?: string } | undefined;
  return p?.simulator === 'world model' && typeof p.worldModel === 'string' ? { simulator: 'world model', worldModel: p.worldModel } : { simulator: 'true game' };
}

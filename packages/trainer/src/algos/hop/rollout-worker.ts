import { initBackend } from '@hop/core';
import { createStagHuntSimulator, type StagHuntSimulator } from '@hop/env-staghunt';
import { MOAModel, PairRegistry } from '@hop/moa';
import { openPlanning } from '../../planning/open';
import type { PlanningSetup } from '../../planning/setup';
import { buildPolicy } from '../../team/models';
import { runRollout, type RolloutResult } from './rollout';
import type { RolloutTask } from './runner';
import { ModelEngines } from '../../team/engines';
import { HopTeam } from '../../team/team';
import { checksumOf, unpackInto } from './weights';

/**
 * A rollout worker (piscina): rebuilds the run's networks and planner once, then per task takes the newest
 * weights and priors from the main thread and plays its slice of environments, sampling (training rollouts)
 * or greedy (evaluations). The two kinds of task have their own team but share networks and engines.
 */
interface WorkerContext {
  key: string;
  game: StagHuntSimulator;
  planning: PlanningSetup;
  policy: MOAModel;
  registry: PairRegistry;
  engines: ModelEngines;
  /** A team per (slice size, greedy): its per-env beliefs are sized to the slice. */
  teams: Map<string, HopTeam>;
  /** Checksum of the weights each network holds now. */
  held: Map<string, number>;
}

let ready: Promise<unknown> | null = null;
let ctx: WorkerContext | null = null;

async function context(task: RolloutTask): Promise<WorkerContext> {
  const key = JSON.stringify({ config: task.config, planning: task.planning, generic: task.generic, goals: Array.from(task.goals.goalVectors) });
  if (ctx && ctx.key === key) return ctx;
  if (ctx) {
    await ctx.engines.dispose();
    ctx.registry.dispose();
    ctx.registry.generic.dispose();
    ctx.policy.dispose();
    ctx.planning.dispose();
  }
  const { config } = task;
  const game = createStagHuntSimulator(config.env);
  const planning = await openPlanning(task.planning, game);
  const policy = buildPolicy(config, game);
  const generic = new MOAModel(task.generic);
  const registry = new PairRegistry(generic, game.numAgents);
  ctx = { key, game, planning, policy, registry, engines: new ModelEngines(), teams: new Map(), held: new Map() };
  return ctx;
}

function teamFor(c: WorkerContext, task: RolloutTask): HopTeam {
  const name = `${task.spec.numEnvs}:${task.greedy}`;
  let team = c.teams.get(name);
  if (!team) {
    const { config } = task;
    team = new HopTeam({
      engines: c.engines,
      game: c.game,
      planning: c.planning.planning,
      roots: c.planning.roots,
      policy: c.policy,
      registry: c.registry,
      goals: task.goals,
      planner: { numSimulations: config.numSimulations, numTrees: config.numTrees, cPuct: config.cPuct, beta: config.beta, gamma: config.gamma, greedy: task.greedy },
      numEnvs: task.spec.numEnvs,
      priorAlpha: config.priorAlpha,
    });
    c.teams.set(name, team);
  }
  return team;
}

export default async function rolloutTask(task: RolloutTask): Promise<RolloutResult> {
  ready ??= initBackend();
  await ready;
  const c = await context(task);
  const team = teamFor(c, task);
  // Only networks whose weights changed since this worker's last task are reloaded (and re-exported).
  const load = (model: MOAModel, name: string) => {
    if (c.held.get(name) === checksumOf(task.weights, name)) return;
    c.held.set(name, unpackInto(model.net, task.weights, name));
    c.engines.changed(model);
  };
  load(c.policy, 'policy');
  load(c.registry.generic, 'generic');
  for (const [i, j] of task.ownedPairs) {
    if (c.registry.isShared(i, j)) c.registry.adopt(i, j, new MOAModel(c.registry.generic.config));
    load(c.registry.model(i, j), `pair-${i}-${j}`);
  }
  task.priors.forEach((p, i) => {
    team.priors[i].histogram.set(p.histogram);
    team.priors[i].outcomes.set(p.outcomes);
  });
  return runRollout(team, c.game.config, task.spec);
}

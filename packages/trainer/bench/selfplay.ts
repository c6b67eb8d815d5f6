// Self-play rollout benchmark: env-steps per CPU-second of the batched rollout (every agent of every
// environment planned in ONE plan call per step) against the same rollout with one plan call per agent per
// environment, same networks, budget and seeds, measured in the same run. The two must choose the same
// actions (a decision's result does not depend on what else is in its batch), which the bench checks.
import { deriveSeed } from '@hop/core';
import { createStagHuntSimulator } from '@hop/env-staghunt';
import { MOAModel, PairRegistry } from '@hop/moa';
import type { SearchOutput } from '@hop/mcts';
import { discreteGoals } from '../src/team/goals';
import { runRollout, type RolloutResult } from '../src/algos/hop/rollout';
import { HopTeam } from '../src/team/team';

const ENVS = Number(process.env.BENCH_SELFPLAY_ENVS ?? 4);
const SIMS = Number(process.env.BENCH_SELFPLAY_SIMS ?? 50);
const TREES = Number(process.env.BENCH_SELFPLAY_TREES ?? 5);

/** Plans each decision of a batch in its own call: the unbatched baseline. */
function oneCallPerDecision(team: HopTeam): void {
  const batched = team.plan.bind(team);
  team.plan = async (states, envs, focal, seeds, count) => {
    const outs: SearchOutput[] = [];
    for (let d = 0; d < count; d++) outs.push(await batched(states, envs.subarray(d, d + 1), focal.subarray(d, d + 1), [seeds[d]], 1));
    const first = outs[0];
    const cat = <T extends Int32Array | Float32Array | Uint8Array>(pick: (o: SearchOutput) => T, make: (n: number) => T): T => {
      const parts = outs.map(pick);
      const out = make(parts.reduce((a, p) => a + p.length, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    };
    const sum = (f: (o: SearchOutput) => Record<string, number>) => {
      const r: Record<string, number> = {};
      for (const o of outs) for (const [k, v] of Object.entries(f(o))) r[k] = (r[k] ?? 0) + v;
      return r;
    };
    return {
      ...first,
      numDecisions: count,
      action: cat((o) => o.action, (n) => new Int32Array(n)),
      policy: cat((o) => o.policy, (n) => new Float32Array(n)),
      timing: sum((o) => ({ ...o.timing })) as unknown as SearchOutput['timing'],
      counts: sum((o) => ({ ...o.counts })) as unknown as SearchOutput['counts'],
    };
  };
}

export async function benchSelfPlay(): Promise<void> {
  const game = createStagHuntSimulator('hop-msh');
  const policy = new MOAModel({ observationShape: [...game.observationShape], numActions: 7, goalDim: 0, maxTime: 35, seed: 1 });
  const generic = new MOAModel({ observationShape: [...game.observationShape], numActions: 7, goalDim: 3, maxTime: 35, seed: 2 });
  const registry = new PairRegistry(generic, game.numAgents);
  const team = () =>
    new HopTeam({ game, policy, registry, goals: discreteGoals(3, 2), planner: { numSimulations: SIMS, numTrees: TREES }, numEnvs: ENVS });
  const spec = { seed: deriveSeed(1, 'bench'), envStart: 0, numEnvs: ENVS, episodesPerEnv: 1, gamma: 0.95 };
  const run = async (t: HopTeam): Promise<{ r: RolloutResult; cpu: number; wall: number }> => {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    const r = await runRollout(t, game.config, spec);
    const c = process.cpuUsage(c0);
    return { r, cpu: (c.user + c.system) / 1e6, wall: (performance.now() - w0) / 1000 };
  };
  console.log(`\nself-play rollout: hop-msh, ${ENVS} envs x 4 HOP agents, ${TREES} trees x ${SIMS} simulations, reference nets (random weights)`);
  await run(team()); // warm-up (kernels)
  const batched = await run(team());
  const serial = team();
  oneCallPerDecision(serial);
  const single = await run(serial);
  const same = batched.r.samples.count === single.r.samples.count && batched.r.samples.action.every((a, k) => a === single.r.samples.action[k]);
  const rate = (x: { r: RolloutResult; cpu: number }) => x.r.envSteps / x.cpu;
  console.log(
    `batched (one plan call per step): ${batched.r.envSteps} env-steps, ${batched.r.decisions} decisions, ${batched.cpu.toFixed(1)} CPU-s ` +
      `(${batched.wall.toFixed(1)} s wall): ${rate(batched).toFixed(2)} env-steps per CPU-second, ${((batched.cpu / batched.r.decisions) * 1000).toFixed(1)} ms CPU per decision`,
  );
  console.log(
    `one plan call per agent per env (baseline): ${single.cpu.toFixed(1)} CPU-s (${single.wall.toFixed(1)} s wall): ${rate(single).toFixed(2)} env-steps per CPU-second, ` +
      `${((single.cpu / single.r.decisions) * 1000).toFixed(1)} ms CPU per decision`,
  );
  console.log(`batched / baseline: ${(rate(batched) / rate(single)).toFixed(2)}x env-steps per CPU-second; same actions: ${same ? 'yes' : 'NO'}`);
  registry.dispose();
  generic.dispose();
  policy.dispose();
}

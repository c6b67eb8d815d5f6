// PPO rollout benchmark: env steps per CPU-second of the rollout as `hop train --algo ppo` plays it (every
// agent of every env in one forward pass per step) against a rollout that calls the network once per agent per
// env, measured in the same run on the same networks, envs and seeds. Run: node --import tsx bench/ppo.ts
import { Rng, describeBackend, initBackend } from '@hop/core';
import { VecStagHunt, createStagHuntSimulator } from '@hop/env-staghunt';
import { buildPPONetwork } from '../src/algos/ppo/network';
import { PPOPolicies, gatherRows } from '../src/algos/ppo/policies';

const ENVS = Number(process.env.BENCH_ENVS ?? 32);
const STEPS = Number(process.env.BENCH_STEPS ?? 40);

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function main(): Promise<void> {
  console.log(describeBackend(await initBackend()));
  const game = createStagHuntSimulator('hop-msh');
  const P = game.numAgents;
  const nets = Array.from({ length: P }, (_, i) =>
    buildPPONetwork({ observationShape: [...game.observationShape], numActions: game.numActions, conditionDim: 0, maxTime: game.config.finalTime, convFilters: [16], mlpUnits: [64], hiddenUnits: 64, seed: i }),
  );
  const batched = new PPOPolicies(nets, P);
  const single = nets.map((n) => new PPOPolicies([n], P));
  const N = ENVS * P;
  const O = game.observationSize;
  const A = game.numActions;
  const time = new Float32Array(N);
  const run = (mode: 'batched' | 'per-agent'): { sps: number; wallSps: number } => {
    const env = new VecStagHunt(game.config, { numEnvs: ENVS, seed: 1, observations: 'grid', autoReset: true });
    const rng = new Rng(2);
    const actions = new Int32Array(N);
    const c0 = cpuSeconds();
    const t0 = performance.now();
    for (let t = 0; t < STEPS; t++) {
      for (let j = 0; j < N; j++) time[j] = env.times[Math.floor(j / P)];
      const input = { obs: env.observations, mask: env.masks, time, condition: null };
      if (mode === 'batched') actions.set(batched.act(input, N, rng).action);
      else
        for (let j = 0; j < N; j++) {
          const one = gatherRows(input, Int32Array.of(j), O, A, 0);
          actions[j] = single[j % P].act(one, 1, rng).action[0];
        }
      env.step(actions);
    }
    const cpu = cpuSeconds() - c0;
    const wall = (performance.now() - t0) / 1000;
    return { sps: (STEPS * ENVS) / cpu, wallSps: (STEPS * ENVS) / wall };
  };
  run('batched'); // warm-up (kernels, weights uploaded)
  const b = run('batched');
  const s = run('per-agent');
  console.log(`PPO rollout on hop-msh, ${ENVS} envs x ${P} agents, ${STEPS} steps (4 independent conv [16] / fc 64 networks):`);
  console.log(`  one forward pass per step (hop train --algo ppo): ${Math.round(b.sps)} env steps per CPU-second (${Math.round(b.wallSps)} per wall second)`);
  console.log(`  one forward pass per agent per env:             ${Math.round(s.sps)} env steps per CPU-second (${Math.round(s.wallSps)} per wall second)`);
  console.log(`  speed-up per CPU-second: ${(b.sps / s.sps).toFixed(1)}x`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

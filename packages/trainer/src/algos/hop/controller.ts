import { deriveSeed } from '@hop/core';
import type { VecStagHunt } from '@hop/env-staghunt';
import { coPlayerAgent, type OnlineMOA } from '@hop/moa';
import { endFeedEpisode, feedStep, onlineMoaFor } from '../../beliefs/online-feed';
import { RunDir } from '../../run/layout';
import type { Controller, ControllerOptions, RuleCoPlayers } from '../types';
import { HopAgent } from './agent';
import { variantOf } from './variants';

/**
 * HOP-family agents: one `HopAgent` per controlled (env, player), greedy decisions; beliefs, the inter-episode goal
 * prior and the online co-player models (each agent's own copy of the run's per-pair models, its buffers filled
 * with what its co-players did, trained when full: `--moa-capacity` of the run, or `onlineCapacity`) carry across
 * the pairing's episodes.
 */
export async function hopController(root: string, vec: VecStagHunt, seed: number, options: ControllerOptions = {}): Promise<Controller> {
  const { onlineCapacity, variant, priorAlpha, simulations, cPuct, search } = options;
  const P = vec.numAgents;
  const O = vec.observationSize;
  const A = vec.numActions;
  const config = new RunDir(root).readConfig<{ moaCapacity?: number; moaEpochs?: number; moaMinibatch?: number; onlineMoa?: boolean }>().config;
  const agents = new Map<number, { agent: HopAgent; online: OnlineMOA | null }>();
  const started = new Uint8Array(vec.numEnvs * P);
  let co: RuleCoPlayers | null = null;
  const coOf = () => co;
  const oracleGoals = new Int32Array(P - 1);
  const agentOf = async (k: number, p: number) => {
    let a = agents.get(k * P + p);
    if (!a) {
      const agent = await HopAgent.fromRun(root, {
        focal: p,
        decisions: 'greedy',
        seed: deriveSeed(seed, 'hop-agent', vec.streamOffset + k, p),
        variant: variant ? variantOf(variant, { env: k, observationShape: [vec.geometry.height, vec.geometry.width, vec.geometry.channels], rules: coOf }) : undefined,
        priorAlpha,
        planner: {
          ...(simulations !== undefined ? { numSimulations: simulations } : {}),
          ...(cPuct !== undefined ? { cPuct } : {}),
          ...(search !== undefined ? { search } : {}),
        },
      });
      const online =
        config.onlineMoa === false
          ? null
          : onlineMoaFor(
              agent.team.registry,
              p,
              { capacity: onlineCapacity ?? config.moaCapacity ?? 1000, epochs: config.moaEpochs ?? 15, minibatch: config.moaMinibatch ?? 512, seed: deriveSeed(seed, 'eval-online', vec.streamOffset + k, p) },
              agent.team.goals,
            );
      a = { agent, online };
      agents.set(k * P + p, a);
    }
    return a;
  };
  const actedLast = new Uint8Array(vec.numEnvs * P);
  let stepObs = new Float32Array(0);
  let stepMask = new Uint8Array(0);
  let stepTime = new Int32Array(0);
  return {
    act: async (env, mine, out) => {
      actedLast.fill(0);
      // The views the co-players act on now: what the online buffers learn from after the step.
      stepObs = env.observations.slice();
      stepMask = env.masks.slice();
      stepTime = env.times.slice();
      for (let j = 0; j < mine.length; j++) {
        if (!mine[j]) continue;
        const k = Math.floor(j / P);
        const { agent } = await agentOf(k, j % P);
        if (!started[j]) {
          agent.startEpisode(env.states, k);
          started[j] = 1;
        }
        if (variant === 'oracle-goals' && co) {
          const p = j % P;
          for (let m = 0; m < P - 1; m++) {
            const q = coPlayerAgent(p, m);
            oracleGoals[m] = co.controls(k, q) ? co.goalOf(k, q) : -1;
          }
          agent.team.beliefs.setOracle(p, 0, oracleGoals);
        }
        out[j] = await agent.act(env.states, k);
        actedLast[j] = 1;
      }
    },
    observe: async (env, _prev, actions, acted) => {
      for (const [j, { agent, online }] of agents) {
        if (!actedLast[j]) continue;
        const k = Math.floor(j / P);
        const p = j % P;
        await agent.observe(env.states, k, actions.subarray(k * P, (k + 1) * P));
        if (online)
          for (let q = 0; q < P; q++) {
            const r = k * P + q;
            if (q === p || !acted[r]) continue;
            feedStep(online, p, q, { obs: stepObs.subarray(r * O, (r + 1) * O), mask: stepMask.subarray(r * A, (r + 1) * A), time: stepTime[k], action: actions[r] });
          }
      }
    },
    meet: (rules) => {
      co = rules;
    },
    belief: (k, p) => agents.get(k * P + p)?.agent.belief() ?? null,
    startEpisode: (_env, k) => started.fill(0, k * P, (k + 1) * P),
    endEpisode: async (k, achieved, achievedStep) => {
      for (let p = 0; p < P; p++) {
        const a = agents.get(k * P + p);
        if (!a) continue;
        a.agent.endEpisode(achieved);
        if (!a.online) continue;
        const reports = endFeedEpisode(a.online, p, achieved, achievedStep);
        for (const r of reports) a.agent.team.engines.changed(a.agent.team.registry.model(p, r.agent));
        if (reports.length) await a.agent.team.syncEngines();
      }
    },
    dispose: async () => {
      for (const { agent } of agents.values()) await agent.dispose();
    },
  };
}

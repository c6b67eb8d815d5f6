import { existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { HopError, deriveSeed } from '@hop/core';
import { OnlineMOA, coPlayerAgent } from '@hop/moa';
import type { RuleParams } from '@hop/env-staghunt';
import { BatchedPopulation, POPULATIONS, type PopulationName, type VecStagHunt } from '@hop/env-staghunt';
import { algorithm } from '../algos/registry';
import { isLoopAlgorithm } from '../algos/types';
import { RunDir } from '../run/layout';
import { HopAgent } from '../selfplay/agent';
import { type DiagnosisVariant, variantOf } from './variants';
import { checkpointIterations } from '../selfplay/checkpoint';

/**
 * Whoever plays some players of an evaluation's envs: a trained run's agents or a rule population. One
 * controller lives for one pairing group (a seed, a focal count and a co-player type), so whatever it learns
 * about its co-players (beliefs, priors) carries across the K episodes of the pairing: the few-shot part.
 */
export interface Controller {
  /** Actions of the players `mine[k * P + p] = 1` (others untouched), all envs at once. */
  act(env: VecStagHunt, mine: Uint8Array, out: Int32Array): Promise<void>;
  /** After the step: `prev` is the state arena before it, `actions` the joint actions, `acted` who was in play. */
  observe(env: VecStagHunt, prev: Int32Array, actions: Int32Array, acted: Uint8Array): Promise<void>;
  /** Env k just started an episode (after a reset). */
  startEpisode(env: VecStagHunt, k: number): void;
  /**
   * Env k's episode ended; `achieved[p]` the goal player p hunted (0 stag, 1 hare, -1 none) and `achievedStep[p]`
   * the time step it hunted at. Agents with online co-player models train them here when a buffer is full.
   */
  endEpisode(k: number, achieved: number[], achievedStep: number[]): Promise<void>;
  dispose(): Promise<void>;
  /** Rule controllers: what their players are (the diagnosis rows' oracles read it). */
  readonly rules?: RuleCoPlayers;
  /** Before the pairing starts: the rule co-players it meets (null: none, e.g. self-play). */
  meet?(co: RuleCoPlayers | null): void;
  /** Planning agents: the `[P-1, G]` belief env k's player p planned with at its last decision (null: none). */
  belief?(k: number, p: number): Float32Array | null;
}

/** The truth about rule co-players, for the oracle diagnosis rows. */
export interface RuleCoPlayers {
  /** Kind index (`AGENT_KINDS`) of env k's player p this episode. */
  kindOf(k: number, p: number): number;
  /** The goal env k's player p went for at its last decision (0 stag, 1 hare, -1 none). */
  goalOf(k: number, p: number): number;
  /** The switching agent's latch. */
  latched(k: number, p: number): boolean;
  /** Whether env k's player p is played by these rules in this pairing. */
  controls(k: number, p: number): boolean;
  readonly params: RuleParams;
}

/** Makes fresh controllers for one agent kind (a run, or a rule population). */
export interface AgentSource {
  /** The row name in the tables. */
  readonly label: string;
  /** `run` (a trained agent) or `rule` (a reference row). */
  readonly kind: 'run' | 'rule';
  /** The environment preset the agent was trained on (a run's), or null (rules play any). */
  readonly env: string | null;
  create(env: VecStagHunt, seed: number): Promise<Controller>;
}

/** Rule-based players (`BatchedPopulation`), seeded per env, episode and player as the collector does. */
export function ruleSource(population: PopulationName, label: string = population): AgentSource {
  if (!POPULATIONS.includes(population)) throw new HopError('E_CONFIG', `unknown population "${population}"; choose one of ${POPULATIONS.join(', ')}`);
  return {
    label,
    kind: 'rule',
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
          for (let j = 0; j < all.length; j++) if (mine[j]) (out[j] = all[j]), (playing[j] = 1);
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

/** The agents of a `hop train` run, from its newest complete checkpoint. */
/**
 * `label` names its rows (default `<algo> (<run directory name>)`); `onlineCapacity` overrides the run's online
 * buffer capacity during evaluation (smaller: the co-player models adapt within a few episodes).
 */
export function runSource(runDir: string, label?: string, onlineCapacity?: number, opts: { variant?: DiagnosisVariant; priorAlpha?: number; simulations?: number } = {}): AgentSource {
  const run = new RunDir(runDir);
  const file = run.readConfig<{ algo?: string; env?: string }>();
  if (file.command !== 'train') throw new HopError('E_RUN', `${run.root} is a '${file.command}' run; hop eval needs \`hop train\` runs`);
  const its = checkpointIterations(run.checkpointsDir);
  if (its.length === 0) throw new HopError('E_RUN', `${run.root} has no complete checkpoint yet (checkpoints/iter-N/state.json)`);
  const algo = algorithm(String(file.config.algo));
  const dir = join(run.checkpointsDir, `iter-${its[0]}`);
  const env = String(file.config.env);
  const name = (label ?? `${algo.name} (${basename(run.root)})`) + (opts.variant ? ` [${opts.variant}]` : '');
  if (isLoopAlgorithm(algo)) {
    if (opts.variant) throw new HopError('E_CONFIG', `the diagnosis variant ${opts.variant} needs a planning (HOP-family) run; ${run.root} is ${algo.name}`);
    if (!existsSync(join(dir, 'policy'))) throw new HopError('E_CHECKPOINT', `${dir} holds no policy networks`);
    return { label: name, kind: 'run', env, create: async (vec, seed) => algo.controller(run.root, dir, vec, seed, { onlineCapacity }) };
  }
  return { label: name, kind: 'run', env, create: async (vec, seed) => hopController(run.root, vec, seed, onlineCapacity, opts.variant, opts.priorAlpha, opts.simulations) };
}

/**
 * HOP-family agents: one `HopAgent` per controlled (env, player), greedy decisions; beliefs, the inter-episode goal
 * prior and the online co-player models (each agent's own copy of the run's per-pair models, its buffers filled
 * with what its co-players did, trained when full: `--moa-capacity` of the run, or `onlineCapacity`) carry across
 * the pairing's episodes.
 */
async function hopController(root: string, vec: VecStagHunt, seed: number, onlineCapacity?: number, variant?: DiagnosisVariant, priorAlpha?: number, simulations?: number): Promise<Controller> {
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
        planner: simulations ? { numSimulations: simulations } : undefined,
      });
      const g = agent.team.goals;
      const online =
        config.onlineMoa === false
          ? null
          : OnlineMOA.forFocal(
              agent.team.registry,
              p,
              { capacity: onlineCapacity ?? config.moaCapacity ?? 1000, epochs: config.moaEpochs ?? 15, minibatch: config.moaMinibatch ?? 512, seed: deriveSeed(seed, 'eval-online', vec.streamOffset + k, p) },
              g.goalDim === 0 ? {} : { numGoals: g.numGoals, goalVector: (goal, out) => out.set(g.goalVectors.subarray(goal * g.goalDim, (goal + 1) * g.goalDim)) },
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
            online.addStep(q < p ? q : q - 1, { obs: stepObs.subarray(r * O, (r + 1) * O), mask: stepMask.subarray(r * A, (r + 1) * A), time: stepTime[k], action: actions[r], inPlay: true });
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
        const achievements = [];
        for (let m = 0; m < P - 1; m++) {
          const q = coPlayerAgent(p, m);
          if (achieved[q] >= 0) achievements.push({ coPlayer: m, goal: achieved[q], step: achievedStep[q] });
        }
        const reports = a.online.endEpisode(achievements);
        for (const r of reports) a.agent.team.engines.changed(a.agent.team.registry.model(p, coPlayerAgent(p, r.coPlayer)));
        if (reports.length) await a.agent.team.syncEngines();
      }
    },
    dispose: async () => {
      for (const { agent } of agents.values()) await agent.dispose();
    },
  };
}

import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '@hop/core';
import type { StagHuntSimulator, VecStagHunt } from '@hop/env-staghunt';
import { MOAModel, loadPairRegistry, savePairRegistry, type PairRegistry } from '@hop/moa';
import { feedEpisode, onlineMoaFor, type CoPlayerStep } from '../../beliefs/online-feed';
import { onlineMoaMetrics } from '../../metrics/scalars';
import { buildCoPlayers } from '../../team/models';
import type { GoalSetup } from '../../team/goals';
import { targetGoalRows } from '../../team/target-goals';
import { loadOnlineBuffers, saveOnlineBuffers } from '../../team/online-buffers';
import { onlineBufferBytes, sharedPairsBytes } from '../../run/budget';
import { CoPlayerInference } from '../../beliefs/inference';
import type { SelfPlayConfig } from '../hop/settings';
import type { MaskedVecEnv } from '../ppo/env';
import type { PPOExtension, PPOLoopConfig } from '../ppo/loop';
import type { HopOneStepConfig } from './config';


/**
 * HOP without search: each agent's policy row is conditioned, per co-player (in increasing player order), on
 * the per-pair model's predicted action distribution under the current belief, `sum_g b(g) pi_ij(a | o_j, t, g)`,
 * followed by the belief itself. Beliefs (intra-episode from the co-players' actions, inter-episode prior from
 * their achieved goals) come from a `CoPlayerInference` as in `hop`'s team; the per-pair models train online
 * from the co-players' finished episodes after each rollout, as in `hop`.
 */
export async function oneStepExtension(raw: PPOLoopConfig, game: StagHuntSimulator): Promise<PPOExtension> {
  const config = raw as unknown as HopOneStepConfig & SelfPlayConfig;
  const P = game.numAgents;
  const A = game.numActions;
  const G = game.numGoals;
  const O = game.observationSize;
  let { registry, goals } = await buildCoPlayers(config, game, 'goals');
  const inferences: CoPlayerInference[] = [];
  const inferenceOf = (numEnvs: number) => {
    const t = new CoPlayerInference({ game, registry, goals, numEnvs, priorAlpha: config.priorAlpha });
    inferences.push(t);
    return t;
  };
  const makeOnline = (reg: PairRegistry) =>
    Array.from({ length: P }, (_, i) =>
      onlineMoaFor(reg, i, { capacity: config.moaCapacity, epochs: config.moaEpochs, minibatch: config.moaMinibatch, seed: deriveSeed(config.seed, 'online-moa', i) }, goals),
    );
  let online = makeOnline(registry);
  let trainBeliefs: CoPlayerInference | null = null;
  /** Finished training episodes since the last online update: per env, the steps of every player and what each achieved. */
  let finished: { steps: CoPlayerStep[][]; achieved: number[]; achievedStep: number[] }[] = [];

  let loadedPriors: { histogram: number[]; outcomes: number[] }[] | null = null;

  /** Every focal player's online buffers take its co-players' steps of finished episodes, in order; full ones train. */
  const feed = (episodes: typeof finished) => {
    const reports = [];
    for (const ep of episodes)
      for (const r of feedEpisode(online, { ...ep, steps: (visit) => ep.steps.forEach((l, j) => l.forEach((s) => visit(j, s))) })) {
        reports.push(r);
        // The belief likelihoods run on inference engines: retrained weights are re-exported at the next observe.
        const model = registry.model(r.focal, r.agent);
        for (const t of inferences) t.engines.changed(model);
      }
    return reports;
  };

  const hooks = (env: VecStagHunt, mode: 'train' | 'eval') => {
    const E = env.numEnvs;
    const N = E * P;
    const beliefs = inferenceOf(E);
    const priors = beliefs.beliefs.priors;
    // Training keeps its priors across iterations; an evaluation starts from them and adapts on its own copy.
    const from = mode === 'train' || !trainBeliefs ? loadedPriors : savedPriors(trainBeliefs);
    from?.forEach((p, i) => (priors[i].histogram.set(p.histogram), priors[i].outcomes.set(p.outcomes)));
    if (mode === 'train') trainBeliefs = beliefs;
    const seen = new Int32Array(E).fill(-1);
    let generation = -1;
    const prev = new Int32Array(env.states.length);
    let stepObs = new Float32Array(0);
    let stepMask = new Uint8Array(0);
    let stepTime = new Int32Array(0);
    const running: CoPlayerStep[][][] = Array.from({ length: E }, () => Array.from({ length: P }, () => []));
    const achieved = new Int32Array(N).fill(-1);
    const achievedStep = new Int32Array(N).fill(-1);
    /** Beliefs restart when an env starts an episode (a reset, or training's auto-reset). */
    const startEpisodes = () => {
      if (env.generation !== generation) {
        generation = env.generation;
        seen.fill(-1);
      }
      for (let k = 0; k < E; k++)
        if (seen[k] !== env.episodeIndex[k]) {
          seen[k] = env.episodeIndex[k];
          beliefs.startEpisode(env.states, k);
          running[k].forEach((l) => (l.length = 0));
          achieved.fill(-1, k * P, (k + 1) * P);
          achievedStep.fill(-1, k * P, (k + 1) * P);
        }
    };
    return {
      condition: (_e: MaskedVecEnv, _inPlay: Uint8Array, out: Float32Array) => {
        startEpisodes();
        prev.set(env.states);
        stepObs = env.observations.slice(0, N * O);
        stepMask = env.masks.slice(0, N * A);
        stepTime = env.times.slice();
        writeConditions(env, beliefs, registry, goals, G, out);
      },
      observe: async (_e: MaskedVecEnv, actions: Int32Array, inPlay: Uint8Array) => {
        // Envs that just ended were auto-reset (training) or are over: their beliefs are not updated.
        const live: number[] = [];
        for (let k = 0; k < E; k++) if (!env.ended[k]) live.push(k);
        if (live.length > 0) {
          await beliefs.syncEngines();
          await beliefs.observe(prev, env.states, Int32Array.from(live), live.length, actions, inPlay);
        }
        for (let k = 0; k < E; k++) {
          for (let p = 0; p < P; p++) {
            const j = k * P + p;
            if (!inPlay[j]) continue;
            if (env.hunted[j] >= 0) {
              achieved[j] = env.hunted[j];
              achievedStep[j] = stepTime[k];
            }
            running[k][p].push({ obs: stepObs.subarray(j * O, (j + 1) * O), mask: stepMask.subarray(j * A, (j + 1) * A), time: stepTime[k], action: actions[j] });
          }
          if (!env.ended[k]) continue;
          const ach = Array.from(achieved.subarray(k * P, (k + 1) * P));
          // The inter-episode prior learns what each co-player went for (in evaluation too: the few-shot part).
          beliefs.beliefs.foldPriors(beliefs.outcomes(ach));
          const episode = { steps: running[k].map((l) => l.slice()), achieved: ach, achievedStep: Array.from(achievedStep.subarray(k * P, (k + 1) * P)) };
          // Training feeds the online models after the rollout; an evaluation adapts them as its episodes end.
          if (mode === 'train') finished.push(episode);
          else if (config.onlineMoa) feed([episode]);
          seen[k] = -1;
        }
      },
    };
  };

  return {
    conditionDim: (P - 1) * (A + G),
    facts: { coPlayers: config.pretrained ? `pretrained ${config.pretrained}` : 'from scratch', conditioning: `(P-1) x (${A} predicted action probabilities + ${G} goal beliefs)` },
    hooks,
    async afterRollout(): Promise<Record<string, number>> {
      const episodes = finished;
      finished = [];
      if (!config.onlineMoa) return { 'moa/train_rounds': 0 };
      return { ...onlineMoaMetrics(feed(episodes)), 'moa/episodes_fed': episodes.length };
    },
    checkpointExtraBytes: () => onlineBufferBytes(config) + sharedPairsBytes(registry),
    async save(tmp) {
      await savePairRegistry(join(tmp, 'pairs'), registry);
      await saveOnlineBuffers(tmp, online);
      return { priors: trainBeliefs ? savedPriors(trainBeliefs) : [], onlineRounds: online.map((o) => o.snapshot().rounds) };
    },
    async load(dir, extra) {
      const saved = await loadPairRegistry(join(dir, 'pairs'));
      registry.dispose();
      registry.generic.dispose();
      registry = saved;
      online = makeOnline(registry);
      const e = (extra ?? {}) as { priors?: { histogram: number[]; outcomes: number[] }[]; onlineRounds?: number[][] };
      if (e.onlineRounds) await loadOnlineBuffers(dir, e.onlineRounds, online);
      loadedPriors = e.priors ?? null;
    },
    dispose() {
      // Engine sessions close asynchronously; nothing waits on them.
      for (const t of inferences) void t.engines.dispose();
      registry.dispose();
      registry.generic.dispose();
    },
  };
}

/**
 * The conditioning rows `[E * P, (P-1) * (A + G)]`: for agent (k, i) and each co-player j != i, the pair model's
 * action distribution for j's view mixed over goals by i's belief, then the belief. One forward per distinct
 * model (before online training every pair shares the generic model: one call for the whole step).
 */
export function writeConditions(env: VecStagHunt, beliefs: CoPlayerInference, registry: PairRegistry, goals: GoalSetup, G: number, out: Float32Array): void {
  const P = env.numAgents;
  const E = env.numEnvs;
  const A = env.numActions;
  const O = env.observationSize;
  const C = (P - 1) * (A + G);
  out.fill(0, 0, E * P * C);
  const rows = Array.from({ length: E * P }, (_, x) => beliefs.belief(x % P, Math.floor(x / P)));
  // Distinct (model, env, co-player) rows.
  const groups = new Map<MOAModel, { rows: number[]; use: { x: number; m: number; row: number }[] }>();
  for (let k = 0; k < E; k++)
    for (let i = 0; i < P; i++)
      for (let j = 0; j < P; j++) {
        if (j === i) continue;
        const model = registry.model(i, j);
        let g = groups.get(model);
        if (!g) groups.set(model, (g = { rows: [], use: [] }));
        let row = g.rows.indexOf(k * P + j);
        if (row < 0) row = g.rows.push(k * P + j) - 1;
        g.use.push({ x: k * P + i, m: j < i ? j : j - 1, row });
      }
  for (const [model, g] of groups) {
    const n = g.rows.length;
    const obs = new Float32Array(n * O);
    const mask = new Uint8Array(n * A);
    const time = new Float32Array(n);
    g.rows.forEach((src, r) => {
      obs.set(env.observations.subarray(src * O, (src + 1) * O), r * O);
      mask.set(env.masks.subarray(src * A, (src + 1) * A), r * A);
      time[r] = env.times[Math.floor(src / P)];
    });
    const t = tf.tidy(() =>
      model.probsForGoals(
        { obs, mask, time },
        goals.mode === 'target' ? tf.tensor3d(targetGoalRows(goals, obs, n), [n, G, goals.goalDim]) : goals.goalVectors,
      ),
    );
    const probs = t.dataSync() as Float32Array;
    t.dispose();
    for (const u of g.use) {
      const b = rows[u.x];
      const base = u.x * C + u.m * (A + G);
      for (let goal = 0; goal < G; goal++) {
        const w = b[u.m * G + goal];
        out[base + A + goal] = w;
        for (let a = 0; a < A; a++) out[base + a] += w * probs[(u.row * G + goal) * A + a];
      }
    }
  }
}

/** The inter-episode priors as a checkpoint keeps them. */
function savedPriors(inference: CoPlayerInference): { histogram: number[]; outcomes: number[] }[] {
  return inference.beliefs.priors.map((p) => ({ histogram: Array.from(p.histogram), outcomes: Array.from(p.outcomes) }));
}

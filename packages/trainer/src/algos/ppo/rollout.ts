import type { Rng } from '@hop/core';
import type { EpisodeExtras, MaskedVecEnv } from './env';
import type { PPOPolicies } from './policies';

/**
 * `numSteps` lock-step steps of every env, row `t * N + j` for step t and agent slot `j = k * P + p`
 * (CleanRL's `[num_steps, num_envs]` storage with the agents as extra envs).
 */
export interface PPOBatch {
  steps: number;
  /** Agent slots per step (`numEnvs * numAgents`). */
  slots: number;
  numAgents: number;
  obs: Float32Array;
  mask: Uint8Array;
  time: Float32Array;
  /** `[T * N, conditionDim]` or null. */
  condition: Float32Array | null;
  action: Int32Array;
  logp: Float32Array;
  value: Float32Array;
  reward: Float32Array;
  /** The agent's episode ended with this step (terminated, truncated, or the env ended). */
  done: Uint8Array;
  /** The agent was in play when it acted (a player that has hunted waits out the episode: no sample). */
  valid: Uint8Array;
  advantage: Float32Array;
  ret: Float32Array;
}

/** One finished episode of one env (the fields `episodeMetrics` reads). */
export interface PPOEpisode {
  returns: number[];
  length: number;
  stags: number;
  hares: number;
}

/** Fills the conditioning rows of the current step (hop-onestep); called after the views of a step exist. */
export type Conditioner = (env: MaskedVecEnv, inPlay: Uint8Array, out: Float32Array) => Promise<void> | void;

/** Called after each env step with the actions taken (hop-onestep updates beliefs and online buffers here). */
export type StepObserver = (env: MaskedVecEnv, actions: Int32Array, inPlay: Uint8Array) => Promise<void> | void;

export function allocateBatch(steps: number, env: MaskedVecEnv, conditionDim: number): PPOBatch {
  const n = steps * env.numEnvs * env.numAgents;
  return {
    steps,
    slots: env.numEnvs * env.numAgents,
    numAgents: env.numAgents,
    obs: new Float32Array(n * env.observationSize),
    mask: new Uint8Array(n * env.numActions),
    time: new Float32Array(n),
    condition: conditionDim > 0 ? new Float32Array(n * conditionDim) : null,
    action: new Int32Array(n),
    logp: new Float32Array(n),
    value: new Float32Array(n),
    reward: new Float32Array(n),
    done: new Uint8Array(n),
    valid: new Uint8Array(n),
    advantage: new Float32Array(n),
    ret: new Float32Array(n),
  };
}

export interface CollectResult {
  episodes: PPOEpisode[];
  /** Env steps played (env-steps, not agent-steps: CleanRL's global_step counts env transitions). */
  envSteps: number;
  timing: { forward: number; env: number; hooks: number };
}

/**
 * Plays `batch.steps` steps of every env from a fresh reset (the caller resets the env), all agents' forward
 * passes in one `policies.act` call per step, and computes GAE. Episodes still running at the end are
 * bootstrapped with the value of their current view, as CleanRL does at a rollout boundary.
 */
export async function collectRollout(
  env: MaskedVecEnv & EpisodeExtras,
  policies: PPOPolicies,
  batch: PPOBatch,
  rng: Rng,
  settings: { gamma: number; gaeLambda: number; conditionDim: number },
  hooks: { condition?: Conditioner; observe?: StepObserver } = {},
): Promise<CollectResult> {
  const E = env.numEnvs;
  const P = env.numAgents;
  const N = E * P;
  const O = env.observationSize;
  const A = env.numActions;
  const C = settings.conditionDim;
  const inPlay = new Uint8Array(N).fill(1);
  const running = new Float64Array(N);
  const lengths = new Int32Array(E);
  const time = new Float32Array(N);
  const condition = C > 0 ? new Float32Array(N * C) : null;
  const actions = new Int32Array(N);
  const episodes: PPOEpisode[] = [];
  const timing = { forward: 0, env: 0, hooks: 0 };
  let envSteps = 0;
  for (let t = 0; t < batch.steps; t++) {
    for (let j = 0; j < N; j++) time[j] = env.times[Math.floor(j / P)];
    const th = performance.now();
    if (condition && hooks.condition) await hooks.condition(env, inPlay, condition);
    timing.hooks += performance.now() - th;
    const tf0 = performance.now();
    const out = policies.act({ obs: env.observations, mask: env.masks, time, condition }, N, rng);
    timing.forward += performance.now() - tf0;
    const base = t * N;
    batch.obs.set(env.observations.subarray(0, N * O), base * O);
    batch.mask.set(env.masks.subarray(0, N * A), base * A);
    batch.time.set(time, base);
    if (condition && batch.condition) batch.condition.set(condition, base * C);
    for (let j = 0; j < N; j++) {
      // A player out of play still sends its (stay) action; it is no sample.
      actions[j] = out.action[j];
      batch.action[base + j] = out.action[j];
      batch.logp[base + j] = out.logp[j];
      batch.value[base + j] = out.value[j];
      batch.valid[base + j] = inPlay[j];
    }
    const te = performance.now();
    env.step(actions);
    timing.env += performance.now() - te;
    envSteps += E;
    const th2 = performance.now();
    if (hooks.observe) await hooks.observe(env, actions, inPlay);
    timing.hooks += performance.now() - th2;
    for (let k = 0; k < E; k++) {
      lengths[k]++;
      for (let p = 0; p < P; p++) {
        const j = k * P + p;
        const i = base + j;
        batch.reward[i] = env.rewards[j];
        running[j] += env.rewards[j];
        const over = env.terminations[j] === 1 || env.truncations[j] === 1 || env.ended[k] === 1;
        batch.done[i] = inPlay[j] && over ? 1 : 0;
        if (over) inPlay[j] = 0;
      }
      if (env.ended[k]) {
        const stats = env.lastEpisode?.(k) ?? null;
        episodes.push({
          returns: Array.from(running.subarray(k * P, (k + 1) * P)),
          length: stats?.length ?? lengths[k],
          stags: stats?.stagsCaught ?? 0,
          hares: stats?.haresCaught ?? 0,
        });
        running.fill(0, k * P, (k + 1) * P);
        lengths[k] = 0;
        // Auto-reset: the views are the next episode's, every player is back in play.
        inPlay.fill(1, k * P, (k + 1) * P);
      }
    }
  }
  // Bootstrap values of the views the rollout stopped in.
  for (let j = 0; j < N; j++) time[j] = env.times[Math.floor(j / P)];
  if (condition && hooks.condition) await hooks.condition(env, inPlay, condition);
  const last = policies.act({ obs: env.observations, mask: env.masks, time, condition }, N, rng);
  gae(batch, last.value, inPlay, settings.gamma, settings.gaeLambda);
  return { episodes, envSteps, timing };
}

/**
 * Generalised advantage estimation per agent slot, over that slot's valid steps only: a step that ended the
 * agent's episode has no successor; otherwise its successor is the slot's next valid step, or the bootstrap
 * value when the rollout stopped mid-episode.
 */
export function gae(batch: PPOBatch, bootstrap: Float32Array, inPlayAtEnd: Uint8Array, gamma: number, lambda: number): void {
  const { steps: T, slots: N } = batch;
  for (let j = 0; j < N; j++) {
    let nextValue = inPlayAtEnd[j] ? bootstrap[j] : 0;
    let last = 0;
    for (let t = T - 1; t >= 0; t--) {
      const i = t * N + j;
      if (!batch.valid[i]) continue;
      const v = batch.value[i];
      if (batch.done[i]) last = batch.reward[i] - v;
      else last = batch.reward[i] + gamma * nextValue - v + gamma * lambda * last;
      batch.advantage[i] = last;
      batch.ret[i] = last + v;
      nextValue = v;
    }
  }
}

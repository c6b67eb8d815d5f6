import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { HopError, Rng, initBackend } from '@hop/core';
import type { MaskedVecEnv } from '../src/algos/ppo/env';
import { PPOLearner, type PPOSettings } from '../src/algos/ppo/learner';
import { buildPPONetwork, orthogonalMatrix } from '../src/algos/ppo/network';
import { PPOPolicies } from '../src/algos/ppo/policies';
import { allocateBatch, collectRollout, gae } from '../src/algos/ppo/rollout';

const LEFT = 0;
const RIGHT = 1;
/** Illegal everywhere; if it were ever played it would pay 10 (so a leaking mask would be learned). */
const JUMP = 2;

/**
 * Two players, each in its own corridor of L cells inside the same env: start at cell 0, +1 on reaching cell
 * L - 1 (the player is then done), -0.01 per step, at most `limit` steps. `left` is illegal at cell 0, `jump`
 * always. Optimum: right L - 1 times, return 1 - 0.01 (L - 2).
 */
class Corridor implements MaskedVecEnv {
  readonly numAgents = 2;
  readonly numActions = 3;
  readonly observationSize: number;
  readonly observations: Float32Array;
  readonly masks: Uint8Array;
  readonly times: Int32Array;
  readonly rewards: Float32Array;
  readonly terminations: Uint8Array;
  readonly truncations: Uint8Array;
  readonly ended: Uint8Array;
  readonly pos: Int32Array;
  constructor(
    readonly numEnvs: number,
    readonly L: number,
    readonly limit: number,
  ) {
    const N = numEnvs * this.numAgents;
    this.observationSize = L;
    this.observations = new Float32Array(N * L);
    this.masks = new Uint8Array(N * 3);
    this.times = new Int32Array(numEnvs);
    this.rewards = new Float32Array(N);
    this.terminations = new Uint8Array(N);
    this.truncations = new Uint8Array(N);
    this.ended = new Uint8Array(numEnvs);
    this.pos = new Int32Array(N);
    for (let k = 0; k < numEnvs; k++) this.resetEnv(k);
  }
  resetEnv(k: number): void {
    this.times[k] = 0;
    for (let p = 0; p < 2; p++) this.pos[k * 2 + p] = 0;
    this.views(k);
  }
  private views(k: number): void {
    for (let p = 0; p < 2; p++) {
      const j = k * 2 + p;
      const x = this.pos[j];
      this.observations.fill(0, j * this.L, (j + 1) * this.L);
      // A player that is done (-1) sees nothing and may only stay (right is its "no-op").
      if (x >= 0) this.observations[j * this.L + x] = 1;
      this.masks.set(x < 0 ? [0, 1, 0] : [x > 0 ? 1 : 0, 1, 0], j * 3);
    }
  }
  step(actions: Int32Array): void {
    this.rewards.fill(0);
    this.terminations.fill(0);
    this.truncations.fill(0);
    this.ended.fill(0);
    for (let k = 0; k < this.numEnvs; k++) {
      this.times[k]++;
      for (let p = 0; p < 2; p++) {
        const j = k * 2 + p;
        if (this.pos[j] < 0) continue;
        const a = actions[j];
        if (!this.masks[j * 3 + a]) throw new HopError('E_ACTION', `illegal action ${a} at cell ${this.pos[j]}`);
        this.pos[j] += a === RIGHT ? 1 : a === LEFT ? -1 : 0;
        this.rewards[j] = -0.01;
        if (this.pos[j] === this.L - 1) {
          this.rewards[j] += 1;
          this.terminations[j] = 1;
          this.pos[j] = -1;
        } else if (this.times[k] >= this.limit) this.truncations[j] = 1;
      }
      if (this.times[k] >= this.limit || (this.pos[k * 2] < 0 && this.pos[k * 2 + 1] < 0)) {
        this.ended[k] = 1;
        this.resetEnv(k);
      } else this.views(k);
    }
  }
}

const SETTINGS: PPOSettings = {
  learningRate: 2.5e-3,
  annealLr: true,
  updateEpochs: 4,
  numMinibatches: 4,
  normAdv: true,
  clipCoef: 0.2,
  clipVloss: true,
  entCoef: 0.01,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  targetKl: null,
};

function policiesFor(env: Corridor, shared: boolean, seed: number): PPOPolicies {
  const nets = Array.from({ length: shared ? 1 : 2 }, (_, i) =>
    buildPPONetwork({ observationShape: [env.L], numActions: 3, conditionDim: 0, maxTime: env.limit, convFilters: [1], mlpUnits: [32], hiddenUnits: 32, seed: seed + i }),
  );
  return new PPOPolicies(nets, 2);
}

/** Trains PPO on the corridor for `iterations` rollouts of 32 steps in 4 envs; returns the mean episode returns. */
async function train(env: Corridor, policies: PPOPolicies, iterations: number, seed: number): Promise<number[]> {
  const learners = policies.networks.map((n) => new PPOLearner(n, SETTINGS));
  const batch = allocateBatch(32, env, 0);
  const means: number[] = [];
  for (let it = 1; it <= iterations; it++) {
    for (let k = 0; k < env.numEnvs; k++) env.resetEnv(k);
    const r = await collectRollout(env, policies, batch, new Rng(seed * 1000 + it), { gamma: 0.99, gaeLambda: 0.95, conditionDim: 0 });
    const rows = policies.networks.map((_, i) => {
      const out: number[] = [];
      for (let x = 0; x < batch.steps * batch.slots; x++) if (batch.valid[x] && policies.netIndex(x % 2) === i) out.push(x);
      return Int32Array.from(out);
    });
    learners.forEach((l, i) => {
      l.setIteration(it, iterations);
      l.update(batch, rows[i], new Rng(seed * 7 + it));
    });
    means.push(r.episodes.reduce((a, e) => a + (e.returns[0] + e.returns[1]) / 2, 0) / Math.max(1, r.episodes.length));
  }
  learners.forEach((l) => l.dispose());
  return means;
}

describe('PPO', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('GAE on a hand-worked slot: done steps cut the trace, invalid steps are skipped, the end is bootstrapped', () => {
    // One slot, 4 steps: valid, valid (done), invalid, valid (running at the end, bootstrap 2).
    const env = { numEnvs: 1, numAgents: 1, numActions: 1, observationSize: 1 } as MaskedVecEnv;
    const b = allocateBatch(4, env, 0);
    b.valid.set([1, 1, 0, 1]);
    b.done.set([0, 1, 0, 0]);
    b.reward.set([1, 2, 0, 3]);
    b.value.set([0.5, 1, 9, 1.5]);
    gae(b, Float32Array.of(2), Uint8Array.of(1), 0.9, 0.5);
    // t=3: 3 + 0.9 * 2 - 1.5 = 3.3; t=1 (done): 2 - 1 = 1; t=0: 1 + 0.9 * 1 - 0.5 + 0.45 * 1 = 1.85.
    expect(b.advantage[3]).toBeCloseTo(3.3, 5);
    expect(b.advantage[1]).toBeCloseTo(1, 6);
    expect(b.advantage[0]).toBeCloseTo(1.85, 5);
    expect(b.advantage[2]).toBe(0);
    expect(b.ret[0]).toBeCloseTo(2.35, 5);
  });

  it('orthogonalMatrix: orthonormal columns (tall) or rows (wide), times the gain', () => {
    for (const [rows, cols] of [[9, 4], [3, 7]]) {
      const m = orthogonalMatrix(rows, cols, 2, new Rng(5));
      const k = Math.min(rows, cols);
      for (let a = 0; a < k; a++)
        for (let b = 0; b < k; b++) {
          let dot = 0;
          for (let x = 0; x < Math.max(rows, cols); x++) dot += rows >= cols ? m[x * cols + a] * m[x * cols + b] : m[a * cols + x] * m[b * cols + x];
          expect(dot).toBeCloseTo(a === b ? 4 : 0, 4);
        }
    }
  });

  it('orthogonal init: near-uniform first policy (policy head gain 0.01), masked action at exactly 0', () => {
    const env = new Corridor(4, 5, 12);
    const pol = policiesFor(env, true, 3);
    const time = new Float32Array(8);
    const out = pol.act({ obs: env.observations, mask: env.masks, time, condition: null }, 8, new Rng(1));
    for (let j = 0; j < 8; j++) {
      // Cell 0: left and jump illegal, so right has probability exactly 1.
      expect(out.probs[j * 3 + JUMP]).toBe(0);
      expect(out.probs[j * 3 + LEFT]).toBe(0);
      expect(out.probs[j * 3 + RIGHT]).toBe(1);
    }
    const kernel = pol.networks[0].net.getLayer('moa_policy').getWeights()[0];
    expect(Math.max(...(kernel.abs().dataSync() as Float32Array))).toBeLessThan(0.02);
    pol.dispose();
  });

  it('learns the corridor optimum (both players, independent networks); the illegal jump keeps probability exactly 0', async () => {
    const L = 5;
    const env = new Corridor(4, L, 12);
    const pol = policiesFor(env, false, 11);
    const means = await train(env, pol, 40, 1);
    // Optimal return: 1 - 0.01 * 3 = 0.97 per player (4 steps of -0.01 and +1 on the last).
    const optimum = 1 - 0.01 * (L - 1);
    // Greedy play from every cell: always right, so every player reaches the end in L - 1 steps.
    const probe = new Corridor(1, L, 12);
    const rows = L - 1;
    const obs = new Float32Array(rows * L);
    const mask = new Uint8Array(rows * 3);
    for (let x = 0; x < rows; x++) {
      obs[x * L + x] = 1;
      mask.set([x > 0 ? 1 : 0, 1, 0], x * 3);
    }
    for (const net of pol.networks) {
      const probs = tf.tidy(() => net.probs({ obs, mask, time: Float32Array.from({ length: rows }, (_, x) => x) })).dataSync();
      for (let x = 0; x < rows; x++) {
        expect(probs[x * 3 + JUMP]).toBe(0);
        expect(probs[x * 3 + RIGHT]).toBeGreaterThan(0.9);
      }
    }
    const greedy = new PPOPolicies(pol.networks, 2);
    let total = 0;
    for (let t = 0; t < L - 1; t++) {
      const time = Float32Array.of(probe.times[0], probe.times[0]);
      const a = greedy.act({ obs: probe.observations, mask: probe.masks, time, condition: null }, 2, null);
      probe.step(a.action);
      total += probe.rewards[0] + probe.rewards[1];
    }
    expect(probe.ended[0]).toBe(1);
    expect(total / 2).toBeCloseTo(optimum, 5);
    // The sampled training returns approach the optimum too (the last few iterations).
    expect(means.slice(-5).reduce((a, b) => a + b, 0) / 5).toBeGreaterThan(optimum - 0.1);
    expect(means[0]).toBeLessThan(optimum - 0.05);
    pol.dispose();
  }, 120_000);
});

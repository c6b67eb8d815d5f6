import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@hop/core';
import { VecStagHunt, createStagHuntSimulator } from '@hop/env-staghunt';
import { HopOneStepConfigSchema } from '../src/algos/hop-onestep/config';
import { oneStepExtension } from '../src/algos/hop-onestep/extension';
import type { PPOLoopConfig } from '../src/algos/ppo/loop';
import type { SelfPlayConfig } from '../src/algos/hop/settings';
import { buildCoPlayers } from '../src/team/models';

const game = createStagHuntSimulator('small-2p');
const config = HopOneStepConfigSchema.parse({ env: 'small-2p', seed: 4, moaFilters: [8], moaHidden: 16, policyFilters: [8], policyHidden: 16 });

describe('hop-onestep conditioning', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it("each row is the pair model's prediction for the co-player mixed by the belief, then the belief; beliefs move with the co-player's actions", async () => {
    const ext = await oneStepExtension(config as unknown as PPOLoopConfig, game);
    const A = game.numActions;
    const G = game.numGoals;
    expect(ext.conditionDim).toBe(1 * (A + G));
    const env = new VecStagHunt(game.config, { numEnvs: 3, seed: 11, observations: 'grid', autoReset: true });
    const hooks = ext.hooks(env, 'train');
    const N = 3 * 2;
    const C = ext.conditionDim;
    const inPlay = new Uint8Array(N).fill(1);
    const out = new Float32Array(N * C);
    await hooks.condition!(env, inPlay, out);
    // The same fresh co-player model (same seed), evaluated by hand.
    const { registry, goals } = await buildCoPlayers(config as unknown as SelfPlayConfig, game, 'goals');
    const O = env.observationSize;
    for (let k = 0; k < 3; k++)
      for (let i = 0; i < 2; i++) {
        const j = 1 - i;
        const x = k * 2 + i;
        const belief = Array.from(out.subarray(x * C + A, x * C + A + G));
        // Episode start: uniform over the goals the layout offers (small-2p has a stag and hares).
        expect(belief).toEqual([0.5, 0.5]);
        const probs = tf.tidy(() =>
          registry.generic.probsForGoals({ obs: env.observations.slice(j * O + k * 2 * O, (k * 2 + j + 1) * O), mask: env.masks.slice((k * 2 + j) * A, (k * 2 + j + 1) * A), time: Float32Array.of(0) }, goals.goalVectors),
        );
        const p = probs.dataSync();
        probs.dispose();
        for (let a = 0; a < A; a++) {
          expect(out[x * C + a]).toBeCloseTo(0.5 * p[a] + 0.5 * p[A + a], 6);
          // The co-player's illegal actions are predicted with probability exactly 0.
          if (!env.masks[(k * 2 + j) * A + a]) expect(out[x * C + a]).toBe(0);
        }
      }
    // After a few steps of the co-player, the beliefs are no longer uniform (the model's likelihoods differ).
    const actions = new Int32Array(N);
    for (let t = 0; t < 3; t++) {
      await hooks.condition!(env, inPlay, out);
      for (let q = 0; q < N; q++) actions[q] = env.masks.subarray(q * A, (q + 1) * A).indexOf(1);
      env.step(actions);
      await hooks.observe!(env, actions, inPlay);
    }
    await hooks.condition!(env, inPlay, out);
    const b = Array.from(out.subarray(A, A + G));
    expect(b[0] + b[1]).toBeCloseTo(1, 5);
    expect(Math.abs(b[0] - 0.5)).toBeGreaterThan(1e-4);
    registry.dispose();
    registry.generic.dispose();
    ext.dispose();
  }, 60_000);
});

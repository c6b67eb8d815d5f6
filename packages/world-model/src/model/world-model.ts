import * as tf from '@tensorflow/tfjs';
import { HopError, warnIfBackendNotInitialised } from '@hop/core';
import { parseWorldModelConfig, type WorldModelConfig } from '../config';
import { defaultChannelWeights, gridSizeOf, type GridLayout } from '../layout';
import { buildNetwork, networkShapes } from './network';

/** A config whose layout is known (the data filled it in). */
export type ResolvedWorldModelConfig = WorldModelConfig & { layout: GridLayout };

/** What the model reads: `size` observer-centred grids with the joint action and time of each. */
export interface ModelInputs {
  size: number;
  /** `[size, H * W * C]` */
  obs: Float32Array;
  /** `[size, players]` observer-rotated, -1 for done players. */
  jointAction: Int32Array;
  /** `[size]` */
  time: ArrayLike<number>;
}

/** Differentiable outputs (training): the next grid before clipping and the hunt-outcome logits `[B, K + 1]`. */
export interface ForwardOutputs {
  next: tf.Tensor4D;
  outcomeLogits: tf.Tensor2D;
}

/** Host-side predictions: grid values clipped to [0, 1] (continuous, not rounded) and outcome probabilities. */
export interface Prediction {
  next: Float32Array;
  /**
   * `[size, K + 1]` probabilities of the observer's hunt outcome: index 0 nothing caught, `k + 1` caught
   * the prey of `preyChannels[k]`. Rewards and ends follow from it by the layout's rules.
   */
  outcome: Float32Array;
}

/** Checks a config has a layout and a consistent channel-weight vector; fills the defaults. */
export function resolveWorldModelConfig(input: unknown): ResolvedWorldModelConfig {
  const c = parseWorldModelConfig(input);
  if (!c.layout)
    throw new HopError('E_CONFIG', 'the world-model config has no layout; train from a dataset (which sets it) or pass one');
  return { ...c, layout: c.layout, channelWeights: c.channelWeights ?? defaultChannelWeights(c.layout) };
}

/**
 * `P(o_{t+1}, r, done | o_t, a_self, a_others)` for observer-centred grids, direct or latent (one
 * interface). Static channels (obstacles) are copied from `o_t`, never predicted; with `residual` the
 * network predicts the change of the other channels.
 */
export class WorldModel {
  readonly config: ResolvedWorldModelConfig;
  readonly layout: GridLayout;
  readonly network: tf.LayersModel;
  /** `[C]`: 1 for the channels the network predicts, 0 for static ones. */
  private readonly dynMask: tf.Tensor1D;
  private readonly staticMask: tf.Tensor1D;

  constructor(config: unknown) {
    this.config = resolveWorldModelConfig(config);
    warnIfBackendNotInitialised('WorldModel');
    this.layout = this.config.layout;
    this.network = buildNetwork(this.config, this.layout);
    const stat = new Set(this.layout.staticChannels);
    const dyn = Float32Array.from({ length: this.layout.channels }, (_, c) => (stat.has(c) ? 0 : 1));
    this.dynMask = tf.keep(tf.tensor1d(dyn));
    this.staticMask = tf.keep(tf.tensor1d(dyn.map((v) => 1 - v)));
  }

  /** Writes the conditioning rows `[size, P * A + 1]`: one-hot actions (zeros for -1) and scaled time. */
  condArray(b: ModelInputs, out?: Float32Array): Float32Array {
    const { players: P, numActions: A } = this.layout;
    const width = networkShapes(this.layout).condSize;
    const cond = out && out.length >= b.size * width ? out.subarray(0, b.size * width) : new Float32Array(b.size * width);
    cond.fill(0);
    for (let k = 0; k < b.size; k++) {
      const row = k * width;
      for (let p = 0; p < P; p++) {
        const a = b.jointAction[k * P + p];
        if (a >= 0 && a < A) cond[row + p * A + a] = 1;
      }
      cond[row + P * A] = b.time[k] * this.config.timeScale;
    }
    return cond;
  }

  /** Tensors of a batch (caller disposes, or calls inside tf.tidy). */
  inputs(b: ModelInputs): { obs: tf.Tensor4D; cond: tf.Tensor2D } {
    const { height: H, width: W, channels: C } = this.layout;
    const G = gridSizeOf(this.layout);
    if (b.obs.length < b.size * G)
      throw new HopError('E_SHAPE', `obs holds ${b.obs.length} values, ${b.size} grids of ${H}x${W}x${C} need ${b.size * G}`);
    const obs = tf.tensor4d(b.obs.subarray(0, b.size * G), [b.size, H, W, C]);
    const cond = tf.tensor2d(this.condArray(b), [b.size, networkShapes(this.layout).condSize]);
    return { obs, cond };
  }

  /** The differentiable forward pass (use inside tf.tidy / optimizer.minimize). */
  forward(obs: tf.Tensor4D, cond: tf.Tensor2D): ForwardOutputs {
    const [B, H, W] = obs.shape;
    const parts: tf.Tensor4D[] = [obs, tf.ones([B, H, W, 1])];
    if (this.config.actionPlanes) {
      // plane (m, a) = player m's channel times its one-hot action a: the action drawn on the player's cell
      const { players: P, numActions: A, playerChannels } = this.layout;
      const players = tf.gather(obs, playerChannels, 3).reshape([B, H, W, P, 1]);
      const actions = tf.slice(cond, [0, 0], [B, P * A]).reshape([B, 1, 1, P, A]);
      parts.push(tf.mul(players, actions).reshape([B, H, W, P * A]) as tf.Tensor4D);
    }
    const grid = tf.concat(parts, 3);
    const self = tf.slice(obs, [0, 0, 0, this.layout.playerChannels[0]], [B, H, W, 1]).reshape([B, H * W, 1]);
    const [delta, outcome] = this.network.apply([grid, cond, self]) as tf.Tensor[];
    const base = this.config.residual ? obs : tf.mul(obs, this.staticMask);
    const next = tf.add(base, tf.mul(delta, this.dynMask)) as tf.Tensor4D;
    return { next, outcomeLogits: outcome as tf.Tensor2D };
  }

  /** Predictions for a batch (one network call), read back to the host. */
  async predict(b: ModelInputs): Promise<Prediction> {
    if (b.size === 0) return { next: new Float32Array(0), outcome: new Float32Array(0) };
    const [next, outcome] = tf.tidy(() => {
      const { obs, cond } = this.inputs(b);
      const f = this.forward(obs, cond);
      return [tf.clipByValue(f.next, 0, 1), tf.softmax(f.outcomeLogits)];
    });
    try {
      const [n, o] = await Promise.all([next.data(), outcome.data()]);
      return { next: n as Float32Array, outcome: o as Float32Array };
    } finally {
      tf.dispose([next, outcome]);
    }
  }

  /** Number of trainable weights. */
  countParams(): number {
    return this.network.countParams();
  }

  dispose(): void {
    this.network.dispose();
    tf.dispose([this.dynMask, this.staticMask]);
  }
}

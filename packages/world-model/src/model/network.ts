import * as tf from '@tensorflow/tfjs';
import { Rng } from '@hop/core';
import type { WorldModelConfig } from '../config';
import type { GridLayout } from '../layout';

/**
 * The networks behind both architectures, as one tf.LayersModel each (so checkpoints work):
 *
 *     inputs:  grid  [H, W, C + 1 (+ P * A)]  o_t, a constant plane of ones (zero padding then marks the
 *                                    border) and, with `actionPlanes`, each player's one-hot action on its cell
 *              cond  [P * A + 1]     one-hot action of every player (observer first; zeros when done), t * timeScale
 *              self  [H * W, 1]      the observer's own channel: the heads read the features of its cell
 *     outputs: delta   [H, W, C]     raw per-channel prediction (the WorldModel adds o_t and masks static channels)
 *              outcome [K + 1]       logits of the observer's hunt outcome: nothing, or caught the prey of
 *                                    preyChannels[k] (rewards and ends follow from it by the layout's rules)
 */
export interface NetworkShapes {
  gridChannels: number;
  condSize: number;
  cells: number;
  /** Hunt outcomes: nothing, or one per prey channel. */
  outcomes: number;
}

export function networkShapes(l: GridLayout, actionPlanes = false): NetworkShapes {
  return {
    gridChannels: l.channels + 1 + (actionPlanes ? l.players * l.numActions : 0),
    condSize: l.players * l.numActions + 1,
    cells: l.height * l.width,
    outcomes: l.preyChannels.length + 1,
  };
}

type Sym = tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;

/** Glorot-uniform kernels seeded from the config seed, one stream per layer: same seed, same network. */
type Init = () => ReturnType<typeof tf.initializers.glorotUniform>;
function seededInit(seed: number): Init {
  const rng = new Rng(seed).fork(7);
  return () => tf.initializers.glorotUniform({ seed: rng.uint32() });
}

/**
 * Features of the observer's own cell: `sum_cells features * self`. The observer's hunt outcome is
 * decided there (did it hunt, with how many others), so the head gets them directly, not diluted by a
 * global pool.
 */
function selfFeatures(features: Sym, self: Sym, cells: number, filters: number): Sym {
  const flat = apply(tf.layers.reshape({ targetShape: [cells, filters] }), features);
  return apply(tf.layers.flatten(), apply(tf.layers.dot({ axes: [1, 1] }), [flat, self]));
}

/** The hunt-outcome head (`K + 1` logits) over a feature vector joined with the conditioning input. */
function outcomeHead(features: Sym, cond: Sym, units: number, classes: number, init: Init): Sym {
  const joined = apply(tf.layers.concatenate(), [features, cond]);
  const h = apply(tf.layers.dense({ units, activation: 'relu', kernelInitializer: init() }), joined);
  return apply(tf.layers.dense({ units: classes, kernelInitializer: init() }), h);
}

/** Broadcasts a `[F]` vector over the grid as `[H, W, F]` (action planes, computed once per sample). */
function broadcast(v: Sym, l: GridLayout, filters: number): Sym {
  return apply(tf.layers.reshape({ targetShape: [l.height, l.width, filters] }), apply(tf.layers.repeatVector({ n: l.height * l.width }), v));
}

/**
 * Direct model: convolutions from `o_t`; the joint action and time enter the first convolution as a
 * per-filter bias over every cell, which equals convolving broadcast one-hot action planes at a fraction
 * of the cost. The outcome head reads the trunk through global average and max pooling and the observer's cell.
 */
function buildDirect(c: WorldModelConfig, l: GridLayout): tf.LayersModel {
  const s = networkShapes(l, c.actionPlanes);
  const init = seededInit(c.seed);
  const grid = tf.input({ shape: [l.height, l.width, s.gridChannels], name: 'grid' });
  const cond = tf.input({ shape: [s.condSize], name: 'cond' });
  const self = tf.input({ shape: [s.cells, 1], name: 'self' });
  const [first, ...rest] = c.direct.layers;
  const conv = apply(tf.layers.conv2d({ filters: first.filters, kernelSize: first.kernel, padding: 'same', kernelInitializer: init() }), grid);
  const bias = broadcast(apply(tf.layers.dense({ units: first.filters, useBias: false, kernelInitializer: init() }), cond), l, first.filters);
  let h = apply(tf.layers.reLU(), apply(tf.layers.add(), [conv, bias]));
  for (const layer of rest)
    h = apply(tf.layers.conv2d({ filters: layer.filters, kernelSize: layer.kernel, padding: 'same', activation: 'relu', kernelInitializer: init() }), h);
  // Zero-initialised output: a residual model starts out predicting "nothing changes".
  const delta = apply(tf.layers.conv2d({ filters: l.channels, kernelSize: 1, kernelInitializer: 'zeros' }), h);
  const lastFilters = c.direct.layers[c.direct.layers.length - 1].filters;
  const pooled = apply(tf.layers.concatenate(), [
    apply(tf.layers.globalAveragePooling2d({}), h),
    apply(tf.layers.globalMaxPooling2d({}), h),
    selfFeatures(h, self, s.cells, lastFilters),
  ]);
  const outcome = outcomeHead(pooled, cond, c.headUnits, s.outcomes, init);
  return tf.model({ inputs: [grid, cond, self], outputs: [delta, outcome], name: 'world_model_direct' });
}

/** Latent model: encoder (convs -> z), dynamics (z, actions, time -> z' as a residual step), decoder (z' -> grid). */
function buildLatent(c: WorldModelConfig, l: GridLayout): tf.LayersModel {
  const s = networkShapes(l, c.actionPlanes);
  const init = seededInit(c.seed);
  const { encoderFilters: fe, latentDim, dynamicsUnits, decoderFilters: fd } = c.latent;
  const grid = tf.input({ shape: [l.height, l.width, s.gridChannels], name: 'grid' });
  const cond = tf.input({ shape: [s.condSize], name: 'cond' });
  const self = tf.input({ shape: [s.cells, 1], name: 'self' });
  // ELU, not ReLU: through the bottleneck whole ReLU layers died early in training (every decoder unit
  // at 0), which froze the model at "nothing changes".
  const conv = (filters: number, x: Sym) =>
    apply(tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'elu', kernelInitializer: init() }), x);
  const dense = (units: number, x: Sym, activation?: 'elu') =>
    apply(tf.layers.dense({ units, activation, kernelInitializer: init() }), x);
  const e = conv(fe, conv(fe, grid));
  const z = dense(latentDim, apply(tf.layers.flatten(), e));
  const d = dense(dynamicsUnits, apply(tf.layers.concatenate(), [z, cond]), 'elu');
  const z2 = apply(tf.layers.add(), [z, dense(latentDim, d)]);
  const g = conv(fd, apply(tf.layers.reshape({ targetShape: [l.height, l.width, fd] }), dense(l.height * l.width * fd, z2, 'elu')));
  // Not zero-initialised (unlike the direct model): through the bottleneck a zero output layer leaves the
  // decoder at a saddle where no gradient reaches z, and the model never leaves "nothing changes".
  const delta = apply(tf.layers.conv2d({ filters: l.channels, kernelSize: 1, kernelInitializer: init() }), g);
  const outcome = outcomeHead(apply(tf.layers.concatenate(), [z2, selfFeatures(e, self, s.cells, fe)]), cond, c.headUnits, s.outcomes, init);
  return tf.model({ inputs: [grid, cond, self], outputs: [delta, outcome], name: 'world_model_latent' });
}

/** Builds the network of a config (its layout must be set). Weights are seeded by tfjs' initialisers. */
export function buildNetwork(c: WorldModelConfig, l: GridLayout): tf.LayersModel {
  return c.arch === 'direct' ? buildDirect(c, l) : buildLatent(c, l);
}

/**
 * Trainable values of the network `buildNetwork` makes for a config, worked out from the shapes without
 * building it (a caller sizing checkpoints must not allocate a second network); tested against the built one.
 */
export function networkParams(c: WorldModelConfig, l: GridLayout): number {
  const s = networkShapes(l, c.actionPlanes);
  const conv = (k: number, cin: number, cout: number) => k * k * cin * cout + cout;
  const dense = (cin: number, cout: number) => cin * cout + cout;
  const head = (features: number) => dense(features + s.condSize, c.headUnits) + dense(c.headUnits, s.outcomes);
  if (c.arch === 'direct') {
    const layers = c.direct.layers;
    let n = conv(layers[0].kernel, s.gridChannels, layers[0].filters) + s.condSize * layers[0].filters;
    for (let i = 1; i < layers.length; i++) n += conv(layers[i].kernel, layers[i - 1].filters, layers[i].filters);
    const last = layers[layers.length - 1].filters;
    // delta, then the head over average, max and own-cell features of the trunk
    return n + conv(1, last, l.channels) + head(3 * last);
  }
  const { encoderFilters: fe, latentDim: d, dynamicsUnits: u, decoderFilters: fd } = c.latent;
  return (
    conv(3, s.gridChannels, fe) + conv(3, fe, fe) + dense(s.cells * fe, d) +
    dense(d + s.condSize, u) + dense(u, d) + dense(d, s.cells * fd) + conv(3, fd, fd) + conv(1, fd, l.channels) +
    head(d + fe)
  );
}

import * as tf from '@tensorflow/tfjs';
import { HopError, deriveSeed } from '@hop/core';

/** What the network builders need from either VAE config. */
export interface NetworkSpec {
  inputShape: number[];
  encoder: 'cnn' | 'mlp';
  filters: number[];
  kernelSize: number;
  hidden: number[];
  activation: 'relu' | 'elu' | 'tanh';
  decoderUpsamples: 'auto' | number;
  upsampling: 'transpose' | 'nearest';
  outputActivation: 'linear' | 'sigmoid';
  seed: number;
}

/** A dense head of the encoder: its layer name and width. */
export interface HeadSpec {
  name: string;
  units: number;
  /** Batch-normalise the head's output (a `batchNormalization` layer named `<name>_norm`). */
  batchNorm?: boolean;
}

// Layer names are fixed (not tfjs' global counters) so checkpoint weight names match across processes;
// each layer's initialiser is seeded from the config seed and its name, so same seed, same weights.
function init(spec: NetworkSpec, name: string) {
  return { kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(spec.seed, name) }), name };
}

function checkCnn(spec: NetworkSpec): [number, number, number] {
  if (spec.inputShape.length !== 3)
    throw new HopError(
      'E_CONFIG',
      `encoder 'cnn' needs inputShape [H, W, C], got [${spec.inputShape.join(', ')}]; ` +
        `use encoder: 'mlp' for flat vectors`,
    );
  const [h, w, c] = spec.inputShape;
  return [h, w, c];
}

/** Largest n <= 2 with H and W divisible by 2^n ('auto'), or the configured n after checking it fits. */
export function resolveUpsamples(spec: NetworkSpec): number {
  const [h, w] = checkCnn(spec);
  const fits = (n: number) => h % 2 ** n === 0 && w % 2 ** n === 0;
  if (spec.decoderUpsamples === 'auto') {
    let n = 0;
    while (n < 2 && fits(n + 1)) n++;
    return n;
  }
  const n = spec.decoderUpsamples;
  if (!fits(n))
    throw new HopError(
      'E_CONFIG',
      `decoderUpsamples=${n} needs H and W divisible by ${2 ** n}, but the grid is ${h}x${w}; ` +
        `use decoderUpsamples: 'auto' (picks the largest that fits) or a smaller number`,
    );
  return n;
}

/**
 * Encoder: CNN (3x3 convs, `same` padding, then flatten and dense layers) or MLP, ending in one dense
 * head per entry of `heads` (a multi-output tf.LayersModel when there are several).
 */
export function buildEncoder(spec: NetworkSpec, heads: HeadSpec[]): tf.LayersModel {
  const input = tf.input({ shape: spec.inputShape, name: 'enc_input' });
  let x: tf.SymbolicTensor = input;
  if (spec.encoder === 'cnn') {
    checkCnn(spec);
    spec.filters.forEach((f, i) => {
      x = tf.layers
        .conv2d({
          filters: f,
          kernelSize: spec.kernelSize,
          padding: 'same',
          activation: spec.activation,
          ...init(spec, `enc_conv${i}`),
        })
        .apply(x) as tf.SymbolicTensor;
    });
  }
  if (x.shape.length > 2) x = tf.layers.flatten({ name: 'enc_flatten' }).apply(x) as tf.SymbolicTensor;
  spec.hidden.forEach((units, i) => {
    x = tf.layers
      .dense({ units, activation: spec.activation, ...init(spec, `enc_dense${i}`) })
      .apply(x) as tf.SymbolicTensor;
  });
  const outputs = heads.map((h) => {
    const y = tf.layers.dense({ units: h.units, ...init(spec, h.name) }).apply(x) as tf.SymbolicTensor;
    return h.batchNorm ? (tf.layers.batchNormalization({ name: `${h.name}_norm` }).apply(y) as tf.SymbolicTensor) : y;
  });
  return tf.model({ inputs: input, outputs: outputs.length === 1 ? outputs[0] : outputs, name: 'encoder' });
}

/** Decoder from a flat latent `[latentSize]` back to `inputShape`. */
export function buildDecoder(spec: NetworkSpec, latentSize: number): tf.LayersModel {
  const input = tf.input({ shape: [latentSize], name: 'dec_input' });
  let x: tf.SymbolicTensor = input;
  const dense = (units: number, name: string, activation: string = spec.activation) =>
    tf.layers.dense({ units, activation: activation as 'relu', ...init(spec, name) });
  [...spec.hidden].reverse().forEach((units, i) => {
    x = dense(units, `dec_dense${i}`).apply(x) as tf.SymbolicTensor;
  });

  if (spec.encoder === 'mlp') {
    const size = spec.inputShape.reduce((a, b) => a * b, 1);
    x = dense(size, 'dec_out', spec.outputActivation).apply(x) as tf.SymbolicTensor;
    if (spec.inputShape.length > 1)
      x = tf.layers.reshape({ targetShape: spec.inputShape, name: 'dec_reshape' }).apply(x) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: x, name: 'decoder' });
  }

  const [h, w, c] = checkCnn(spec);
  const n = resolveUpsamples(spec);
  const rev = [...spec.filters].reverse();
  const h0 = h / 2 ** n;
  const w0 = w / 2 ** n;
  x = dense(h0 * w0 * rev[0], 'dec_seed').apply(x) as tf.SymbolicTensor;
  x = tf.layers.reshape({ targetShape: [h0, w0, rev[0]], name: 'dec_reshape' }).apply(x) as tf.SymbolicTensor;
  const stages = Math.max(rev.length, n);
  for (let i = 0; i < stages; i++) {
    const filters = rev[Math.min(i, rev.length - 1)];
    const up = i < n;
    const conv = { filters, kernelSize: spec.kernelSize, padding: 'same' as const, activation: spec.activation };
    if (spec.upsampling === 'transpose') {
      x = tf.layers
        .conv2dTranspose({ ...conv, strides: up ? 2 : 1, ...init(spec, `dec_deconv${i}`) })
        .apply(x) as tf.SymbolicTensor;
    } else {
      if (up) x = tf.layers.upSampling2d({ size: [2, 2], name: `dec_up${i}` }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.conv2d({ ...conv, ...init(spec, `dec_conv${i}`) }).apply(x) as tf.SymbolicTensor;
    }
  }
  x = tf.layers
    .conv2d({
      filters: c,
      kernelSize: spec.kernelSize,
      padding: 'same',
      activation: spec.outputActivation,
      ...init(spec, 'dec_out'),
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: 'decoder' });
}

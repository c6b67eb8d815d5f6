import * as tf from '@tensorflow/tfjs';

/** The reference MOA network of docs/models.md (convs 16-32-32 on 8x8x7, FC 512, 7 logits). */
export interface MoaNetOptions {
  /** Also feed time (1) and a goal vector (this many) into FC 512, as the MOA with goals does. */
  goalDim?: number;
  seed?: number;
}

export const GRID: [number, number, number] = [8, 8, 7];
export const ACTIONS = 7;

export function buildMoaNet(o: MoaNetOptions = {}): tf.LayersModel {
  const seed = o.seed ?? 1;
  const init = (i: number) => tf.initializers.glorotUniform({ seed: seed * 100 + i });
  const grid = tf.input({ shape: GRID, name: 'grid' });
  let h: tf.SymbolicTensor = grid;
  [16, 32, 32].forEach((filters, i) => {
    h = tf.layers
      .conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(i) })
      .apply(h) as tf.SymbolicTensor;
  });
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  const inputs = [grid];
  if (o.goalDim) {
    const time = tf.input({ shape: [1], name: 'time' });
    const goal = tf.input({ shape: [o.goalDim], name: 'goal' });
    inputs.push(time, goal);
    h = tf.layers.concatenate().apply([h, time, goal]) as tf.SymbolicTensor;
  }
  h = tf.layers.dense({ units: 512, activation: 'relu', kernelInitializer: init(3) }).apply(h) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: ACTIONS, kernelInitializer: init(4) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs, outputs: logits });
}

/** A synthetic batch (grid one-hot-ish in [0, 1], labels in 0..6, time, goal). */
export function moaBatch(batch: number, o: MoaNetOptions = {}, seed = 7): { xs: tf.Tensor[]; labels: tf.Tensor2D } {
  return tf.tidy(() => {
    const grid = tf.randomUniform([batch, ...GRID], 0, 1, 'float32', seed).greater(0.8).toFloat();
    const xs: tf.Tensor[] = [grid];
    if (o.goalDim) {
      xs.push(tf.randomUniform([batch, 1], 0, 1, 'float32', seed + 1));
      xs.push(tf.randomNormal([batch, o.goalDim], 0, 1, 'float32', seed + 2));
    }
    const labels = tf.oneHot(tf.randomUniform([batch], 0, ACTIONS, 'int32', seed + 3), ACTIONS).toFloat() as tf.Tensor2D;
    return { xs, labels };
  });
}

/** One Adam step on softmax cross-entropy; returns the loss (a scalar the caller disposes). */
export function trainStep(model: tf.LayersModel, opt: tf.Optimizer, xs: tf.Tensor[], labels: tf.Tensor2D): tf.Scalar {
  return opt.minimize(() => {
    const logits = model.apply(xs, { training: true }) as tf.Tensor2D;
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  }, true) as tf.Scalar;
}

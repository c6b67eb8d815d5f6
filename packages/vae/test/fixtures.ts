import * as tf from '@tensorflow/tfjs';
import { Rng } from '@hop/core';

/**
 * A small synthetic grid dataset with the Stag-Hunt layout's flavour: channel 0 one agent on one of the
 * `agentCells` first cells of a fixed random order, channel 1 a fixed obstacle wall, channel 2 one prey at one of
 * four corners. `[n, h, w, 3]`, values 0/1.
 */
export function syntheticGrids(n: number, h: number, w: number, seed: number, agentCells = 8): Float32Array {
  const rng = new Rng(seed);
  const cells = new Rng(12345).permutation(h * w).subarray(0, agentCells);
  const c = 3;
  const data = new Float32Array(n * h * w * c);
  const corners = [
    [0, 0],
    [0, w - 1],
    [h - 1, 0],
    [h - 1, w - 1],
  ];
  for (let s = 0; s < n; s++) {
    const base = s * h * w * c;
    const at = (r: number, col: number, ch: number) => base + (r * w + col) * c + ch;
    const cell = cells[rng.int(agentCells)];
    data[at(Math.floor(cell / w), cell % w, 0)] = 1;
    for (let col = 1; col < w - 1; col++) data[at(Math.floor(h / 2), col, 1)] = 1;
    const [pr, pc] = corners[rng.int(4)];
    data[at(pr, pc, 2)] = 1;
  }
  return data;
}

/** Sum of squared errors of predicting the per-element dataset mean, averaged over samples. */
export function meanBaselineSse(data: Float32Array, n: number): number {
  const d = data.length / n;
  let total = 0;
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let s = 0; s < n; s++) m += data[s * d + j];
    m /= n;
    for (let s = 0; s < n; s++) total += (data[s * d + j] - m) ** 2;
  }
  return total / n;
}

/** Rows `idx` of a `[n, ...shape]` Float32Array as one tensor. */
export function gather(data: Float32Array, shape: number[], idx: ArrayLike<number>): tf.Tensor {
  const d = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(idx.length * d);
  for (let i = 0; i < idx.length; i++) out.set(data.subarray(idx[i] * d, (idx[i] + 1) * d), i * d);
  return tf.tensor(out, [idx.length, ...shape]);
}

import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { Rng } from '../src/rng/rng';

export type Backend = 'cpu' | 'wasm';

/**
 * Runs `f` on the given backend and returns its results as plain arrays (so they outlive the
 * backend switch); restores the backend that was active before.
 */
export async function on<T extends tf.Tensor | tf.Tensor[]>(backend: Backend, f: () => T): Promise<Float32Array[]> {
  const before = tf.getBackend();
  await tf.setBackend(backend);
  try {
    const out = tf.tidy(f);
    const list = Array.isArray(out) ? out : [out];
    const arrays = list.map((t) => Float32Array.from(t.dataSync()));
    tf.dispose(list);
    return arrays;
  } finally {
    await tf.setBackend(before);
  }
}

/** Runs `f` on cpu and on wasm; returns both results. */
export async function onBoth<T extends tf.Tensor | tf.Tensor[]>(
  f: () => T,
): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  return { cpu: await on('cpu', f), wasm: await on('wasm', f) };
}

/**
 * |wasm - cpu| <= tol * max(1, |cpu|) elementwise (absolute for small values, relative for large).
 * `names` labels the two sides in the failure message (default wasm / cpu).
 */
export function expectClose(
  wasm: Float32Array[],
  cpu: Float32Array[],
  tol = 1e-4,
  what = '',
  names: [string, string] = ['wasm', 'cpu'],
): void {
  expect(wasm.length).toBe(cpu.length);
  wasm.forEach((w, t) => {
    expect(w.length, `${what} output ${t} length`).toBe(cpu[t].length);
    let worst = 0;
    let at = -1;
    for (let i = 0; i < w.length; i++) {
      const err = Math.abs(w[i] - cpu[t][i]) / Math.max(1, Math.abs(cpu[t][i]));
      if (!(err <= worst)) {
        worst = err;
        at = i;
      }
    }
    expect(worst, `${what} output ${t}: element ${at} ${names[0]} ${w[at]} ${names[1]} ${cpu[t][at]}`).toBeLessThanOrEqual(
      tol,
    );
  });
}

/** Normal random values from the core's seeded Rng. */
export function randn(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

export function randTensor(rng: Rng, shape: number[]): tf.Tensor {
  return tf.tensor(randn(rng, shape.reduce((a, b) => a * b, 1)), shape);
}

/** Tensors and backend buffers in use; both must be unchanged after a kernel call is disposed. */
export function memoryCounts(): { tensors: number; buffers: number } {
  const m = tf.memory();
  return { tensors: m.numTensors, buffers: m.numDataBuffers };
}

import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@hop/core';

export interface FiniteDifferenceOptions {
  /** Coordinates checked per variable (drawn with `seed`). */
  perVariable: number;
  seed: number;
  /** Allowed |analytic - FD| is `atol + rtol * |FD|` (float32 forward passes). */
  atol: number;
  rtol: number;
}

/**
 * Compares tf.variableGrads of `f` w.r.t. `vars` with central finite differences at a few coordinates of each
 * (all noise must be fixed by a seed, so `f` is a deterministic function of the weights). Returns how many
 * coordinates were checked.
 */
export function checkAgainstFiniteDifferences(vars: tf.Variable[], f: () => tf.Scalar, o: FiniteDifferenceOptions): number {
  const grads = tf.tidy(() => {
    const { grads: g } = tf.variableGrads(f, vars);
    return vars.map((v) => g[v.name]);
  });
  const value = () => tf.tidy(() => f().dataSync()[0]);
  const rng = new Rng(o.seed);
  const h = 1e-2;
  let checked = 0;
  vars.forEach((v, vi) => {
    const analytic = grads[vi].dataSync();
    const base = v.dataSync().slice();
    for (let k = 0; k < Math.min(o.perVariable, base.length); k++) {
      const i = rng.int(base.length);
      const at = (delta: number) => {
        const w = base.slice();
        w[i] += delta;
        tf.tidy(() => v.assign(tf.tensor(w, v.shape)));
        return value();
      };
      const fd = (at(h) - at(-h)) / (2 * h);
      tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
      expect(Math.abs(analytic[i] - fd), `${v.name}[${i}]: analytic ${analytic[i]} vs FD ${fd}`).toBeLessThan(o.atol + o.rtol * Math.abs(fd));
      checked++;
    }
  });
  tf.dispose(grads);
  return checked;
}

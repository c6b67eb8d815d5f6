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

/**
 * A linear VanillaVAE small enough to work out by hand (MLP, no hidden layer, inputShape [2], latentDim 1):
 * mu = x . W_MU + B_MU, logVar = x . W_LV + B_LV, xHat = z * D + C. The weights are set explicitly.
 */
export const LINEAR = { W_MU: [1, 2], B_MU: 0.5, W_LV: [0.2, -0.1], B_LV: Math.log(4), D: [3, -1], C: [0, 1] } as const;

/** Sets `vae`'s weights to LINEAR (every variable, found by its layer name). */
export function setLinearWeights(vae: { trainableVariables: tf.Variable[] }): void {
  const values: Record<string, number[]> = {
    'enc_mu/kernel': [...LINEAR.W_MU],
    'enc_mu/bias': [LINEAR.B_MU],
    'enc_logvar/kernel': [...LINEAR.W_LV],
    'enc_logvar/bias': [LINEAR.B_LV],
    'dec_out/kernel': [...LINEAR.D],
    'dec_out/bias': [...LINEAR.C],
  };
  const vars = vae.trainableVariables;
  if (vars.length !== 6) throw new Error(`expected the 6 variables of the linear VAE, got ${vars.map((v) => v.name)}`);
  for (const v of vars) {
    // tfjs may suffix a variable's name with a counter (`enc_mu/kernel_8`)
    const key = Object.keys(values).find((k) => v.name.replace(/_\d+$/, '') === k);
    if (!key) throw new Error(`unexpected variable ${v.name}`);
    v.assign(tf.tensor(values[key], v.shape));
  }
}

export interface LinearReference {
  mu: number[];
  logVar: number[];
  z: number[];
  xHat: number[][];
  recon: number;
  kl: number;
  loss: number;
  /** dLoss / d(each weight), keyed as in setLinearWeights. */
  grads: Record<string, number[]>;
}

/**
 * The linear VAE's forward pass, losses and gradients in plain arithmetic (derived by hand, no tfjs):
 * z_b = mu_b + exp(logVar_b / 2) eps_b; L = mean_b ||x_b - xHat_b||^2 + alpha * mean_b KL_b with
 * KL_b = 1/2 (mu_b^2 + exp(logVar_b) - 1 - logVar_b). Chain rule, B = batch:
 * dL/dxHat_bj = 2 (xHat_bj - x_bj) / B; dL/dz_b = sum_j dL/dxHat_bj D_j;
 * dL/dmu_b = dL/dz_b + alpha mu_b / B; dL/dlogVar_b = dL/dz_b eps_b exp(logVar_b / 2) / 2 + alpha (exp(logVar_b) - 1) / (2B).
 */
export function linearReference(x: number[][], eps: number[], alpha: number): LinearReference {
  const B = x.length;
  const { W_MU, B_MU, W_LV, B_LV, D, C } = LINEAR;
  const mu = x.map((r) => r[0] * W_MU[0] + r[1] * W_MU[1] + B_MU);
  const logVar = x.map((r) => r[0] * W_LV[0] + r[1] * W_LV[1] + B_LV);
  const z = mu.map((m, b) => m + Math.exp(logVar[b] / 2) * eps[b]);
  const xHat = z.map((zb) => [zb * D[0] + C[0], zb * D[1] + C[1]]);
  const recon = x.reduce((s, r, b) => s + (r[0] - xHat[b][0]) ** 2 + (r[1] - xHat[b][1]) ** 2, 0) / B;
  const kl = mu.reduce((s, m, b) => s + 0.5 * (m * m + Math.exp(logVar[b]) - 1 - logVar[b]), 0) / B;
  const dxHat = xHat.map((row, b) => row.map((q, j) => (2 * (q - x[b][j])) / B));
  const dz = dxHat.map((row) => row[0] * D[0] + row[1] * D[1]);
  const dmu = dz.map((g, b) => g + (alpha * mu[b]) / B);
  const dlv = dz.map((g, b) => g * eps[b] * 0.5 * Math.exp(logVar[b] / 2) + (alpha * (Math.exp(logVar[b]) - 1)) / (2 * B));
  const sum = (f: (b: number) => number) => x.reduce((s, _, b) => s + f(b), 0);
  return {
    mu,
    logVar,
    z,
    xHat,
    recon,
    kl,
    loss: recon + alpha * kl,
    grads: {
      'enc_mu/kernel': [sum((b) => dmu[b] * x[b][0]), sum((b) => dmu[b] * x[b][1])],
      'enc_mu/bias': [sum((b) => dmu[b])],
      'enc_logvar/kernel': [sum((b) => dlv[b] * x[b][0]), sum((b) => dlv[b] * x[b][1])],
      'enc_logvar/bias': [sum((b) => dlv[b])],
      'dec_out/kernel': [sum((b) => dxHat[b][0] * z[b]), sum((b) => dxHat[b][1] * z[b])],
      'dec_out/bias': [sum((b) => dxHat[b][0]), sum((b) => dxHat[b][1])],
    },
  };
}

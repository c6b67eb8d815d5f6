import * as tf from '@tensorflow/tfjs';
import { HopError, type Rng } from '@hop/core';
import type { MOAModel } from '@hop/moa';

/** One forward pass over every row of a step: actions, their log-probabilities, values and the policies. */
export interface ActOutput {
  action: Int32Array;
  logp: Float32Array;
  value: Float32Array;
  /** `[N, A]` masked action probabilities (exactly 0 on illegal actions). */
  probs: Float32Array;
}

export interface ActInput {
  /** `[N, O]`, row `k * P + p`. */
  obs: Float32Array;
  mask: Uint8Array;
  time: Float32Array;
  /** `[N, conditionDim]` conditioning rows (hop-onestep), or null. */
  condition: Float32Array | null;
}

/**
 * The PPO agents of a game with P players: one network per player (independent PPO) or one shared by all
 * (`--share-parameters`). `act` runs every player's network on its rows inside one tidy and reads the result
 * back once, so a rollout step is one call for all agents of all envs, whichever the sharing.
 */
export class PPOPolicies {
  private rowsOf = new Map<number, Int32Array[]>();

  constructor(
    readonly networks: MOAModel[],
    readonly numAgents: number,
  ) {
    if (networks.length !== 1 && networks.length !== numAgents)
      throw new HopError('E_CONFIG', `PPOPolicies: ${networks.length} networks for ${numAgents} players (give 1 shared or one per player)`);
  }

  get shared(): boolean {
    return this.networks.length === 1;
  }

  get numActions(): number {
    return this.networks[0].numActions;
  }

  /** Which network plays player p. */
  netIndex(p: number): number {
    return this.shared ? 0 : p;
  }

  /** Rows `[k * P + p]` of each network in a batch of n rows. */
  rows(n: number): Int32Array[] {
    let r = this.rowsOf.get(n);
    if (!r) {
      const P = this.numAgents;
      r = this.networks.map((_, i) => (this.shared ? Int32Array.from({ length: n }, (_, k) => k) : Int32Array.from({ length: Math.floor(n / P) }, (_, k) => k * P + i)));
      this.rowsOf.set(n, r);
    }
    return r;
  }

  /**
   * Actions for `n` rows: sampled with `rng` (training) or the most probable legal action (`greedy`,
   * evaluation; ties to the lowest index).
   */
  act(input: ActInput, n: number, rng: Rng | null): ActOutput {
    const A = this.numActions;
    const O = input.obs.length / Math.max(1, input.time.length);
    const parts = this.rows(n);
    const flat = tf.tidy(() => {
      const outs = this.networks.map((net, i) => {
        const idx = parts[i];
        const sub = gatherRows(input, idx, O, A, net.goalDim);
        const x = net.inputTensors({ obs: sub.obs, mask: sub.mask, time: sub.time }, false);
        const { logits, value } = net.forwardTensors(x, sub.condition ? tf.tensor2d(sub.condition, [idx.length, net.goalDim]) : null);
        return tf.concat([tf.softmax(logits), value.reshape([idx.length, 1])], 1);
      });
      return outs.length === 1 ? outs[0] : tf.concat(outs, 0);
    });
    const data = flat.dataSync() as Float32Array;
    flat.dispose();
    const out: ActOutput = { action: new Int32Array(n), logp: new Float32Array(n), value: new Float32Array(n), probs: new Float32Array(n * A) };
    let at = 0;
    for (const idx of parts)
      for (const k of idx) {
        const row = data.subarray(at * (A + 1), at * (A + 1) + A);
        out.probs.set(row, k * A);
        out.value[k] = data[at * (A + 1) + A];
        const a = rng ? sampleRow(row, input.mask, k * A, rng) : argmaxRow(row, input.mask, k * A);
        out.action[k] = a;
        out.logp[k] = Math.log(Math.max(row[a], 1e-30));
        at++;
      }
    return out;
  }

  dispose(): void {
    for (const n of this.networks) n.dispose();
  }
}

export function gatherRows(input: ActInput, idx: Int32Array, O: number, A: number, C: number): ActInput {
  const n = idx.length;
  const out: ActInput = { obs: new Float32Array(n * O), mask: new Uint8Array(n * A), time: new Float32Array(n), condition: C > 0 && input.condition ? new Float32Array(n * C) : null };
  for (let r = 0; r < n; r++) {
    const k = idx[r];
    out.obs.set(input.obs.subarray(k * O, (k + 1) * O), r * O);
    out.mask.set(input.mask.subarray(k * A, (k + 1) * A), r * A);
    out.time[r] = input.time[k];
    if (out.condition) out.condition.set(input.condition!.subarray(k * C, (k + 1) * C), r * C);
  }
  return out;
}

/** A draw from the row's distribution, restricted to legal actions (float rounding cannot pick a masked one). */
function sampleRow(p: Float32Array, mask: Uint8Array, off: number, rng: Rng): number {
  let total = 0;
  for (let a = 0; a < p.length; a++) if (mask[off + a]) total += p[a];
  let u = rng.next() * total;
  let last = -1;
  for (let a = 0; a < p.length; a++) {
    if (!mask[off + a]) continue;
    last = a;
    u -= p[a];
    if (u < 0) return a;
  }
  return last < 0 ? 0 : last;
}

function argmaxRow(p: Float32Array, mask: Uint8Array, off: number): number {
  let best = -1;
  for (let a = 0; a < p.length; a++) if (mask[off + a] && (best < 0 || p[a] > p[best])) best = a;
  return best < 0 ? 0 : best;
}

import { HopError } from '@hop/core';

/**
 * Intra-episode goal beliefs of `M` co-players over `G` goals, kept in log space so that long products
 * of small likelihoods never underflow:
 *
 *   start uniform;  after each observed action  b(g) <- b(g) * p(a_j | s, t, g);
 *   goals no longer available -> 0;  normalise;  all zero -> uniform over the available goals.
 *
 * With no goal available at all the belief is uniform over every goal (it then carries no information;
 * planners fall back to their "no goal" behaviour).
 */
export class IntraEpisodeBelief {
  readonly numCoPlayers: number;
  readonly numGoals: number;
  /** `[M, G]` log-beliefs, -Infinity for probability 0. */
  readonly logBelief: Float64Array;
  /** `[M, G]` 1 when the goal is still available (as last reported). */
  readonly available: Uint8Array;

  constructor(numCoPlayers: number, numGoals: number) {
    if (!(Number.isInteger(numCoPlayers) && numCoPlayers >= 1 && Number.isInteger(numGoals) && numGoals >= 1))
      throw new HopError('E_BELIEF', `need at least one co-player and one goal, got ${numCoPlayers} x ${numGoals}`);
    this.numCoPlayers = numCoPlayers;
    this.numGoals = numGoals;
    this.logBelief = new Float64Array(numCoPlayers * numGoals);
    this.available = new Uint8Array(numCoPlayers * numGoals).fill(1);
    this.reset();
  }

  /** Uniform over the available goals (`[M, G]`, default: all available). */
  reset(available?: ArrayLike<number>): void {
    if (available) this.setAvailable(available);
    else this.available.fill(1);
    for (let m = 0; m < this.numCoPlayers; m++) this.uniformRow(m);
  }

  /**
   * One observation step. `likelihood[m, g] = p(a_m | s, t, g)` of the action co-player m just took;
   * rows with `observed[m] = 0` (co-player not in play, action not seen) only apply availability.
   */
  update(likelihood: ArrayLike<number>, available?: ArrayLike<number>, observed?: ArrayLike<number>): void {
    const { numCoPlayers: mN, numGoals: g } = this;
    if (likelihood.length !== mN * g)
      throw new HopError('E_SHAPE', `likelihood has ${likelihood.length} values, expected [${mN}, ${g}]`);
    if (observed && observed.length !== mN)
      throw new HopError('E_SHAPE', `observed has ${observed.length} values, expected ${mN}`);
    // Validate everything first: a bad entry changes no co-player's belief.
    for (let m = 0; m < mN; m++) {
      if (observed && !(observed[m] > 0)) continue;
      for (let k = m * g; k < (m + 1) * g; k++) {
        const l = likelihood[k];
        if (!(l >= 0 && l < Infinity)) throw new HopError('E_BELIEF', `likelihood[${m}, ${k - m * g}] = ${l} is not a probability`);
      }
    }
    if (available) this.setAvailable(available);
    for (let m = 0; m < mN; m++) {
      const see = !observed || observed[m] > 0;
      for (let k = m * g; k < (m + 1) * g; k++) {
        if (!this.available[k]) this.logBelief[k] = -Infinity;
        else if (see) this.logBelief[k] += Math.log(likelihood[k]);
      }
      this.normaliseRow(m);
    }
  }

  /**
   * Update from `probsForGoals` output: `probs` is `[M, G, A]` (co-player m's action distribution under
   * each goal), `actions[m]` the action it took (negative: not observed this step).
   */
  updateFromProbs(probs: ArrayLike<number>, numActions: number, actions: ArrayLike<number>, available?: ArrayLike<number>): void {
    const { numCoPlayers: mN, numGoals: g } = this;
    if (probs.length !== mN * g * numActions)
      throw new HopError('E_SHAPE', `probs has ${probs.length} values, expected [${mN}, ${g}, ${numActions}]`);
    const lik = new Float64Array(mN * g);
    const observed = new Uint8Array(mN);
    for (let m = 0; m < mN; m++) {
      const a = actions[m];
      if (a < 0) continue;
      if (!(Number.isInteger(a) && a < numActions))
        throw new HopError('E_BELIEF', `actions[${m}] = ${a} is not an action in [0, ${numActions})`);
      observed[m] = 1;
      for (let k = 0; k < g; k++) lik[m * g + k] = probs[(m * g + k) * numActions + a];
    }
    this.update(lik, available, observed);
  }

  /** `[M, G]` beliefs (probabilities). */
  probs(out: Float32Array = new Float32Array(this.numCoPlayers * this.numGoals)): Float32Array {
    for (let k = 0; k < out.length; k++) out[k] = Math.exp(this.logBelief[k]);
    return out;
  }

  private setAvailable(available: ArrayLike<number>): void {
    if (available.length !== this.available.length)
      throw new HopError('E_SHAPE', `available has ${available.length} values, expected [${this.numCoPlayers}, ${this.numGoals}]`);
    for (let k = 0; k < available.length; k++) this.available[k] = available[k] > 0 ? 1 : 0;
  }

  private uniformRow(m: number): void {
    const g = this.numGoals;
    let n = 0;
    for (let k = m * g; k < (m + 1) * g; k++) n += this.available[k];
    const all = n === 0;
    const logU = -Math.log(all ? g : n);
    for (let k = m * g; k < (m + 1) * g; k++) this.logBelief[k] = all || this.available[k] ? logU : -Infinity;
  }

  /** log-sum-exp normalisation of one row; a row that is all -Infinity becomes uniform. */
  private normaliseRow(m: number): void {
    const g = this.numGoals;
    let max = -Infinity;
    for (let k = m * g; k < (m + 1) * g; k++) if (this.logBelief[k] > max) max = this.logBelief[k];
    if (max === -Infinity) return this.uniformRow(m);
    let s = 0;
    for (let k = m * g; k < (m + 1) * g; k++) s += Math.exp(this.logBelief[k] - max);
    const lse = max + Math.log(s);
    for (let k = m * g; k < (m + 1) * g; k++) this.logBelief[k] -= lse;
  }
}

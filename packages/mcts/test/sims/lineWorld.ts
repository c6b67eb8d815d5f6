import type { BatchedSimulator, SimStepBatch, SimViewBatch } from '@hop/core';

/**
 * A tiny multi-agent stag-hunt on a line, implementing the core simulator contract for tests.
 * Actions: 0 left, 1 right, 2 stay (the no-op), 3 catch (valid on a cell holding a prey).
 * A prey needs `need` agents catching it in the same step; they split its reward, become done and the prey
 * disappears. The episode ends at `timeLimit` or when every agent is done.
 * State words: [time, pos x P, done x P, present x K].
 */
export interface Prey {
  cell: number;
  reward: number;
  goal: number;
  need?: number;
}

export interface LineWorldOptions {
  length: number;
  numAgents: number;
  prey: Prey[];
  numGoals: number;
  timeLimit: number;
  /** Every state hashes to 0 (tests that the cache confirms hits on the full state). */
  constantHash?: boolean;
}

export const LEFT = 0;
export const RIGHT = 1;
export const STAY = 2;
export const CATCH = 3;

export class LineWorld implements BatchedSimulator {
  readonly numAgents: number;
  readonly numActions = 4;
  readonly stateWords: number;
  readonly observationShape: readonly number[];
  readonly observationSize: number;
  readonly noopAction = STAY;
  readonly numGoals: number;
  readonly opts: LineWorldOptions;
  /** Every joint action the simulator was asked to step, for tests. */
  stepLog: number[][] | null = null;
  private readonly caught: Float64Array;

  constructor(opts: LineWorldOptions) {
    this.opts = opts;
    this.numAgents = opts.numAgents;
    this.numGoals = opts.numGoals;
    this.stateWords = 1 + 2 * opts.numAgents + opts.prey.length;
    this.observationShape = [opts.length, opts.numAgents + opts.numGoals];
    this.observationSize = opts.length * (opts.numAgents + opts.numGoals);
    this.caught = new Float64Array(opts.prey.length);
  }

  /** Writes an initial state into `states` at `slot`. */
  init(states: Int32Array, slot: number, positions: number[], time = 0): void {
    const o = slot * this.stateWords;
    const P = this.numAgents;
    states[o] = time;
    for (let i = 0; i < P; i++) {
      states[o + 1 + i] = positions[i];
      states[o + 1 + P + i] = 0;
    }
    for (let k = 0; k < this.opts.prey.length; k++) states[o + 1 + 2 * P + k] = 1;
  }

  private preyAt(states: Int32Array, o: number, cell: number): number {
    const P = this.numAgents;
    const prey = this.opts.prey;
    for (let k = 0; k < prey.length; k++) if (prey[k].cell === cell && states[o + 1 + 2 * P + k]) return k;
    return -1;
  }

  step(batch: SimStepBatch): void {
    const P = this.numAgents;
    const W = this.stateWords;
    const { states } = batch;
    const prey = this.opts.prey;
    for (let k = 0; k < batch.count; k++) {
      const from = batch.from[k] * W;
      const to = batch.to[k] * W;
      if (from !== to) states.copyWithin(to, from, from + W);
      if (this.stepLog) this.stepLog.push(Array.from(batch.actions.subarray(k * P, (k + 1) * P)));
      for (let i = 0; i < P; i++) batch.rewards[k * P + i] = 0;
      this.caught.fill(0);
      // count catchers per prey
      for (let i = 0; i < P; i++) {
        if (states[to + 1 + P + i]) continue;
        if (batch.actions[k * P + i] !== CATCH) continue;
        const p = this.preyAt(states, to, states[to + 1 + i]);
        if (p >= 0) this.caught[p]++;
      }
      for (let i = 0; i < P; i++) {
        if (states[to + 1 + P + i]) continue;
        const a = batch.actions[k * P + i];
        const pos = states[to + 1 + i];
        if (a === CATCH) {
          const p = this.preyAt(states, to, pos);
          if (p >= 0 && this.caught[p] >= (prey[p].need ?? 1)) {
            batch.rewards[k * P + i] = prey[p].reward / this.caught[p];
            states[to + 1 + P + i] = 1;
          }
        } else if (a === LEFT && pos > 0) states[to + 1 + i] = pos - 1;
        else if (a === RIGHT && pos < this.opts.length - 1) states[to + 1 + i] = pos + 1;
      }
      for (let p = 0; p < prey.length; p++)
        if (this.caught[p] >= (prey[p].need ?? 1)) states[to + 1 + 2 * P + p] = 0;
      states[to] += 1;
      batch.terminal[k] = this.isTerminal(states, to) ? 1 : 0;
    }
  }

  private isTerminal(states: Int32Array, o: number): boolean {
    if (states[o] >= this.opts.timeLimit) return true;
    for (let i = 0; i < this.numAgents; i++) if (!states[o + 1 + this.numAgents + i]) return false;
    return true;
  }

  legalActions(view: SimViewBatch, out: Uint8Array): void {
    const P = this.numAgents;
    for (let k = 0; k < view.count; k++) {
      const o = view.slots[k] * this.stateWords;
      for (let i = 0; i < P; i++) {
        const r = (k * P + i) * 4;
        out.fill(0, r, r + 4);
        out[r + STAY] = 1;
        if (view.states[o + 1 + P + i]) continue;
        const pos = view.states[o + 1 + i];
        if (pos > 0) out[r + LEFT] = 1;
        if (pos < this.opts.length - 1) out[r + RIGHT] = 1;
        if (this.preyAt(view.states, o, pos) >= 0) out[r + CATCH] = 1;
      }
    }
  }

  agentDone(view: SimViewBatch, out: Uint8Array): void {
    const P = this.numAgents;
    for (let k = 0; k < view.count; k++) {
      const o = view.slots[k] * this.stateWords;
      for (let i = 0; i < P; i++) out[k * P + i] = view.states[o + 1 + P + i];
    }
  }

  observe(view: SimViewBatch, out: Float32Array): void {
    const P = this.numAgents;
    const C = P + this.numGoals;
    const O = this.observationSize;
    for (let k = 0; k < view.count; k++) {
      const o = view.slots[k] * this.stateWords;
      for (let i = 0; i < P; i++) {
        const base = (k * P + i) * O;
        out.fill(0, base, base + O);
        for (let r = 0; r < P; r++) {
          const j = (i + r) % P;
          if (view.states[o + 1 + P + j]) continue;
          out[base + view.states[o + 1 + j] * C + r] += 1;
        }
        const prey = this.opts.prey;
        for (let p = 0; p < prey.length; p++)
          if (view.states[o + 1 + 2 * P + p]) out[base + prey[p].cell * C + P + prey[p].goal] = prey[p].reward;
      }
    }
  }

  time(view: SimViewBatch, out: Float32Array): void {
    for (let k = 0; k < view.count; k++) out[k] = view.states[view.slots[k] * this.stateWords];
  }

  terminal(view: SimViewBatch, out: Uint8Array): void {
    for (let k = 0; k < view.count; k++) out[k] = this.isTerminal(view.states, view.slots[k] * this.stateWords) ? 1 : 0;
  }

  hash(view: SimViewBatch, out: Uint32Array): void {
    for (let k = 0; k < view.count; k++) {
      if (this.opts.constantHash) {
        out[k] = 0;
        continue;
      }
      const o = view.slots[k] * this.stateWords;
      let h = 0x811c9dc5;
      for (let w = 0; w < this.stateWords; w++) {
        h ^= view.states[o + w];
        h = Math.imul(h, 0x01000193);
      }
      out[k] = h >>> 0;
    }
  }

  goalsAvailable(view: SimViewBatch, out: Uint8Array): void {
    const P = this.numAgents;
    const G = this.numGoals;
    for (let k = 0; k < view.count; k++) {
      const o = view.slots[k] * this.stateWords;
      out.fill(0, k * G, (k + 1) * G);
      const prey = this.opts.prey;
      for (let p = 0; p < prey.length; p++) if (view.states[o + 1 + 2 * P + p]) out[k * G + prey[p].goal] = 1;
    }
  }
}

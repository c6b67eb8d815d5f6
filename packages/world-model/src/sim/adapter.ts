import { HopError, type BatchedSimulator, type CatchRewards, type SimStepBatch, type SimViewBatch } from '@hop/core';
import { cellsOf, gridSizeOf, rulesOf, type GridLayout, type RewardRules } from '../layout';
import { loadWorldModel } from '../model/checkpoint';
import type { WorldModel } from '../model/world-model';
import type { WorldModelPredictor } from '../inference/engine';
import { StateCodec } from './state';

export interface WorldModelSimulatorOptions {
  /**
   * The game's reward rule (`@hop/core`'s `CatchRewards`), handed in by the code that composes the game and
   * the model: for the Markov stag hunt, `stagHuntRewards(config)` of `@hop/env-staghunt`, the code the
   * environment's own step runs. Its goals are the layout's prey in `preyChannels` order.
   */
  rewards: CatchRewards;
  /** A state at this time is terminal (default: the model config's `finalTime`). */
  finalTime?: number;
  /**
   * Runs the network instead of `model.predict` (tfjs): e.g. `await createWorldModelInference(model)`
   * for ONNX Runtime. It must wrap the same model; call its `refresh()` after training updates.
   */
  predictor?: WorldModelPredictor;
}

/**
 * The core `BatchedSimulator` contract on top of a learned world model, so a planner searches in the model
 * exactly as in the true environment. States are decoded, valid grids (`StateCodec`): a step renders every
 * live player's own view, runs the network once for the whole batch (all transitions x live players),
 * averages the views' predictions in a common frame and decodes them under the physics the layout states:
 *
 * - a player moves to the best of its current cell and its reachable 4-neighbours (never further);
 * - players hunting prey they stand on succeed or fail together per cell: on success (their mean
 *   predicted probability of "caught this prey" >= 0.5, the outcome head) the prey is removed and they
 *   leave the grid, else they stay; prey is removed in no other way and never appears; static cells are copied;
 * - rewards are not predicted but written by the game's own reward rule (the `rewards` option, a
 *   `CatchRewards`) from who caught what; done players get 0;
 * - the episode ends when every player left, at `finalTime`, or `endAfterFirstCatch` steps after the
 *   first catch (the layout's `rules`; counted, not learned).
 */
export class WorldModelSimulator implements BatchedSimulator {
  readonly model: WorldModel;
  readonly layout: GridLayout;
  readonly codec: StateCodec;
  readonly numAgents: number;
  readonly numActions: number;
  readonly stateWords: number;
  readonly observationShape: readonly [number, number, number];
  readonly observationSize: number;
  readonly noopAction: number;
  readonly numGoals: number;
  /** The layout's rules: the adapter reads `endAfterFirstCatch` (rewards come from `rewards`). */
  readonly rules: RewardRules;
  readonly rewards: CatchRewards;
  private readonly outcomes: number;
  /** Per player: the prey channel it caught this step, or -1. */
  private readonly caughtBy: Int32Array;
  /** Per player: 1 when in play before the step; the cell it hunted on (its catching group). */
  private readonly acting: Uint8Array;
  private readonly huntCell: Int32Array;
  private readonly predictor: WorldModelPredictor;
  private readonly owned: boolean;
  // Scratch grown on demand: no allocation per step once warm (besides the network's outputs).
  private obsBuf = new Float32Array(0);
  private actBuf = new Int32Array(0);
  private timeBuf = new Float32Array(0);
  private rowOf = new Int32Array(0);
  private srcBuf = new Int32Array(0);
  private readonly acc: Float32Array;
  private readonly huntPrey: Int32Array;
  /** Per player: the prey channel it hunts on its cell this step, or -1. */
  private readonly groupOf: Int32Array;

  constructor(model: WorldModel, opts: WorldModelSimulatorOptions & { ownsModel?: boolean }) {
    const finalTime = opts.finalTime ?? model.config.finalTime;
    if (finalTime === undefined)
      throw new HopError('E_CONFIG', 'the world model has no finalTime (train it from a dataset, or pass finalTime)');
    this.model = model;
    this.layout = model.layout;
    this.codec = new StateCodec(this.layout, finalTime);
    this.numAgents = this.layout.players;
    this.numActions = this.layout.numActions;
    this.stateWords = this.codec.stateWords;
    this.observationShape = [this.layout.height, this.layout.width, this.layout.channels];
    this.observationSize = gridSizeOf(this.layout);
    this.noopAction = this.layout.stayAction;
    this.numGoals = this.layout.preyChannels.length;
    this.rules = rulesOf(this.layout);
    if (opts.rewards?.players !== this.numAgents)
      throw new HopError(
        'E_CONFIG',
        `the reward rule is for ${opts.rewards?.players ?? 'no'} players, the world model for ${this.numAgents}; ` +
          'hand in the rule of the game the model was trained on (e.g. stagHuntRewards(config) from @hop/env-staghunt)',
      );
    this.rewards = opts.rewards;
    this.outcomes = this.layout.preyChannels.length + 1;
    this.caughtBy = new Int32Array(this.numAgents);
    this.acting = new Uint8Array(this.numAgents);
    this.huntCell = new Int32Array(this.numAgents);
    this.predictor = opts.predictor ?? model;
    this.owned = opts.ownsModel ?? false;
    this.acc = new Float32Array(this.observationSize);
    this.huntPrey = new Int32Array(this.numActions).fill(-1);
    this.groupOf = new Int32Array(this.numAgents);
    this.layout.huntActions.forEach((a, k) => (this.huntPrey[a] = k));
  }

  /** A simulator over the model of a checkpoint directory (`best/` of a run); `dispose()` frees the model. */
  static async fromCheckpoint(dir: string, opts: WorldModelSimulatorOptions): Promise<WorldModelSimulator> {
    const { model } = await loadWorldModel(dir);
    try {
      return new WorldModelSimulator(model, { ...opts, ownsModel: true });
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  /** A zeroed arena of `capacity` slots. */
  allocate(capacity: number): Int32Array {
    return new Int32Array(capacity * this.stateWords);
  }

  /**
   * Writes the state seen in observer `observer`'s grid (`[H, W, C]`, its channel first, as in datasets and
   * `observe`) at `time` into `slot`: how a planner starts from a real observation. `endTime` is the time
   * the rules already set for the end (`endAfterFirstCatch` after a catch; not visible in a grid).
   */
  encodeObservation(grid: ArrayLike<number>, time: number, observer: number, arena: Int32Array, slot: number, endTime = 0): void {
    this.checkSlot(arena, slot);
    if (grid.length < this.observationSize)
      throw new HopError('E_SHAPE', `the grid holds ${grid.length} values, expected ${this.observationSize}`);
    this.codec.encode(grid, 0, observer, time, arena, slot * this.stateWords);
    arena[slot * this.stateWords + this.codec.END] = endTime;
  }

  private checkSlot(arena: Int32Array, slot: number): void {
    if (!(Number.isInteger(slot) && slot >= 0 && (slot + 1) * this.stateWords <= arena.length))
      throw new HopError('E_RANGE', `slot ${slot} is outside the arena (${Math.floor(arena.length / this.stateWords)} slots)`);
  }

  private grow(rows: number, count: number): void {
    const G = this.observationSize;
    const P = this.numAgents;
    if (this.timeBuf.length < rows) {
      this.obsBuf = new Float32Array(rows * G);
      this.actBuf = new Int32Array(rows * P);
      this.timeBuf = new Float32Array(rows);
    }
    if (this.rowOf.length < count * P) this.rowOf = new Int32Array(count * P);
    if (this.srcBuf.length < count * this.stateWords) this.srcBuf = new Int32Array(count * this.stateWords);
  }

  async step(batch: SimStepBatch): Promise<void> {
    const { states, from, to, actions, count, rewards, terminal } = batch;
    const c = this.codec;
    const Wd = this.stateWords;
    const P = this.numAgents;
    const G = this.observationSize;
    this.grow(count * P, count);
    const { obsBuf, actBuf, timeBuf, rowOf, srcBuf } = this;

    // 1. Snapshot every source (a destination may be its own source) and render each live player's view.
    let rows = 0;
    for (let k = 0; k < count; k++) {
      const src = from[k] * Wd;
      srcBuf.set(states.subarray(src, src + Wd), k * Wd);
      const over = c.isTerminal(srcBuf, k * Wd);
      for (let i = 0; i < P; i++) {
        rowOf[k * P + i] = -1;
        if (over || srcBuf[k * Wd + c.POS + i] < 0) continue;
        c.render(srcBuf, k * Wd, i, obsBuf, rows * G);
        for (let m = 0; m < P; m++) {
          const p = (i + m) % P;
          actBuf[rows * P + m] = srcBuf[k * Wd + c.POS + p] >= 0 ? actions[k * P + p] : -1;
        }
        timeBuf[rows] = srcBuf[k * Wd + c.T];
        rowOf[k * P + i] = rows++;
      }
    }

    // 2. One network call for the whole batch.
    const pred = await this.predictor.predict({ size: rows, obs: obsBuf, jointAction: actBuf, time: timeBuf });

    // 3. Average the views in player 0's frame, decode, and apply the rules to the hunt outcome.
    for (let k = 0; k < count; k++) {
      const sb = k * Wd;
      const db = to[k] * Wd;
      states.set(srcBuf.subarray(sb, sb + Wd), db);
      for (let i = 0; i < P; i++) rewards[k * P + i] = 0;
      if (c.isTerminal(srcBuf, sb)) {
        terminal[k] = 1;
        continue;
      }
      this.averageViews(pred.next, k);
      const caught = this.decode(srcBuf, sb, states, db, actions, k * P, pred.outcome);
      for (let p = 0; p < P; p++) {
        const pos = srcBuf[sb + c.POS + p];
        this.acting[p] = pos >= 0 ? 1 : 0;
        this.huntCell[p] = pos;
      }
      this.rewards.write(this.acting, this.caughtBy, this.huntCell, rewards, k * P);
      const t = srcBuf[sb + c.T];
      states[db + c.T] = t + 1;
      const after = this.rules.endAfterFirstCatch;
      if (caught && after !== null && states[db + c.END] === 0) states[db + c.END] = t + 1 + after;
      terminal[k] = c.isTerminal(states, db) ? 1 : 0;
    }
  }

  /** `acc` = mean over live players' predicted views, player channels moved to player 0's frame. */
  private averageViews(next: Float32Array, k: number): void {
    const l = this.layout;
    const C = l.channels;
    const P = this.numAgents;
    const cells = cellsOf(l);
    const acc = this.acc;
    acc.fill(0);
    let views = 0;
    for (let i = 0; i < P; i++) {
      const r = this.rowOf[k * P + i];
      if (r < 0) continue;
      views++;
      const off = r * this.observationSize;
      for (let cell = 0; cell < cells; cell++) {
        const o = off + cell * C;
        const a = cell * C;
        for (let m = 0; m < P; m++) acc[a + l.playerChannels[(i + m) % P]] += next[o + l.playerChannels[m]];
        for (const ch of l.preyChannels) acc[a + ch] += next[o + ch];
      }
    }
    const inv = 1 / views;
    for (let i = 0; i < acc.length; i++) acc[i] *= inv;
  }

  /**
   * Decodes `acc` and the outcome probabilities into the destination (a copy of the source): hunters and
   * their prey first, then moves. Players hunting the same prey on the same cell form a group that succeeds
   * or fails together: it succeeds when its members' mean predicted probability of catching that prey is
   * >= 0.5; then the prey is removed and the hunters leave the grid (`caughtBy` records it), else they stay.
   * Every other player goes to the cell with the largest predicted value among its own cell and its
   * reachable 4-neighbours. Returns whether anything was caught.
   */
  private decode(src: Int32Array, sb: number, dst: Int32Array, db: number, actions: Int32Array, ab: number, outcome: Float32Array): boolean {
    const c = this.codec;
    const l = this.layout;
    const C = l.channels;
    const P = this.numAgents;
    const M = l.moves.length;
    const K1 = this.outcomes;
    const acc = this.acc;
    const group = this.groupOf;
    const by = this.caughtBy;
    const rows = this.rowOf.subarray(ab, ab + P);
    let any = false;
    for (let p = 0; p < P; p++) {
      group[p] = -1;
      by[p] = -1;
      const pos = src[sb + c.POS + p];
      if (pos < 0) continue;
      const a = actions[ab + p];
      const k = a >= 0 && a < this.numActions ? this.huntPrey[a] : -1;
      if (k >= 0 && c.bit(src, sb, c.preyOff[k], pos)) {
        group[p] = k;
        continue;
      }
      let best = pos;
      let bestV = acc[pos * C + l.playerChannels[p]];
      for (let i = 0; i < M; i++) {
        const t = c.moveTarget[pos * M + i];
        if (t < 0 || c.blocked(src, sb, t)) continue;
        const v = acc[t * C + l.playerChannels[p]];
        if (v > bestV) {
          bestV = v;
          best = t;
        }
      }
      dst[db + c.POS + p] = best;
    }
    for (let p = 0; p < P; p++) {
      const k = group[p];
      if (k < 0) continue;
      const cell = src[sb + c.POS + p];
      // first member of its group: judge the group
      let first = true;
      for (let q = 0; q < p; q++) if (group[q] === k && src[sb + c.POS + q] === cell) first = false;
      if (!first) continue;
      let sum = 0;
      let n = 0;
      for (let q = p; q < P; q++)
        if (group[q] === k && src[sb + c.POS + q] === cell) {
          sum += outcome[rows[q] * K1 + k + 1];
          n++;
        }
      const caught = sum / n >= 0.5;
      if (caught) {
        c.clearBit(dst, db, c.preyOff[k], cell);
        any = true;
      }
      for (let q = p; q < P; q++)
        if (group[q] === k && src[sb + c.POS + q] === cell) {
          dst[db + c.POS + q] = caught ? -1 : cell;
          if (caught) by[q] = k;
        }
    }
    return any;
  }

  legalActions(view: SimViewBatch, out: Uint8Array): void {
    const P = this.numAgents;
    const A = this.numActions;
    for (let k = 0; k < view.count; k++)
      for (let p = 0; p < P; p++) this.codec.writeLegal(view.states, view.slots[k] * this.stateWords, p, out, (k * P + p) * A);
  }

  agentDone(view: SimViewBatch, out: Uint8Array): void {
    const P = this.numAgents;
    for (let k = 0; k < view.count; k++) {
      const b = view.slots[k] * this.stateWords;
      const over = this.codec.isTerminal(view.states, b);
      for (let p = 0; p < P; p++) out[k * P + p] = over || view.states[b + this.codec.POS + p] < 0 ? 1 : 0;
    }
  }

  observe(view: SimViewBatch, out: Float32Array): void {
    const P = this.numAgents;
    for (let k = 0; k < view.count; k++)
      for (let p = 0; p < P; p++)
        this.codec.render(view.states, view.slots[k] * this.stateWords, p, out, (k * P + p) * this.observationSize);
  }

  time(view: SimViewBatch, out: Float32Array): void {
    for (let k = 0; k < view.count; k++) out[k] = view.states[view.slots[k] * this.stateWords + this.codec.T];
  }

  terminal(view: SimViewBatch, out: Uint8Array): void {
    for (let k = 0; k < view.count; k++) out[k] = this.codec.isTerminal(view.states, view.slots[k] * this.stateWords) ? 1 : 0;
  }

  hash(view: SimViewBatch, out: Uint32Array): void {
    for (let k = 0; k < view.count; k++) out[k] = this.codec.hash(view.states, view.slots[k] * this.stateWords);
  }

  goalsAvailable(view: SimViewBatch, out: Uint8Array): void {
    const K = this.numGoals;
    for (let k = 0; k < view.count; k++)
      for (let g = 0; g < K; g++) out[k * K + g] = this.codec.preyLeft(view.states, view.slots[k] * this.stateWords, g);
  }

  /** Frees the model when this simulator loaded it (`fromCheckpoint`). */
  dispose(): void {
    if (this.owned) this.model.dispose();
  }
}

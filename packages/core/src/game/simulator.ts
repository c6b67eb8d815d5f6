import type { BatchedSimulator, SimStepBatch, SimViewBatch } from '../contracts/simulator';
import { HopError } from '../errors';
import { Rng } from '../rng/rng';
import { checkGameDefinition, type GameDefinition, type GameState, type StateLayout } from './definition';

/** A state's fields as plain arrays, for writing a position by hand and reading one back. */
export type GameStateValues<L extends StateLayout> = { [K in keyof L]: ArrayLike<number> };

/**
 * The `BatchedSimulator` of a `GameDefinition`. A state record is `[time, ...fields in layout order]`; every
 * call loads a record into one scratch state, runs the game's function on it and stores the result, so the
 * game's rules never see slots, batches or the done / terminal bookkeeping of the contract.
 */
export class GameSimulator<L extends StateLayout> implements BatchedSimulator {
  readonly numAgents: number;
  readonly numActions: number;
  readonly stateWords: number;
  readonly observationShape: readonly number[];
  readonly observationSize: number;
  readonly noopAction: number;
  readonly numGoals: number;
  /** Word offset of each field inside a state record (time is word 0). */
  readonly offsets: { readonly [K in keyof L]: number };
  private readonly def: GameDefinition<L>;
  private readonly words: Int32Array;
  private readonly scratch: GameState<L>;
  private readonly actions: Int32Array;
  private readonly rewards: Float32Array;
  private readonly mask: Uint8Array;
  private readonly obs: Float32Array;
  private readonly goals: Uint8Array;

  constructor(def: GameDefinition<L>) {
    checkGameDefinition(def);
    this.def = def;
    this.numAgents = def.numAgents;
    this.numActions = def.numActions;
    this.observationShape = [...def.observationShape];
    this.observationSize = def.observationShape.reduce((a, b) => a * b, 1);
    this.noopAction = def.noopAction ?? 0;
    this.numGoals = def.goals?.count ?? 0;
    const offsets: Record<string, number> = {};
    let w = 1;
    for (const [name, n] of Object.entries(def.state)) {
      offsets[name] = w;
      w += n;
    }
    this.offsets = offsets as { [K in keyof L]: number };
    this.stateWords = w;
    this.words = new Int32Array(w);
    const words = this.words;
    const state: Record<string, Int32Array> = {};
    for (const [name, n] of Object.entries(def.state)) state[name] = words.subarray(offsets[name], offsets[name] + n);
    Object.defineProperty(state, 'time', { get: () => words[0], enumerable: true });
    this.scratch = state as unknown as GameState<L>;
    this.actions = new Int32Array(this.numAgents);
    this.rewards = new Float32Array(this.numAgents);
    this.mask = new Uint8Array(this.numActions);
    this.obs = new Float32Array(this.observationSize);
    this.goals = new Uint8Array(this.numGoals);
  }

  /** A zeroed arena of `capacity` state slots. */
  allocate(capacity: number): Int32Array {
    return new Int32Array(capacity * this.stateWords);
  }

  /** Starts an episode in `slot`: fields zeroed, the game's `reset` with `Rng(seed)`, time 0. */
  reset(arena: Int32Array, slot: number, seed: number | Rng = 0): void {
    this.checkSlot(arena, slot, 'reset');
    this.words.fill(0);
    this.def.reset(this.scratch, typeof seed === 'number' ? new Rng(seed) : seed);
    this.words[0] = 0;
    this.store(arena, slot);
  }

  /**
   * Writes a position given field by field (a hand-made test position, say) into `slot`. Every field must be
   * given with exactly its length; values must be int32.
   */
  write(arena: Int32Array, slot: number, values: GameStateValues<L>, time = 0): void {
    this.checkSlot(arena, slot, 'write');
    if (!Number.isInteger(time) || time < 0)
      throw new HopError('E_GAME', `write: time must be a non-negative integer, got ${time}`);
    const given = Object.keys(values);
    for (const k of given)
      if (!(k in this.def.state))
        throw new HopError('E_GAME', `write: "${k}" is not a state field; the fields are ${Object.keys(this.def.state).join(', ')}`);
    this.words.fill(0);
    this.words[0] = time;
    for (const [name, n] of Object.entries(this.def.state)) {
      const v = (values as Record<string, ArrayLike<number> | undefined>)[name];
      if (v === undefined) throw new HopError('E_GAME', `write: field "${name}" is missing (it holds ${n} values)`);
      if (v.length !== n) throw new HopError('E_GAME', `write: field "${name}" has ${v.length} values, expected ${n}`);
      const o = this.offsets[name];
      for (let i = 0; i < n; i++) {
        if (!Number.isInteger(v[i]) || (v[i] | 0) !== v[i])
          throw new HopError('E_GAME', `write: ${name}[${i}] = ${v[i]} is not an int32`);
        this.words[o + i] = v[i];
      }
    }
    this.store(arena, slot);
  }

  /** The fields of `slot` as plain arrays, and its time step. */
  read(arena: Int32Array, slot: number): { time: number; values: { [K in keyof L]: number[] } } {
    this.checkSlot(arena, slot, 'read');
    const b = slot * this.stateWords;
    const values: Record<string, number[]> = {};
    for (const [name, n] of Object.entries(this.def.state))
      values[name] = Array.from(arena.subarray(b + this.offsets[name], b + this.offsets[name] + n));
    return { time: arena[b], values: values as { [K in keyof L]: number[] } };
  }

  /** Copies slot `from` to slot `to`. */
  copy(arena: Int32Array, from: number, to: number): void {
    const W = this.stateWords;
    arena.copyWithin(to * W, from * W, from * W + W);
  }

  step(batch: SimStepBatch): void {
    const { states, from, to, actions, count, rewards, terminal } = batch;
    const P = this.numAgents;
    const def = this.def;
    for (let k = 0; k < count; k++) {
      this.load(states, from[k]);
      if (this.isTerminal()) {
        // nothing moves in a finished episode
        rewards.fill(0, k * P, k * P + P);
        terminal[k] = 1;
        this.store(states, to[k]);
        continue;
      }
      for (let p = 0; p < P; p++) {
        const done = def.agentDone !== undefined && def.agentDone(this.scratch, p);
        const a = actions[k * P + p];
        if (!done && def.strict) this.checkLegal(p, a);
        this.actions[p] = done ? -1 : a;
      }
      this.rewards.fill(0);
      def.step(this.scratch, this.actions, this.rewards);
      this.words[0]++;
      for (let p = 0; p < P; p++) rewards[k * P + p] = this.rewards[p];
      terminal[k] = this.isTerminal() ? 1 : 0;
      this.store(states, to[k]);
    }
  }

  legalActions(view: SimViewBatch, out: Uint8Array): void {
    const { numAgents: P, numActions: A, def } = this;
    for (let k = 0; k < view.count; k++) {
      this.load(view.states, view.slots[k]);
      const over = this.isTerminal();
      for (let p = 0; p < P; p++) {
        const o = (k * P + p) * A;
        if (over || (def.agentDone !== undefined && def.agentDone(this.scratch, p))) {
          out.fill(0, o, o + A);
          out[o + this.noopAction] = 1;
          continue;
        }
        this.legalMask(p);
        for (let a = 0; a < A; a++) out[o + a] = this.mask[a];
      }
    }
  }

  agentDone(view: SimViewBatch, out: Uint8Array): void {
    const P = this.numAgents;
    for (let k = 0; k < view.count; k++) {
      this.load(view.states, view.slots[k]);
      const over = this.isTerminal();
      for (let p = 0; p < P; p++)
        out[k * P + p] = over || (this.def.agentDone !== undefined && this.def.agentDone(this.scratch, p)) ? 1 : 0;
    }
  }

  observe(view: SimViewBatch, out: Float32Array): void {
    const { numAgents: P, observationSize: O } = this;
    for (let k = 0; k < view.count; k++) {
      this.load(view.states, view.slots[k]);
      for (let p = 0; p < P; p++) {
        this.obs.fill(0);
        this.def.observe(this.scratch, p, this.obs);
        out.set(this.obs, (k * P + p) * O);
      }
    }
  }

  time(view: SimViewBatch, out: Float32Array): void {
    for (let k = 0; k < view.count; k++) out[k] = view.states[view.slots[k] * this.stateWords];
  }

  terminal(view: SimViewBatch, out: Uint8Array): void {
    for (let k = 0; k < view.count; k++) {
      this.load(view.states, view.slots[k]);
      out[k] = this.isTerminal() ? 1 : 0;
    }
  }

  /** FNV-1a over the state's bytes: equal states hash equally (planners confirm hits on the full state). */
  hash(view: SimViewBatch, out: Uint32Array): void {
    const W = this.stateWords;
    for (let k = 0; k < view.count; k++) {
      let h = 0x811c9dc5;
      const b = view.slots[k] * W;
      for (let i = 0; i < W; i++) {
        let x = view.states[b + i];
        for (let j = 0; j < 4; j++) {
          h = Math.imul(h ^ (x & 0xff), 0x01000193);
          x >>>= 8;
        }
      }
      out[k] = h >>> 0;
    }
  }

  goalsAvailable(view: SimViewBatch, out: Uint8Array): void {
    const G = this.numGoals;
    if (G === 0) return;
    const available = this.def.goals?.available;
    for (let k = 0; k < view.count; k++) {
      this.goals.fill(1);
      if (available) {
        this.load(view.states, view.slots[k]);
        available(this.scratch, this.goals);
      }
      for (let g = 0; g < G; g++) out[k * G + g] = this.goals[g] ? 1 : 0;
    }
  }

  private isTerminal(): boolean {
    const def = this.def;
    if (this.words[0] >= def.maxSteps) return true;
    if (def.terminal !== undefined && def.terminal(this.scratch)) return true;
    if (def.agentDone === undefined) return false;
    for (let p = 0; p < this.numAgents; p++) if (!def.agentDone(this.scratch, p)) return false;
    return true;
  }

  private legalMask(p: number): void {
    this.mask.fill(0);
    this.def.legalActions(this.scratch, p, this.mask);
    let any = 0;
    for (let a = 0; a < this.numActions; a++) any |= this.mask[a];
    if (!any)
      throw new HopError(
        'E_GAME',
        `legalActions left agent ${p} without a valid action at time ${this.words[0]}; every agent still in play ` +
          'needs one (an agent that cannot act any more should be reported by agentDone)',
      );
  }

  private checkLegal(p: number, a: number): void {
    this.legalMask(p);
    if (!(Number.isInteger(a) && a >= 0 && a < this.numActions && this.mask[a]))
      throw new HopError(
        'E_INVALID_ACTION',
        `agent ${p} chose action ${a} at time ${this.words[0]}, but its valid actions are ` +
          `[${[...this.mask].flatMap((v, i) => (v ? [i] : [])).join(', ')}] (strict game definition)`,
      );
  }

  private load(arena: Int32Array, slot: number): void {
    const W = this.stateWords;
    for (let i = 0, b = slot * W; i < W; i++) this.words[i] = arena[b + i];
  }

  private store(arena: Int32Array, slot: number): void {
    const W = this.stateWords;
    for (let i = 0, b = slot * W; i < W; i++) arena[b + i] = this.words[i];
  }

  private checkSlot(arena: Int32Array, slot: number, where: string): void {
    if (!Number.isInteger(slot) || slot < 0 || (slot + 1) * this.stateWords > arena.length)
      throw new HopError(
        'E_RANGE',
        `${where}: slot ${slot} is outside an arena of ${Math.floor(arena.length / this.stateWords)} slots ` +
          `(${this.stateWords} words per state); allocate a larger one with allocate(n)`,
      );
  }
}

/**
 * Builds the `BatchedSimulator` of a game written as plain rules over one state (see `GameDefinition`):
 * the simulator keeps the time step, hands done agents the no-op, reports every agent done once the episode
 * is over and hashes states for the planner's cache.
 */
export function createGameSimulator<L extends StateLayout>(def: GameDefinition<L>): GameSimulator<L> {
  return new GameSimulator(def);
}

import { HopError } from '@hop/core';
import type { TrainConfigInput } from '../config';
import type { MOAModel } from '../model/moa-model';
import { MOATrainer } from '../train/supervised';

/** Name of the model "from agent i's view, predict agent j". */
export function pairKey(i: number, j: number): string {
  return `player_${i}_to_${j}`;
}

/**
 * The `n(n-1)` per-pair models `i -> j` of `n` agents, all starting from one generic model.
 *
 * Copy-on-write: a pair reads the generic model itself (no weights copied, no tensors allocated) until
 * its first update — `trainer(i, j)` or `detach(i, j)` — which gives the pair its own network initialised
 * from the generic weights (and its own Adam state). Later changes to the generic model are seen only
 * by pairs still shared.
 */
export class PairRegistry {
  readonly numAgents: number;
  private readonly own = new Map<string, MOAModel>();
  private readonly trainers = new Map<string, MOATrainer>();

  constructor(
    readonly generic: MOAModel,
    numAgents: number,
    readonly trainConfig: TrainConfigInput = {},
  ) {
    if (!(Number.isInteger(numAgents) && numAgents >= 2))
      throw new HopError('E_CONFIG', `a pair registry needs at least 2 agents, got ${numAgents}`);
    this.numAgents = numAgents;
  }

  /** All ordered pairs `[i, j]`, `i != j`, in row-major order. */
  pairs(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.numAgents; i++) for (let j = 0; j < this.numAgents; j++) if (i !== j) out.push([i, j]);
    return out;
  }

  keys(): string[] {
    return this.pairs().map(([i, j]) => pairKey(i, j));
  }

  /** The model to predict j from i's view: the generic one while the pair is shared. */
  model(i: number, j: number): MOAModel {
    return this.own.get(this.check(i, j)) ?? this.generic;
  }

  isShared(i: number, j: number): boolean {
    return !this.own.has(this.check(i, j));
  }

  /** Pairs with their own weights, by key. */
  ownedKeys(): string[] {
    return [...this.own.keys()];
  }

  /** Gives the pair its own copy of the generic weights (if it has none yet) and returns it. */
  detach(i: number, j: number): MOAModel {
    const key = this.check(i, j);
    let m = this.own.get(key);
    if (!m) {
      m = this.generic.clone();
      this.own.set(key, m);
    }
    return m;
  }

  /** The pair's trainer (own optimizer); detaches the pair first, since a trainer updates weights. */
  trainer(i: number, j: number): MOATrainer {
    const key = this.check(i, j);
    let t = this.trainers.get(key);
    if (!t) {
      t = new MOATrainer(this.detach(i, j), this.trainConfig);
      this.trainers.set(key, t);
    }
    return t;
  }

  /** The pair's trainer if one was created, without creating one. */
  existingTrainer(i: number, j: number): MOATrainer | null {
    return this.trainers.get(this.check(i, j)) ?? null;
  }

  /** Installs a model as the pair's own (used when loading); the registry takes ownership. */
  adopt(i: number, j: number, model: MOAModel): void {
    const key = this.check(i, j);
    this.trainers.get(key)?.dispose();
    this.trainers.delete(key);
    this.own.get(key)?.dispose();
    this.own.set(key, model);
  }

  /** Disposes the pairs' own models and optimizers (not the generic model, which the caller owns). */
  dispose(): void {
    for (const t of this.trainers.values()) t.dispose();
    for (const m of this.own.values()) m.dispose();
    this.trainers.clear();
    this.own.clear();
  }

  private check(i: number, j: number): string {
    const n = this.numAgents;
    if (!(Number.isInteger(i) && Number.isInteger(j) && i >= 0 && j >= 0 && i < n && j < n) || i === j)
      throw new HopError('E_PAIR', `no pair ${i} -> ${j}: agents are 0..${n - 1} and a pair needs i != j`);
    return pairKey(i, j);
  }
}

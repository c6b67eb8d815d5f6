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
  private anchorSource: PairRegistry | null = null;

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

  /**
   * The pair's trainer (own optimizer); detaches the pair first, since a trainer updates weights. With
   * `anchorTo`, it pulls the pair toward the anchor registry's model of the same pair (`anchorWeight`).
   */
  trainer(i: number, j: number): MOATrainer {
    const key = this.check(i, j);
    let t = this.trainers.get(key);
    if (!t) {
      const anchor = this.anchorSource?.model(i, j);
      t = new MOATrainer(this.detach(i, j), this.trainConfig, anchor ? { anchor } : {});
      this.trainers.set(key, t);
    }
    return t;
  }

  /**
   * Online training keeps every pair near `source`'s model of the same pair (e.g. the pretrained registry):
   * trainers created from now on add `trainConfig.anchorWeight * sum((w - w0)^2)` to their loss. The
   * registry takes ownership of `source` and its generic model (disposed with this one); set it before any
   * trainer exists.
   */
  anchorTo(source: PairRegistry): void {
    if (source === this) throw new HopError('E_CONFIG', 'a pair registry cannot anchor to itself');
    if (source === this.anchorSource) return;
    if (source.generic === this.generic || this.ownedKeys().some((k) => source.own.get(k) === this.own.get(k)))
      throw new HopError('E_CONFIG', 'the anchor registry shares models with this one: anchor to copies (model.clone()), which the registry then owns');
    if (source.numAgents !== this.numAgents)
      throw new HopError('E_CONFIG', `the anchor registry has ${source.numAgents} agents, this one ${this.numAgents}`);
    if (this.trainers.size > 0)
      throw new HopError('E_STATE', 'anchorTo: trainers already exist and would keep training without the anchor; set the anchor first');
    this.disposeAnchor();
    this.anchorSource = source;
  }

  /** The registry the pairs are anchored to (`anchorTo`), or null. */
  get anchors(): PairRegistry | null {
    return this.anchorSource;
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

  /**
   * Disposes the pairs' own models and optimizers, and the anchor registry with its generic model (not this
   * registry's generic model, which the caller owns).
   */
  dispose(): void {
    for (const t of this.trainers.values()) t.dispose();
    for (const m of this.own.values()) m.dispose();
    this.trainers.clear();
    this.own.clear();
    this.disposeAnchor();
  }

  private disposeAnchor(): void {
    const a = this.anchorSource;
    if (!a) return;
    this.anchorSource = null;
    a.dispose();
    a.generic.dispose();
  }

  private check(i: number, j: number): string {
    const n = this.numAgents;
    if (!(Number.isInteger(i) && Number.isInteger(j) && i >= 0 && j >= 0 && i < n && j < n) || i === j)
      throw new HopError('E_PAIR', `no pair ${i} -> ${j}: agents are 0..${n - 1} and a pair needs i != j`);
    return pairKey(i, j);
  }
}

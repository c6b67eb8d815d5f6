import { HopError } from '@hop/core';

/** Growable struct-of-arrays store of MOA samples (observation, mask, time, action, goal label). */
export class SampleStore {
  size = 0;
  obs: Float32Array;
  mask: Uint8Array;
  time: Float32Array;
  action: Int32Array;
  label: Int32Array;

  constructor(
    readonly observationSize: number,
    readonly numActions: number,
    initialCapacity = 64,
  ) {
    const c = Math.max(1, initialCapacity);
    this.obs = new Float32Array(c * observationSize);
    this.mask = new Uint8Array(c * numActions);
    this.time = new Float32Array(c);
    this.action = new Int32Array(c);
    this.label = new Int32Array(c);
  }

  get capacity(): number {
    return this.time.length;
  }

  /** Appends one sample (copying the observation and mask). */
  push(obs: ArrayLike<number>, mask: ArrayLike<number>, time: number, action: number, label: number): void {
    if (obs.length !== this.observationSize)
      throw new HopError('E_SHAPE', `step obs has ${obs.length} values, expected ${this.observationSize}`);
    if (mask.length !== this.numActions)
      throw new HopError('E_SHAPE', `step mask has ${mask.length} values, expected ${this.numActions}`);
    if (this.size === this.capacity) this.grow(this.capacity * 2);
    const i = this.size++;
    this.obs.set(obs, i * this.observationSize);
    for (let a = 0; a < this.numActions; a++) this.mask[i * this.numActions + a] = mask[a] > 0 ? 1 : 0;
    this.time[i] = time;
    this.action[i] = action;
    this.label[i] = label;
  }

  /** Appends row `i` of another store with a new label. */
  pushFrom(src: SampleStore, i: number, label: number): void {
    const o = this.observationSize;
    const a = this.numActions;
    this.push(src.obs.subarray(i * o, (i + 1) * o), src.mask.subarray(i * a, (i + 1) * a), src.time[i], src.action[i], label);
  }

  clear(): void {
    this.size = 0;
  }

  private grow(capacity: number): void {
    const grow = <T extends Float32Array | Uint8Array | Int32Array>(old: T, per: number, make: (n: number) => T): T => {
      const next = make(capacity * per);
      next.set(old);
      return next;
    };
    this.obs = grow(this.obs, this.observationSize, (n) => new Float32Array(n));
    this.mask = grow(this.mask, this.numActions, (n) => new Uint8Array(n));
    this.time = grow(this.time, 1, (n) => new Float32Array(n));
    this.action = grow(this.action, 1, (n) => new Int32Array(n));
    this.label = grow(this.label, 1, (n) => new Int32Array(n));
  }
}

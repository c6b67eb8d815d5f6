import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

/**
 * The one seeded PRNG of HOP.ts (xoroshiro128+ from pure-rand). Same seed, same numbers on every
 * machine: only integer arithmetic feeds the stream, floats are derived from 53 random bits.
 */
export class Rng {
  private gen: JumpableRandomGenerator;
  private spareNormal: number | null = null;
  readonly seed: number;

  /** `seed`: any safe integer (seeds beyond 32 bits fold their high bits in, so 2^40 differs from 0). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Rng seed must be a safe integer, got ${seed}`);
    this.seed = seed;
    // Raw small seeds give xoroshiro a nearly empty state (first draws near 1); scramble them first.
    const wide = seed >= 2 ** 32 || seed < -(2 ** 31);
    this.gen = xoroshiro128plus(wide ? mix32((seed | 0) ^ mix32(Math.floor(seed / 2 ** 32))) : mix32(seed));
    for (let i = 0; i < 4; i++) this.gen.next();
  }

  /** A generator whose stream does not overlap this one's (2^64 jumps apart per index). */
  fork(stream: number): Rng {
    const child = Object.create(Rng.prototype) as Rng;
    const g = this.gen.clone();
    for (let i = 0; i <= stream; i++) g.jump();
    Object.assign(child, { gen: g, spareNormal: null, seed: this.seed });
    return child;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return uniformFloat64(this.gen);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n >= 1)) throw new RangeError(`Rng.int needs n >= 1, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    return this.gen.next() >>> 0;
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Gamma(shape, 1) by Marsaglia-Tsang; used for Dirichlet noise. */
  gamma(shape: number): number {
    if (!(shape > 0) || !Number.isFinite(shape)) throw new RangeError(`Rng.gamma needs a finite shape > 0, got ${shape}`);
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.next() || Number.MIN_VALUE, 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.next();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /**
   * Index drawn from unnormalised non-negative weights `w[offset .. offset+n)`.
   * Returns -1 when all weights are zero.
   */
  categorical(w: ArrayLike<number>, offset = 0, n = w.length - offset): number {
    let total = 0;
    for (let i = 0; i < n; i++) total += w[offset + i];
    if (!(total > 0)) return -1;
    let u = this.next() * total;
    let last = -1;
    for (let i = 0; i < n; i++) {
      const wi = w[offset + i];
      if (wi > 0) {
        last = i;
        if (u < wi) return i;
        u -= wi;
      }
    }
    return last; // rounding left u just above the last bucket
  }

  /** Fisher-Yates in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /**
   * Serialisable state, to resume a run with the same stream: the 4 generator words, plus the cached
   * second normal deviate when there is one (without it a resumed `normal()` would skip a value).
   */
  getState(): number[] {
    const words = [...this.gen.getState()];
    return this.spareNormal === null ? words : [...words, this.spareNormal];
  }

  /** Continues the stream saved by `getState()`. */
  static fromState(state: readonly number[], seed = 0): Rng {
    if (state.length !== GEN_WORDS && state.length !== GEN_WORDS + 1)
      throw new RangeError(`Rng.fromState needs the ${GEN_WORDS} or ${GEN_WORDS + 1} numbers of getState(), got ${state.length}`);
    const r = new Rng(seed);
    r.gen = xoroshiro128plusFromState(state.slice(0, GEN_WORDS));
    r.spareNormal = state.length > GEN_WORDS ? state[GEN_WORDS] : null;
    return r;
  }
}

/** Words of xoroshiro128+ state in `getState()`. */
const GEN_WORDS = 4;

/** murmur3 finaliser: spreads the bits of a 32-bit integer. */
function mix32(x: number): number {
  let h = (x | 0) ^ 0x9e3779b9;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** Derives a 32-bit seed from a base seed and labels, so components get independent, stable streams. */
export function deriveSeed(base: number, ...labels: (string | number)[]): number {
  if (!Number.isSafeInteger(base)) throw new RangeError(`deriveSeed base must be a safe integer, got ${base}`);
  // FNV-1a over the textual labels; stable across platforms.
  let h = 0x811c9dc5 ^ (base | 0);
  // Bases outside the 32-bit range fold their high word in (as the Rng constructor does), so 2^32 does not
  // alias 0; bases inside it keep the values they always had.
  if (base >= 2 ** 32 || base < -(2 ** 31)) h = Math.imul(h ^ Math.floor(base / 2 ** 32), 0x01000193);
  for (const label of labels) {
    const s = String(label);
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0xff;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

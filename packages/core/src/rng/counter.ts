/**
 * Counter-based randomness: numbers that are a pure function of a key and a position, so a draw needs no
 * generator state carried from anywhere and allocates nothing. For decisions that must come out the same
 * however the work is split (the i-th draw of the decision keyed (seed, env, episode, step, player) is what
 * it is, in any worker), at a cost of a few integer multiplications per number.
 */

/** What a rule agent draws from: `Rng` and `CounterRng` both are one. */
export interface RandomSource {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** One 32-bit block of MurmurHash3 (x86, 32-bit) into the running hash `h`. */
function block(h: number, w: number): number {
  let k = Math.imul(w | 0, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3's 32-bit avalanche (fmix32), unsigned: every input bit reaches every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3's finalisation after `bytes` bytes of input. */
function finish(h: number, bytes: number): number {
  return fmix32(h ^ bytes);
}

/**
 * MurmurHash3 (x86, 32-bit) of the 32-bit words `words` (each as 4 little-endian bytes; values are taken
 * modulo 2^32), seeded with `seed`: an unsigned 32-bit integer. The published test vectors hold
 * (`murmur3Words(1, [])` = 0x514e28b7).
 */
export function murmur3Words(seed: number, words: ArrayLike<number>): number {
  let h = seed | 0;
  for (let i = 0; i < words.length; i++) h = block(h, words[i]);
  return finish(h, 4 * words.length);
}

/** `murmur3Words(seed, [a, b, c, d])` without an array. */
export function hash4(seed: number, a: number, b: number, c: number, d: number): number {
  return finish(block(block(block(block(seed | 0, a), b), c), d), 16);
}

/** 2^-53: turns 53 random bits into [0, 1). */
const TWO_POW_MINUS_53 = 1 / 9007199254740992;

/**
 * The `i`-th uniform number in [0, 1) of the stream `key` (a 32-bit integer, e.g. a `hash4`): 53 bits, 27 from
 * `murmur3Words(key, [i, 0])` and 26 from `murmur3Words(key, [i, 1])`. Stateless.
 */
export function uniformAt(key: number, i: number): number {
  const hi = finish(block(block(key | 0, i), 0), 8) >>> 5;
  const lo = finish(block(block(key | 0, i), 1), 8) >>> 6;
  return (hi * 67108864 + lo) * TWO_POW_MINUS_53;
}

/**
 * A reusable cursor over the counter-based stream of a key: `reset(seed, a, b, c, d)` puts it at the start of
 * the stream of `hash4(seed, a, b, c, d)`; its n-th `next()` is `uniformAt(key, n)`. One object serves any
 * number of decisions (no allocation per decision), and a decision's numbers depend on its key only.
 */
export class CounterRng implements RandomSource {
  private key = 0;
  private n = 0;

  /** Restarts at draw 0 of the stream keyed (seed, a, b, c, d) (32-bit integers). */
  reset(seed: number, a: number, b: number, c: number, d: number): this {
    this.key = hash4(seed, a, b, c, d);
    this.n = 0;
    return this;
  }

  /** Uniform in [0, 1): the next number of the stream. */
  next(): number {
    return uniformAt(this.key, this.n++);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n >= 1)) throw new RangeError(`CounterRng.int needs n >= 1, got ${n}`);
    return Math.floor(this.next() * n);
  }
}

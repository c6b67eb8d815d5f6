import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CounterRng, hash4, murmur3Words, uniformAt } from '../src/rng/counter';

/** MurmurHash3 x86_32 over little-endian 32-bit words, written here with BigInt arithmetic (independent of the code). */
function reference(seed: number, words: number[]): number {
  const M = 0xffffffffn;
  const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (32n - r))) & M;
  let h = BigInt(seed >>> 0);
  for (const w of words) {
    let k = (BigInt(w >>> 0) * 0xcc9e2d51n) & M;
    k = rotl(k, 15n);
    k = (k * 0x1b873593n) & M;
    h ^= k;
    h = rotl(h, 13n);
    h = (h * 5n + 0xe6546b64n) & M;
  }
  h ^= BigInt(4 * words.length);
  h ^= h >> 16n;
  h = (h * 0x85ebca6bn) & M;
  h ^= h >> 13n;
  h = (h * 0xc2b2ae35n) & M;
  h ^= h >> 16n;
  return Number(h);
}

describe('murmur3Words / hash4 (stateless)', () => {
  it('gives the published MurmurHash3 x86_32 test vectors', () => {
    // (input bytes, seed) -> hash, from the reference implementation's well-known vectors
    expect(murmur3Words(0, [])).toBe(0);
    expect(murmur3Words(1, [])).toBe(0x514e28b7);
    expect(murmur3Words(0xffffffff, [])).toBe(0x81f16f39);
    expect(murmur3Words(0, [0xffffffff])).toBe(0x76293b50);
    expect(murmur3Words(0, [0x87654321])).toBe(0xf55b516b); // bytes 21 43 65 87
    expect(murmur3Words(0x5082edee, [0x87654321])).toBe(0x2362f9de);
    expect(murmur3Words(0, [0])).toBe(0x2362f9de);
  });

  it('hash4 is murmur3Words of its four words; equals a BigInt reference on any input (property)', () => {
    expect(hash4(7, 1, 2, 3, 4)).toBe(275160114); // computed independently (Python)
    let checked = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), { minLength: 4, maxLength: 4 }), (seed, w) => {
        checked++;
        const [a, b, c, d] = w;
        return hash4(seed, a, b, c, d) === reference(seed, w) && murmur3Words(seed, w) === reference(seed, w);
      }),
    );
    expect(checked).toBe(100);
  });
});

describe('uniformAt / CounterRng', () => {
  it('pinned values: draws 0..2 of the stream hash4(7, 1, 2, 3, 4) (computed independently)', () => {
    const key = hash4(7, 1, 2, 3, 4);
    expect([uniformAt(key, 0), uniformAt(key, 1), uniformAt(key, 2)]).toEqual([0.2042155939705782, 0.4241738256780283, 0.03855654948192999]);
    const r = new CounterRng().reset(7, 1, 2, 3, 4);
    expect([r.next(), r.next(), r.next()]).toEqual([0.2042155939705782, 0.4241738256780283, 0.03855654948192999]);
    // 53 bits: the hi word's top 27 bits and the lo word's top 26
    const hi = reference(key, [0, 0]) >>> 5;
    const lo = reference(key, [0, 1]) >>> 6;
    expect(uniformAt(key, 0)).toBe((hi * 2 ** 26 + lo) / 2 ** 53);
  });

  it('a reset cursor replays its stream exactly, whatever it drew before; another key differs (control)', () => {
    const r = new CounterRng();
    const a = Array.from({ length: 6 }, (_, i) => (i === 0 ? r.reset(3, 9, 0, 4, 1) : r).next());
    r.reset(3, 1, 1, 1, 1).int(5);
    r.reset(3, 9, 0, 4, 1);
    expect(Array.from({ length: 6 }, () => r.next())).toEqual(a);
    // one word of the key changed (the seed, an env, an episode, a step, a player): another stream
    const keys: [number, number, number, number, number][] = [
      [4, 9, 0, 4, 1],
      [3, 8, 0, 4, 1],
      [3, 9, 1, 4, 1],
      [3, 9, 0, 5, 1],
      [3, 9, 0, 4, 2],
    ];
    for (const k of keys) expect(Array.from({ length: 6 }, (_, i) => (i === 0 ? r.reset(...k) : r).next()), k.join(',')).not.toEqual(a);
  });

  it('is uniform: mean 1/2, variance 1/12, and int(7) hits each value 1/7 of the time (5 SE)', () => {
    // n = 70000 draws over 7000 keys x 10 positions. Mean SE = sqrt(1/12 / n) = 0.0011; the second moment about
    // 1/2 has SE sqrt((1/80 - 1/144) / n) = 0.00028; a face of int(7) has SE sqrt(1/7 * 6/7 / n) = 0.0013.
    const r = new CounterRng();
    const n = 70000;
    let s = 0;
    let s2 = 0;
    const faces = new Array<number>(7).fill(0);
    for (let k = 0; k < n / 10; k++) {
      r.reset(11, k, 0, 0, 0);
      for (let i = 0; i < 10; i++) {
        const u = r.next();
        s += u;
        s2 += (u - 0.5) ** 2;
      }
      r.reset(12, k, 0, 0, 0);
      for (let i = 0; i < 10; i++) faces[r.int(7)]++;
    }
    expect(Math.abs(s / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(s2 / n - 1 / 12)).toBeLessThan(5 * Math.sqrt((1 / 80 - 1 / 144) / n));
    for (const f of faces) expect(Math.abs(f / n - 1 / 7)).toBeLessThan(5 * Math.sqrt((1 / 7) * (6 / 7) / n));
  });

  it('neighbouring keys are uncorrelated: draw 0 of (env, step) vs (env, step + 1) (5 SE)', () => {
    // Pearson r over n = 20000 pairs has SE ~ 1 / sqrt(n) = 0.0071 when independent.
    const r = new CounterRng();
    const n = 20000;
    const x: number[] = [];
    const y: number[] = [];
    for (let k = 0; k < n; k++) {
      x.push(r.reset(5, k % 100, 0, Math.floor(k / 100), 1).next());
      y.push(r.reset(5, k % 100, 0, Math.floor(k / 100) + 1, 1).next());
    }
    const mx = x.reduce((a, v) => a + v, 0) / n;
    const my = y.reduce((a, v) => a + v, 0) / n;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let k = 0; k < n; k++) {
      sxy += (x[k] - mx) * (y[k] - my);
      sxx += (x[k] - mx) ** 2;
      syy += (y[k] - my) ** 2;
    }
    expect(Math.abs(sxy / Math.sqrt(sxx * syy))).toBeLessThan(5 / Math.sqrt(n));
  });

  it('int refuses n < 1 and stays in range (property)', () => {
    expect(() => new CounterRng().int(0)).toThrow(RangeError);
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 1000 }), (seed, a, n) => {
        const v = new CounterRng().reset(seed, a, 0, 0, 0).int(n);
        return Number.isInteger(v) && v >= 0 && v < n;
      }),
    );
  });
});

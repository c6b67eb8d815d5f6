import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { HopError, clipByGlobalNorm, globalNorm, initBackend } from '../src/index';

beforeAll(async () => {
  await initBackend({ force: 'cpu' });
  expect(tf.getBackend()).toBe('cpu');
});

/** The clipping the trainer, MOA and world-model learners wrote inline before this function existed. */
function oldInline(named: [string, tf.Tensor][], maxNorm: number): { grads: tf.NamedTensorMap; norm: tf.Scalar } {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(named.map(([, g]) => tf.sum(tf.square(g))))) as tf.Scalar;
    const scale = tf.minimum(1, tf.div(maxNorm, tf.maximum(norm, 1e-12)));
    return { grads: Object.fromEntries(named.map(([k, g]) => [k, g.mul(scale)])), norm };
  });
}

describe('clipByGlobalNorm', () => {
  it('a list: scales by clip / norm above the clip, keeps it below (norm 13 worked by hand)', () => {
    const g = [tf.tensor1d([3, 4]), tf.tensor2d([[0, 12]])]; // sqrt(9 + 16 + 144) = 13
    expect(globalNorm(g).dataSync()[0]).toBe(13);
    const c = clipByGlobalNorm(g, 6.5);
    expect(c.norm.dataSync()[0]).toBe(13);
    expect(Array.from(c.grads[0].dataSync())).toEqual([1.5, 2]);
    expect(Array.from(c.grads[1].dataSync())).toEqual([0, 6]);
    expect(c.grads[1].shape).toEqual([1, 2]);
    const keep = clipByGlobalNorm(g, 20);
    expect(Array.from(keep.grads[1].dataSync())).toEqual([0, 12]);
    expect(() => clipByGlobalNorm(g, 0)).toThrow(HopError);
    expect(() => clipByGlobalNorm(g, Number.NaN)).toThrow(/clipNorm must be a number > 0, got NaN/);
    expect(() => globalNorm([])).toThrow(/at least one gradient/);
    tf.dispose([...g, ...c.grads, c.norm, ...keep.grads, keep.norm]);
  });

  it('the gradients of a loss by name: f(a, b) = 3 a0 + 4 b0 - 12 b1 has gradient (3 | 4, -12), norm 13', () => {
    // mutation caught: scaling by norm / clip (or dropping a name) gives other values
    const a = tf.variable(tf.tensor1d([0.5]), true, 'a');
    const b = tf.variable(tf.tensor1d([-1, 2]), true, 'b');
    const { grads, value } = tf.variableGrads(() => tf.sub(tf.add(tf.mul(3, a.sum()), tf.mul(4, b.gather([0]).sum())), tf.mul(12, b.gather([1]).sum())) as tf.Scalar, [a, b]);
    expect(value.dataSync()[0]).toBe(3 * 0.5 + 4 * -1 - 12 * 2);
    const c = clipByGlobalNorm(grads, 2.6); // 2.6 / 13 = 0.2
    expect(Object.keys(c.grads).sort()).toEqual(['a', 'b']);
    expect(c.norm.dataSync()[0]).toBe(13);
    const scale = Math.fround(Math.fround(2.6) / 13); // float32 arithmetic, as the backend does it
    expect(Array.from(c.grads.a.dataSync())).toEqual([Math.fround(3 * scale)]);
    expect(Array.from(c.grads.b.dataSync())).toEqual([4, -12].map((v) => Math.fround(v * scale)));
    // the clipped gradient has the clip's length
    expect(globalNorm(c.grads).dataSync()[0]).toBeCloseTo(2.6, 5);
    tf.dispose([a, b, value, c.norm, ...Object.values(grads), ...Object.values(c.grads)]);
  });

  it('equals the old inline formula bit for bit on random gradient sets (below, above and at zero norm)', () => {
    const seen = { below: 0, above: 0, zero: 0 };
    const grad = fc.oneof(
      { weight: 1, arbitrary: fc.constant(0) },
      { weight: 6, arbitrary: fc.float({ min: -50, max: 50, noNaN: true, noDefaultInfinity: true }) },
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(grad, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }),
        fc.oneof(fc.constantFrom(0.5, 1, 5), fc.double({ min: 1e-3, max: 200, noNaN: true })),
        (sets, clip) => {
          const named = sets.map((v, i) => [`w${i}`, tf.tensor1d(v)] as [string, tf.Tensor]);
          const map = Object.fromEntries(named);
          const want = oldInline(named, clip);
          const got = clipByGlobalNorm(map, clip);
          const n = want.norm.dataSync()[0];
          if (n === 0) seen.zero++;
          else if (n > clip) seen.above++;
          else seen.below++;
          expect(got.norm.dataSync()[0]).toBe(n);
          for (const [k] of named) expect(Array.from(got.grads[k].dataSync())).toEqual(Array.from(want.grads[k].dataSync()));
          tf.dispose([...named.map(([, g]) => g), want.norm, got.norm, ...Object.values(want.grads), ...Object.values(got.grads)]);
        },
      ),
      { numRuns: 300, seed: 25 },
    );
    console.info(`clipByGlobalNorm vs inline: ${JSON.stringify(seen)}`);
    expect(seen.above).toBeGreaterThan(50);
    expect(seen.below).toBeGreaterThan(10);
    expect(seen.zero).toBeGreaterThan(0);
  });
});

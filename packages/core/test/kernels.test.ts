import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/init';
import { registerWasmKernels, unregisterWasmKernels, WASM_KERNEL_NAMES } from '../src/kernels/register';
import { simplifyPermutation } from '../src/kernels/transpose';
import { Rng } from '../src/rng/rng';
import { expectClose, memoryCounts, onBoth, randn } from './kernels-helpers';

let previous = '';
beforeAll(async () => {
  previous = tf.getBackend();
  const info = await initBackend({ force: 'wasm' });
  expect(info.name).toBe('wasm');
});
afterAll(async () => {
  if (previous) await tf.setBackend(previous);
});

const RUNS = 12;

describe('registration', () => {
  it('is idempotent, returns the kernel names and can be undone', () => {
    const first = registerWasmKernels();
    const mine = first.map((n) => tf.getKernel(n, 'wasm')?.kernelFunc);
    expect(first).toEqual([...WASM_KERNEL_NAMES]);
    expect(first).toContain('Conv2DBackpropFilter');
    expect(registerWasmKernels()).toEqual(first);
    expect(first.map((n) => tf.getKernel(n, 'wasm')?.kernelFunc)).toEqual(mine);

    unregisterWasmKernels();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    expect(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc).not.toBe(mine[first.indexOf('BatchMatMul')]);
    unregisterWasmKernels();
    registerWasmKernels();
    expect(first.map((n) => tf.getKernel(n, 'wasm')?.kernelFunc)).toEqual(mine);
  });
});

/** Runs the kernel call on wasm twice and checks it leaves no tensor or backend buffer behind. */
async function expectNoLeak(f: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  await tf.setBackend('wasm');
  tf.tidy(() => void f()); // a first call may allocate lasting state (e.g. kernel setup)
  const before = memoryCounts();
  tf.tidy(() => void f());
  expect(memoryCounts()).toEqual(before);
}

describe('BatchMatMul', () => {
  const dims = fc.integer({ min: 1, max: 37 });
  it('equals cpu for every transpose combination and rank-2 / rank-3 (broadcast) operands', async () => {
    await fc.assert(
      fc.asyncProperty(
        dims,
        dims,
        dims,
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom<[number, number]>([0, 0], [3, 3], [1, 3], [3, 1], [0, 2]),
        fc.integer({ min: 1, max: 1e6 }),
        async (m, k, n, ta, tb, [batchA, batchB], seed) => {
          const rng = new Rng(seed);
          const aShape = [...(batchA ? [batchA] : []), ...(ta ? [k, m] : [m, k])];
          const bShape = [...(batchB ? [batchB] : []), ...(tb ? [n, k] : [k, n])];
          const a = randn(rng, aShape.reduce((x, y) => x * y, 1));
          const b = randn(rng, bShape.reduce((x, y) => x * y, 1));
          const f = () => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), ta, tb);
          const { cpu, wasm } = await onBoth(f);
          expectClose(wasm, cpu, 1e-4, `matMul a[${aShape}] b[${bShape}] ta=${ta} tb=${tb}`);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('equals cpu on products large enough for the per-matrix GEMM path, without leaks', async () => {
    const rng = new Rng(5);
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const aShape = ta ? [3, 48, 40] : [3, 40, 48];
      const bShape = tb ? [3, 36, 48] : [3, 48, 36];
      const a = randn(rng, 3 * 40 * 48);
      const b = randn(rng, 3 * 48 * 36);
      const f = () => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), ta, tb);
      const { cpu, wasm } = await onBoth(f);
      expectClose(wasm, cpu, 1e-4, `batched ta=${ta} tb=${tb}`);
      await expectNoLeak(f);
    }
  });

  it('gives the XNNPACK path fresh weights: two products with new b values differ accordingly', async () => {
    await tf.setBackend('wasm');
    const a = tf.ones([4, 64, 64]);
    const b1 = tf.fill([4, 64, 64], 1);
    const b2 = tf.fill([4, 64, 64], 2);
    const r1 = tf.matMul(a, b1, true, false);
    const r2 = tf.matMul(a, b2, true, false);
    expect(r1.dataSync().every((v) => v === 64)).toBe(true);
    expect(r2.dataSync().every((v) => v === 128)).toBe(true);
    tf.dispose([a, b1, b2, r1, r2]);
  });
});

interface ConvCase {
  batch: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  fh: number;
  fw: number;
  stride: number;
  pad: 'same' | 'valid' | number;
}

const convCase: fc.Arbitrary<ConvCase> = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 3, max: 9 }),
    w: fc.integer({ min: 3, max: 9 }),
    ci: fc.integer({ min: 1, max: 6 }),
    co: fc.integer({ min: 1, max: 6 }),
    fh: fc.integer({ min: 1, max: 3 }),
    fw: fc.integer({ min: 1, max: 3 }),
    stride: fc.constantFrom(1, 2),
    pad: fc.constantFrom<'same' | 'valid' | number>('same', 'valid', 0, 1, 2),
  })
  .filter((c) => c.pad === 'same' || c.h + 2 * (typeof c.pad === 'number' ? c.pad : 0) >= c.fh)
  .filter((c) => c.pad === 'same' || c.w + 2 * (typeof c.pad === 'number' ? c.pad : 0) >= c.fw);

function convInputs(c: ConvCase, seed: number) {
  const rng = new Rng(seed);
  const xShape: [number, number, number, number] = [c.batch, c.h, c.w, c.ci];
  const wShape: [number, number, number, number] = [c.fh, c.fw, c.ci, c.co];
  const x = randn(rng, c.batch * c.h * c.w * c.ci);
  const w = randn(rng, c.fh * c.fw * c.ci * c.co);
  const outShape = tf.backend_util.computeConv2DInfo(xShape, wShape, c.stride, 1, c.pad).outShape;
  const dy = randn(rng, outShape.reduce((a, b) => a * b, 1));
  return { xShape, wShape, outShape, x, w, dy };
}

/** [dx, dW] of a convolution for a random dy, through the two kernels. */
function convBackprops(c: ConvCase, seed: number): () => tf.Tensor[] {
  const { xShape, wShape, outShape, x, w, dy } = convInputs(c, seed);
  return () => [
    tf.conv2dTranspose(tf.tensor4d(dy, outShape), tf.tensor4d(w, wShape), xShape, c.stride, c.pad),
    tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(x, xShape), dy: tf.tensor4d(dy, outShape) }, {
      strides: c.stride,
      pad: c.pad,
      dataFormat: 'NHWC',
      filterShape: wShape,
    }) as tf.Tensor,
  ];
}

describe('Conv2DBackpropFilter and Conv2DBackpropInput', () => {
  it('equal cpu on random shapes, strides 1 and 2, same / valid / explicit padding', async () => {
    await fc.assert(
      fc.asyncProperty(convCase, fc.integer({ min: 1, max: 1e6 }), async (c, seed) => {
        const { cpu, wasm } = await onBoth(convBackprops(c, seed));
        expectClose(wasm, cpu, 1e-4, JSON.stringify(c));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('filter gradient over several image chunks (partial last chunk), without leaks', async () => {
    // 16x16 (16x15) outputs with 8 input channels give 14 (15) images per chunk: 20 images make 2.
    for (const c of [
      { batch: 20, h: 16, w: 16, ci: 8, co: 5, fh: 3, fw: 3, stride: 1, pad: 'same' as const },
      { batch: 20, h: 33, w: 32, ci: 8, co: 5, fh: 3, fw: 3, stride: 2, pad: 'valid' as const },
    ]) {
      const f = convBackprops(c, 9);
      const { cpu, wasm } = await onBoth(f);
      expectClose(wasm, cpu, 1e-4, JSON.stringify(c));
      await expectNoLeak(f);
    }
  });

  it('rejects NCHW with a clear error', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 2, 4, 4]);
    const dy = tf.zeros([1, 2, 4, 4]);
    expect(() =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 2] }),
    ).toThrow(/NHWC/);
    tf.dispose([x, dy]);
  });
});

describe('Sum and Transpose', () => {
  it('Sum equals cpu for leading, trailing, mixed and all axes, with and without keepDims', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 1, max: 1e6 }),
        async (shape, keepDims, mask, seed) => {
          const axes = shape.map((_, i) => i).filter((i) => mask & (1 << i));
          const v = randn(new Rng(seed), shape.reduce((a, b) => a * b, 1));
          const f = () => tf.sum(tf.tensor(v, shape), axes.length ? axes : undefined, keepDims);
          const { cpu, wasm } = await onBoth(f);
          expectClose(wasm, cpu, 1e-4, `sum ${shape} axes ${axes}`);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('Transpose equals cpu for random shapes and permutations (float32 and int32)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 1e6 }),
        fc.boolean(),
        async (shape, seed, asInt) => {
          const rng = new Rng(seed);
          const perm = Array.from(rng.permutation(shape.length));
          const v = randn(rng, shape.reduce((a, b) => a * b, 1));
          const f = () => {
            const t = tf.tensor(v, shape);
            return asInt ? tf.transpose(t.mul(100).toInt(), perm).toFloat() : tf.transpose(t, perm);
          };
          const { cpu, wasm } = await onBoth(f);
          expectClose(wasm, cpu, 0, `transpose ${shape} perm ${perm}`);
        },
      ),
      { numRuns: RUNS * 3 },
    );
  });

  it('simplifies permutations to their essential axes', () => {
    expect(simplifyPermutation([2, 3, 4, 5], [0, 2, 3, 1])).toEqual({ shape: [2, 3, 20], perm: [0, 2, 1] });
    expect(simplifyPermutation([6, 1, 5], [2, 1, 0])).toEqual({ shape: [6, 5], perm: [1, 0] });
    expect(simplifyPermutation([2, 3, 4], [0, 1, 2])).toEqual({ shape: [24], perm: [0] });
  });

  it('Sum and Transpose leave no tensors or buffers behind', async () => {
    const v = randn(new Rng(3), 4 * 5 * 6 * 7);
    await expectNoLeak(() => tf.sum(tf.tensor(v, [4, 5, 6, 7]), [0, 1, 2]));
    await expectNoLeak(() => tf.transpose(tf.tensor(v, [20, 42])));
  });
});

import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/init';
import { CPU_KERNEL_NAMES, registerCpuKernels, unregisterCpuKernels } from '../src/kernels/register-cpu';
import { Rng } from '../src/rng/rng';
import { expectClose, memoryCounts, on, randn } from './kernels-helpers';

let previous = '';
beforeAll(async () => {
  previous = tf.getBackend();
  // Registers HOP's cpu kernels too (whichever backend is picked); wasm is the backend `on` returns to.
  await initBackend({ force: 'wasm' });
});
afterAll(async () => {
  if (previous) await tf.setBackend(previous);
});

/** got vs want to `tol` (absolute below 1, relative above), naming the worst element. */
const expectSame = (got: Float32Array[], want: Float32Array[], tol: number, what: string) =>
  expectClose(got, want, tol, what, ['got', 'expected']);

interface Case {
  shape: [number, number, number, number];
  size: [number, number];
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

const label = (c: Case) =>
  `[${c.shape.join(',')}] -> ${c.size.join('x')}${c.alignCorners ? ' alignCorners' : ''}${c.halfPixelCenters ? ' halfPixelCenters' : ''}`;

/** d/dx sum(resizeNearestNeighbor(x) * w) on the active backend: the kernel's output for dy = w. */
function resizeGrad(c: Case, x: Float32Array, w: Float32Array): tf.Tensor {
  const [b, , , d] = c.shape;
  const wt = tf.tensor(w, [b, c.size[0], c.size[1], d]);
  const f = (t: tf.Tensor) =>
    tf.sum(tf.mul(tf.image.resizeNearestNeighbor(t as tf.Tensor4D, c.size, c.alignCorners, c.halfPixelCenters), wt));
  return tf.grad(f)(tf.tensor(x, c.shape));
}

/**
 * The exact adjoint of the cpu backend's *forward* kernel, which defines what the gradient must be: the
 * forward pass of an image holding each element's own index says which input element every output element
 * copies; dx is dy scattered back along that map. (The resize is linear, so this is the gradient, exactly.)
 */
async function tracedAdjoint(c: Case, dy: Float32Array): Promise<Float32Array> {
  const n = c.shape.reduce((a, v) => a * v, 1);
  const ids = Float32Array.from({ length: n }, (_, i) => i); // exact in float32 below 2^24
  const [src] = await on('cpu', () =>
    tf.image.resizeNearestNeighbor(tf.tensor(ids, c.shape) as tf.Tensor4D, c.size, c.alignCorners, c.halfPixelCenters),
  );
  const dx = new Float64Array(n); // exact sums, rounded once
  src.forEach((s, o) => (dx[s] += dy[o]));
  return Float32Array.from(dx);
}

function inputs(c: Case, seed: number): { x: Float32Array; w: Float32Array } {
  const rng = new Rng(seed);
  const [b, , , d] = c.shape;
  return { x: randn(rng, c.shape.reduce((a, v) => a * v, 1)), w: randn(rng, b * c.size[0] * c.size[1] * d) };
}

// What tf.layers.upSampling2d does (integer factors, no flags), plus the flags and non-integer ratios.
const FIXED: Case[] = [
  { shape: [2, 3, 3, 1], size: [6, 6], alignCorners: false, halfPixelCenters: false },
  { shape: [3, 4, 4, 5], size: [8, 8], alignCorners: false, halfPixelCenters: false },
  { shape: [2, 2, 3, 4], size: [6, 12], alignCorners: false, halfPixelCenters: false },
  { shape: [2, 3, 4, 2], size: [5, 7], alignCorners: false, halfPixelCenters: false },
  { shape: [2, 3, 4, 2], size: [5, 7], alignCorners: true, halfPixelCenters: false },
  { shape: [4, 5, 6, 3], size: [3, 2], alignCorners: true, halfPixelCenters: false },
  { shape: [2, 4, 4, 3], size: [8, 8], alignCorners: false, halfPixelCenters: true },
  { shape: [2, 3, 2, 2], size: [9, 6], alignCorners: false, halfPixelCenters: true },
  { shape: [1, 3, 3, 2], size: [6, 6], alignCorners: false, halfPixelCenters: false },
];

/**
 * Cases where tfjs-backend-wasm 4.22's own kernel is right (see docs/kernels.md): it ignores halfPixelCenters
 * (harmless for integer up-sampling factors, where both mappings agree) and returns 0 along an axis of size
 * 1 resized with alignCorners.
 */
const wasmIsRight = (c: Case) =>
  (!c.halfPixelCenters || (c.size[0] % c.shape[1] === 0 && c.size[1] % c.shape[2] === 0)) &&
  !(c.alignCorners && ((c.shape[1] === 1 && c.size[0] > 1) || (c.shape[2] === 1 && c.size[1] > 1)));

describe('ResizeNearestNeighborGrad on cpu (HOP kernel)', () => {
  it.each(FIXED.filter(wasmIsRight).map((c) => [label(c), c] as const))('equals wasm: %s', async (_, c) => {
    const { x, w } = inputs(c, 1);
    const cpu = await on('cpu', () => resizeGrad(c, x, w));
    const wasm = await on('wasm', () => resizeGrad(c, x, w));
    expectSame(cpu, wasm, 1e-5, `cpu vs wasm ${label(c)}`);
  });

  it.each(FIXED.map((c) => [label(c), c] as const))('is the exact adjoint of the cpu forward kernel: %s', async (_, c) => {
    const { x, w } = inputs(c, 2);
    const cpu = await on('cpu', () => resizeGrad(c, x, w));
    expectSame(cpu, [await tracedAdjoint(c, w)], 1e-6, `cpu vs adjoint ${label(c)}`);
  });

  it('is the exact adjoint on random shapes, sizes and flags; equals wasm where wasm is right', async () => {
    const caseArb = fc
      .record({
        shape: fc.tuple(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 6 }),
          fc.integer({ min: 1, max: 6 }),
          fc.integer({ min: 1, max: 3 }),
        ),
        size: fc.tuple(fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 11 })),
        flags: fc.constantFrom([false, false], [true, false], [false, true]),
        seed: fc.nat(1000),
      })
      .map(({ shape, size, flags, seed }) => ({
        c: { shape, size, alignCorners: flags[0], halfPixelCenters: flags[1] } as Case,
        seed,
      }));
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ c, seed }) => {
        const { x, w } = inputs(c, seed);
        const cpu = await on('cpu', () => resizeGrad(c, x, w));
        expectSame(cpu, [await tracedAdjoint(c, w)], 1e-6, `cpu vs adjoint ${label(c)}`);
        if (wasmIsRight(c)) expectSame(cpu, await on('wasm', () => resizeGrad(c, x, w)), 1e-5, `cpu vs wasm ${label(c)}`);
      }),
      { numRuns: 200 },
    );
  });

  it('tf.layers.upSampling2d: input gradient at batch 2 equals wasm', async () => {
    const rng = new Rng(3);
    const x = randn(rng, 2 * 3 * 4 * 5);
    const w = randn(rng, 2 * 6 * 12 * 5);
    const g = () => {
      const layer = tf.layers.upSampling2d({ size: [2, 3] });
      const wt = tf.tensor(w, [2, 6, 12, 5]);
      return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(layer.apply(t) as tf.Tensor, wt)))(tf.tensor(x, [2, 3, 4, 5]));
    };
    expectSame(await on('cpu', g), await on('wasm', g), 1e-5, 'upSampling2d cpu vs wasm');
  });
});

describe('registration', () => {
  it('the backend\'s own kernel is what these tests catch: wrong at batch 2, right at batch 1', async () => {
    const c2: Case = { shape: [2, 3, 3, 2], size: [6, 6], alignCorners: false, halfPixelCenters: false };
    const c1: Case = { ...c2, shape: [1, 3, 3, 2] };
    unregisterCpuKernels();
    try {
      for (const [c, wrong] of [[c2, true], [c1, false]] as const) {
        const { x, w } = inputs(c, 4);
        const [own] = await on('cpu', () => resizeGrad(c, x, w));
        const ref = await tracedAdjoint(c, w);
        const worst = own.reduce((m, v, i) => Math.max(m, Number.isNaN(v) ? Infinity : Math.abs(v - ref[i])), 0);
        if (wrong) expect(worst).toBeGreaterThan(0.1);
        else expect(worst).toBeLessThan(1e-6);
      }
    } finally {
      registerCpuKernels();
    }
  });

  it('initBackend lists the cpu kernels; registering is idempotent and reversible; patchCpu: false opts out', async () => {
    const ours = tf.getKernel('ResizeNearestNeighborGrad', 'cpu')!.kernelFunc;
    expect(registerCpuKernels()).toEqual([...CPU_KERNEL_NAMES]);
    expect(tf.getKernel('ResizeNearestNeighborGrad', 'cpu')!.kernelFunc).toBe(ours);
    unregisterCpuKernels();
    const own = tf.getKernel('ResizeNearestNeighborGrad', 'cpu')!.kernelFunc;
    expect(own).not.toBe(ours);
    unregisterCpuKernels();
    expect(tf.getKernel('ResizeNearestNeighborGrad', 'cpu')!.kernelFunc).toBe(own);
    const plain = await initBackend({ force: 'cpu', patchCpu: false });
    expect(plain.patchedKernels).toEqual([]);
    expect(tf.getKernel('ResizeNearestNeighborGrad', 'cpu')!.kernelFunc).toBe(own);
    const info = await initBackend({ force: 'cpu' });
    expect(info.patchedKernels).toEqual(['ResizeNearestNeighborGrad']);
    expect(tf.getKernel('ResizeNearestNeighborGrad', 'cpu')!.kernelFunc).toBe(ours);
    // picking wasm also fixes cpu (for later reference runs on cpu), but lists only the wasm kernels
    unregisterCpuKernels();
    const wasm = await initBackend({ force: 'wasm' });
    expect(wasm.patchedKernels).not.toContain('ResizeNearestNeighborGrad');
    expect(tf.getKernel('ResizeNearestNeighborGrad', 'cpu')!.kernelFunc).toBe(ours);
    expect(() => registerCpuKernels({ kernels: ['Nope'] })).toThrow(/no HOP cpu kernel named Nope/);
  });

  it('leaks no tensor or backend buffer', async () => {
    const c: Case = { shape: [3, 4, 5, 2], size: [8, 10], alignCorners: false, halfPixelCenters: false };
    const { x, w } = inputs(c, 5);
    await tf.setBackend('cpu');
    try {
      tf.tidy(() => void resizeGrad(c, x, w));
      const before = memoryCounts();
      for (let i = 0; i < 20; i++) tf.tidy(() => void resizeGrad(c, x, w));
      tf.tidy(() => {
        const layer = tf.layers.upSampling2d({ size: [2, 2] });
        tf.grad((t: tf.Tensor) => tf.sum(layer.apply(t) as tf.Tensor))(tf.ones([2, 3, 3, 1]));
      });
      expect(memoryCounts()).toEqual(before);
    } finally {
      await tf.setBackend('wasm');
    }
  });
});

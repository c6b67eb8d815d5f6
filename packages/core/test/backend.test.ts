import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { backendInfo, describeBackend, initBackend } from '../src/backend/init';
import { HopError } from '../src/errors';

const require_ = createRequire(import.meta.url);
function installed(pkg: string): boolean {
  try {
    require_.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}
const hasNative = installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu');

const saved = process.env.HOP_BACKEND;
afterEach(() => {
  if (saved === undefined) delete process.env.HOP_BACKEND;
  else process.env.HOP_BACKEND = saved;
});
afterAll(async () => {
  await initBackend();
});

/** The backend really computes: [[1,2],[3,4]] x [[5],[6]] = [[17],[39]]. */
function matmulWorks(): boolean {
  const out = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6], [2, 1])).dataSync());
  return out[0] === 17 && out[1] === 39;
}

describe('initBackend', () => {
  it(`picks ${hasNative ? 'tfjs-node' : 'wasm'} when nothing is forced, and says why`, async () => {
    delete process.env.HOP_BACKEND;
    const info = await initBackend();
    expect(backendInfo()).toEqual(info);
    if (hasNative) {
      expect(info.name).toBe('tensorflow');
    } else {
      expect(info.name).toBe('wasm');
      expect(info.package).toBe('@tensorflow/tfjs-backend-wasm');
      expect(info.reason).toMatch(/tfjs-node\(-gpu\) not installed; wasm available/);
      expect(info.patchedKernels.length).toBeGreaterThan(0);
      for (const k of info.patchedKernels) expect(tf.getKernel(k, 'wasm')).toBeDefined();
    }
    expect(tf.getBackend()).toBe(info.name);
    expect(matmulWorks()).toBe(true);
  });

  it('HOP_BACKEND=cpu forces the plain JS backend (with HOP\'s corrected cpu kernels)', async () => {
    process.env.HOP_BACKEND = 'cpu';
    const info = await initBackend();
    expect(info).toEqual({
      name: 'cpu',
      package: '@tensorflow/tfjs',
      reason: 'forced by HOP_BACKEND',
      gpu: false,
      patchedKernels: ['ResizeNearestNeighborGrad'],
    });
    expect(tf.getBackend()).toBe('cpu');
    expect(matmulWorks()).toBe(true);
  });

  it('HOP_BACKEND=wasm forces wasm; the force option beats the environment', async () => {
    process.env.HOP_BACKEND = 'wasm';
    expect((await initBackend()).name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect((await initBackend({ force: 'cpu' })).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('prefer moves a backend to the front but is not a force', async () => {
    delete process.env.HOP_BACKEND;
    expect((await initBackend({ prefer: 'cpu' })).name).toBe('cpu');
    expect((await initBackend({ prefer: 'wasm' })).name).toBe('wasm');
  });

  it(
    hasNative
      ? 'HOP_BACKEND=tensorflow loads the installed tfjs-node'
      : 'HOP_BACKEND=tensorflow without tfjs-node is a HopError naming the package to install',
    async () => {
      process.env.HOP_BACKEND = 'tensorflow';
      if (hasNative) {
        expect((await initBackend()).name).toBe('tensorflow');
        return;
      }
      const e = await initBackend().catch((err: unknown) => err);
      expect(e).toBeInstanceOf(HopError);
      expect((e as HopError).code).toBe('E_BACKEND');
      expect((e as HopError).message).toMatch(/npm install @tensorflow\/tfjs-node/);
    },
  );

  it('a value that is not a backend is a HopError listing the valid ones', async () => {
    process.env.HOP_BACKEND = 'webgpu';
    await expect(initBackend()).rejects.toThrow(/HOP_BACKEND=webgpu is not a backend; use one of tensorflow, wasm, cpu/);
    process.env.HOP_BACKEND = '';
    expect((await initBackend({ prefer: 'cpu' })).name).toBe('cpu'); // empty means unset
  });
});

describe('describeBackend', () => {
  it('is one line with the backend, package, reason and patched kernels', () => {
    expect(
      describeBackend({ name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', reason: 'wasm available', gpu: false, patchedKernels: ['A', 'B'] }),
    ).toBe('backend wasm from @tensorflow/tfjs-backend-wasm — wasm available, HOP kernels: A, B');
    expect(
      describeBackend({ name: 'tensorflow', package: '@tensorflow/tfjs-node-gpu', reason: 'native', gpu: true, patchedKernels: [] }),
    ).toBe('backend tensorflow (CUDA) from @tensorflow/tfjs-node-gpu — native');
  });
});

import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilter, conv2DBackpropInput } from './conv';
import { batchMatMul } from './matmul';
import { sum } from './reduce';
import { transpose } from './transpose';
import { HopError } from '../errors';
import { captureOriginal, originalKernel } from './wasm-access';

type KernelFunc = tf.KernelConfig['kernelFunc'];

/** HOP's wasm kernels: what each replaces and why is in docs/kernels.md. */
const HOP_KERNELS: ReadonlyArray<{ name: string; func: KernelFunc }> = [
  { name: 'Conv2DBackpropFilter', func: conv2DBackpropFilter as unknown as KernelFunc },
  { name: 'Conv2DBackpropInput', func: conv2DBackpropInput as unknown as KernelFunc },
  { name: 'BatchMatMul', func: batchMatMul as unknown as KernelFunc },
  { name: 'Sum', func: sum as unknown as KernelFunc },
  { name: 'Transpose', func: transpose as unknown as KernelFunc },
];

/** The backend kernels HOP's kernels call into; captured before anything is replaced. */
const BUILDING_BLOCKS = ['BatchMatMul', 'Conv2D', 'Sum', 'Transpose'];

/** Names of HOP's wasm kernels (whether or not they are registered right now). */
export const WASM_KERNEL_NAMES: readonly string[] = HOP_KERNELS.map((k) => k.name);

function isHop(name: string): boolean {
  const cfg = tf.getKernel(name, 'wasm');
  return cfg !== undefined && HOP_KERNELS.some((k) => k.name === name && k.func === cfg.kernelFunc);
}

function selected(kernels: readonly string[] | undefined): typeof HOP_KERNELS {
  if (!kernels) return HOP_KERNELS;
  const unknown = kernels.filter((n) => !WASM_KERNEL_NAMES.includes(n));
  if (unknown.length)
    throw new HopError('E_CONFIG', `no HOP wasm kernel named ${unknown.join(', ')}; known: ${WASM_KERNEL_NAMES.join(', ')}`);
  return HOP_KERNELS.filter((k) => kernels.includes(k.name));
}

export interface WasmKernelOptions {
  /** Only these of WASM_KERNEL_NAMES (default: all). */
  kernels?: readonly string[];
}

/**
 * Registers HOP's kernels on the wasm backend (missing or slow training kernels) and returns the
 * names registered. Idempotent. Needs @tensorflow/tfjs-backend-wasm imported (initBackend does).
 */
export function registerWasmKernels(options: WasmKernelOptions = {}): string[] {
  const chosen = selected(options.kernels);
  for (const name of BUILDING_BLOCKS) captureOriginal(name);
  for (const { name, func } of chosen) {
    if (isHop(name)) continue;
    const existing = tf.getKernel(name, 'wasm');
    if (existing) {
      captureOriginal(name);
      tf.unregisterKernel(name, 'wasm');
    }
    // Keep the replaced kernel's setupFunc: the backend re-runs setup functions on every
    // tf.setBackend('wasm'), and the original kernels HOP delegates to rely on it.
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: func, setupFunc: existing?.setupFunc });
  }
  return chosen.map((k) => k.name);
}

/** Puts the backend's own kernels back (for measuring the unpatched backend). Idempotent. */
export function unregisterWasmKernels(options: WasmKernelOptions = {}): void {
  for (const { name } of selected(options.kernels)) {
    if (!isHop(name)) continue;
    tf.unregisterKernel(name, 'wasm');
    const orig = originalKernel(name);
    if (orig) tf.registerKernel(orig);
  }
}

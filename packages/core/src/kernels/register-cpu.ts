import * as tf from '@tensorflow/tfjs';
import { HopError } from '../errors';
import { resizeNearestNeighborGrad } from './resize-nearest-grad';

type KernelFunc = tf.KernelConfig['kernelFunc'];

/** HOP's fixes for the cpu backend: what each replaces and why is in docs/kernels.md. */
const HOP_CPU_KERNELS: ReadonlyArray<{ name: string; func: KernelFunc }> = [
  { name: 'ResizeNearestNeighborGrad', func: resizeNearestNeighborGrad as unknown as KernelFunc },
];

/** Names of HOP's cpu kernels (whether or not they are registered right now). */
export const CPU_KERNEL_NAMES: readonly string[] = HOP_CPU_KERNELS.map((k) => k.name);

/** The cpu backend's own kernels, kept when HOP replaces them so they can be put back. */
const originals = new Map<string, tf.KernelConfig>();

function isHop(name: string): boolean {
  const cfg = tf.getKernel(name, 'cpu');
  return cfg !== undefined && HOP_CPU_KERNELS.some((k) => k.name === name && k.func === cfg.kernelFunc);
}

function selected(kernels: readonly string[] | undefined): typeof HOP_CPU_KERNELS {
  if (!kernels) return HOP_CPU_KERNELS;
  const unknown = kernels.filter((n) => !CPU_KERNEL_NAMES.includes(n));
  if (unknown.length)
    throw new HopError('E_CONFIG', `no HOP cpu kernel named ${unknown.join(', ')}; known: ${CPU_KERNEL_NAMES.join(', ')}`);
  return HOP_CPU_KERNELS.filter((k) => kernels.includes(k.name));
}

export interface CpuKernelOptions {
  /** Only these of CPU_KERNEL_NAMES (default: all). */
  kernels?: readonly string[];
}

/**
 * Registers HOP's corrected kernels on the cpu backend (tfjs-backend-cpu 4.22 computes these gradients
 * wrongly) and returns the names registered. Idempotent; `initBackend()` calls it when it picks cpu.
 */
export function registerCpuKernels(options: CpuKernelOptions = {}): string[] {
  const chosen = selected(options.kernels);
  for (const { name, func } of chosen) {
    if (isHop(name)) continue;
    const existing = tf.getKernel(name, 'cpu');
    if (existing) {
      if (!originals.has(name)) originals.set(name, existing);
      tf.unregisterKernel(name, 'cpu');
    }
    tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: func, setupFunc: existing?.setupFunc });
  }
  return chosen.map((k) => k.name);
}

/** Puts the cpu backend's own kernels back (to show or measure what they do). Idempotent. */
export function unregisterCpuKernels(options: CpuKernelOptions = {}): void {
  for (const { name } of selected(options.kernels)) {
    if (!isHop(name)) continue;
    tf.unregisterKernel(name, 'cpu');
    const orig = originals.get(name);
    if (orig) tf.registerKernel(orig);
  }
}

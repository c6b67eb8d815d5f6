import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { HopError } from '../errors';

/**
 * The few things HOP's kernels need from the wasm backend: allocate an output on the wasm heap, view
 * a tensor's heap memory as a Float32Array, free intermediates, and run the backend's own (fast)
 * kernels. Kernel functions receive `TensorInfo`s (not tensors) and must free every intermediate
 * they allocate with `backend.disposeData`, or the heap leaks.
 */
export type WasmBackend = Pick<BackendWasm, 'makeOutput' | 'disposeData' | 'typedArrayFromHeap'>;
export type TensorInfo = tf.TensorInfo;
type Attrs = tf.NamedAttrMap;

/** The backend's original kernel configs, captured before HOP replaces any of them. */
const originals = new Map<string, tf.KernelConfig>();

export function captureOriginal(kernelName: string): tf.KernelConfig {
  const have = originals.get(kernelName);
  if (have) return have;
  const cfg = tf.getKernel(kernelName, 'wasm');
  if (!cfg)
    throw new HopError(
      'E_BACKEND',
      `the wasm backend has no '${kernelName}' kernel to build on; import @tensorflow/tfjs-backend-wasm ` +
        '(initBackend does) before registering HOP kernels',
    );
  originals.set(kernelName, cfg);
  return cfg;
}

export function originalKernel(kernelName: string): tf.KernelConfig | undefined {
  return originals.get(kernelName);
}

/** Runs the backend's own kernel (the one HOP may have replaced) on tensor infos. */
export function runOriginal(
  kernelName: string,
  backend: WasmBackend,
  inputs: Record<string, TensorInfo>,
  attrs: Attrs,
): TensorInfo {
  const cfg = originals.get(kernelName) ?? tf.getKernel(kernelName, 'wasm');
  if (!cfg) throw new HopError('E_BACKEND', `wasm kernel '${kernelName}' is not registered`);
  const out = cfg.kernelFunc({ inputs, backend: backend as unknown as tf.KernelBackend, attrs });
  return Array.isArray(out) ? out[0] : out;
}

/** A view of a tensor with another shape; no copy, no new reference (the callee must not keep it). */
export function view(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

/** Heap view of a float32 tensor. Take it after the last allocation: growing the heap detaches views. */
export function f32(backend: WasmBackend, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** Collects intermediates of one kernel call so they are all freed, also when something throws. */
export class Scratch {
  private readonly held: TensorInfo[] = [];
  constructor(readonly backend: WasmBackend) {}
  /** Allocates a float32 intermediate on the wasm heap. */
  alloc(shape: number[]): TensorInfo {
    return this.keep(this.backend.makeOutput(shape, 'float32'));
  }
  keep(t: TensorInfo): TensorInfo {
    this.held.push(t);
    return t;
  }
  /** Hands `t` to the caller (it will not be freed here). */
  release(t: TensorInfo): TensorInfo {
    const i = this.held.indexOf(t);
    if (i >= 0) this.held.splice(i, 1);
    return t;
  }
  /** Frees `t` now (it must have come from this scratch). */
  free(t: TensorInfo): void {
    this.release(t);
    this.backend.disposeData(t.dataId);
  }
  dispose(): void {
    for (const t of this.held) this.backend.disposeData(t.dataId);
    this.held.length = 0;
  }
}

export function withScratch<T>(backend: WasmBackend, f: (s: Scratch) => T): T {
  const s = new Scratch(backend);
  try {
    return f(s);
  } finally {
    s.dispose();
  }
}

export function assertFloat32(kernel: string, ...ts: TensorInfo[]): void {
  for (const t of ts)
    if (t.dtype !== 'float32')
      throw new HopError('E_DTYPE', `${kernel} on wasm (HOP kernel) needs float32 tensors, got ${t.dtype}`);
}

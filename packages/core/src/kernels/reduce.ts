import * as tf from '@tensorflow/tfjs';
import { f32, runOriginal, type TensorInfo, type WasmBackend } from './wasm-access';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/**
 * Sum over the leading axes of a float32 tensor (bias gradients: [batch, h, w, c] -> [c]) as a
 * column sum in JS. The backend first transposes the reduced axes innermost, which costs more than
 * the sum itself. Every other reduction goes to the backend's own kernel. Accumulates in float64,
 * like the cpu backend.
 */
export function sum(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x } = args.inputs as { x: TensorInfo };
  const axis = args.attrs?.axis as number | number[];
  const keepDims = Boolean(args.attrs?.keepDims);
  const axes = [...tf.util.parseAxisParam(axis, x.shape)].sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
  if (x.dtype !== 'float32' || !leading) return runOriginal('Sum', backend, args.inputs as Record<string, TensorInfo>, args.attrs ?? {});
  const rows = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
  const inner = x.shape.slice(axes.length);
  const cols = tf.util.sizeFromShape(inner);
  const outShape = keepDims ? [...axes.map(() => 1), ...inner] : inner;
  const out = backend.makeOutput(outShape, 'float32');
  const src = f32(backend, x);
  const acc = new Float64Array(cols);
  for (let r = 0, o = 0; r < rows; r++, o += cols) for (let c = 0; c < cols; c++) acc[c] += src[o + c];
  f32(backend, out).set(acc);
  return out;
}

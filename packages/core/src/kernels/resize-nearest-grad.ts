import type * as tf from '@tensorflow/tfjs';
import { HopError } from '../errors';

/**
 * What the kernel needs from the cpu backend: read an input's values (the cpu backend returns its own
 * array, no copy) and wrap a new array as the output.
 */
export type CpuBackend = Pick<tf.KernelBackend, 'readSync'> & {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
};

/**
 * For each output row (or column) `i` of a nearest-neighbour resize from `inSize` to `outSize`, the input
 * row it copies, as the forward kernel defines it (TensorFlow's legacy nearest resize):
 * scale = in / out, or (in - 1) / (out - 1) with alignCorners (when out > 1);
 * source = scale * i, or scale * (i + 0.5) with halfPixelCenters; then round (alignCorners) or floor,
 * clamped to [0, in - 1]. Same double-precision arithmetic as tfjs-backend-cpu's forward kernel, so the
 * gradient is the exact adjoint of the forward pass it belongs to.
 */
export function nearestSources(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): Int32Array {
  const corners = alignCorners && outSize > 1;
  const scale = (corners ? inSize - 1 : inSize) / (corners ? outSize - 1 : outSize);
  const src = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const at = halfPixelCenters ? scale * (i + 0.5) : scale * i;
    const s = alignCorners ? Math.round(at) : Math.floor(at);
    src[i] = Math.max(0, Math.min(inSize - 1, s));
  }
  return src;
}

interface Args {
  inputs: { images: tf.TensorInfo; dy: tf.TensorInfo };
  backend: CpuBackend;
  attrs: { alignCorners?: boolean; halfPixelCenters?: boolean };
}

/**
 * Gradient of `resizeNearestNeighbor` for the cpu backend. The forward pass copies input pixel
 * `(b, src(r), src(c), d)` to output pixel `(b, r, c, d)`, so it is a 0/1 selection matrix S and the
 * gradient is Sᵀ·dy: every element of dy is added to the input pixel it was copied from. One pass over dy
 * in memory order (O(|dy|), no search window), both tensors addressed with their own strides.
 *
 * Replaces tfjs-backend-cpu 4.22's kernel, which offsets dy by the *input's* batch stride (wrong for batch
 * > 1, reading past dy for the last images) and ignores `halfPixelCenters`.
 */
export function resizeNearestNeighborGrad({ inputs, backend, attrs }: Args): tf.TensorInfo {
  const { images, dy } = inputs;
  if (images.shape.length !== 4 || dy.shape.length !== 4)
    throw new HopError(
      'E_SHAPE',
      `ResizeNearestNeighborGrad needs rank-4 NHWC images and dy, got [${images.shape.join(', ')}] and [${dy.shape.join(', ')}]`,
    );
  const [batch, inH, inW, depth] = images.shape;
  const [dyBatch, outH, outW, dyDepth] = dy.shape;
  if (dyBatch !== batch || dyDepth !== depth)
    throw new HopError(
      'E_SHAPE',
      `ResizeNearestNeighborGrad: dy [${dy.shape.join(', ')}] does not match images [${images.shape.join(', ')}] in batch and channels`,
    );
  const alignCorners = attrs.alignCorners === true;
  const halfPixelCenters = attrs.halfPixelCenters === true;
  const rows = nearestSources(inH, outH, alignCorners, halfPixelCenters);
  const cols = nearestSources(inW, outW, alignCorners, halfPixelCenters);
  const g = backend.readSync(dy.dataId) as ArrayLike<number>;
  // float64 accumulators: an input pixel can receive many dy elements when down-sampling is undone.
  const acc = new Float64Array(batch * inH * inW * depth);
  let o = 0; // dy is read in memory order: (b, r, c, d)
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < outH; r++) {
      const rowBase = (b * inH + rows[r]) * inW;
      for (let c = 0; c < outW; c++) {
        const at = (rowBase + cols[c]) * depth;
        for (let d = 0; d < depth; d++) acc[at + d] += g[o++];
      }
    }
  }
  return backend.makeTensorInfo(images.shape, 'float32', Float32Array.from(acc));
}

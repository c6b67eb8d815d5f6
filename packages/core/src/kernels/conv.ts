import * as tf from '@tensorflow/tfjs';
import { HopError } from '../errors';
import {
  col2im,
  flipFilter,
  im2colTransposed,
  im2colTransposedSame,
  transpose2d,
  type ConvGeometry,
} from './layout';
import { plainMatMul, transposedCopy } from './matmul';
import { assertFloat32, f32, runOriginal, view, withScratch, type TensorInfo, type WasmBackend } from './wasm-access';

type ConvPad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

interface ConvAttrs {
  strides: [number, number] | number;
  pad: ConvPad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function geometry(
  kernel: string,
  inShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
): ConvGeometry {
  if (attrs.dataFormat === 'NCHW')
    throw new HopError('E_UNSUPPORTED', `${kernel} on wasm supports dataFormat NHWC (channelsLast) only; got NCHW`);
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    fh: info.filterHeight,
    fw: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** Patch-matrix chunk size (floats): about 1 MB, so a chunk stays in L2 between im2col and GEMM. */
const CHUNK_FLOATS = 1 << 18;
/** Reused JS scratch for the channel-major copy of one chunk of x (never handed to the backend). */
let chunkXT = new Float32Array(0);

/**
 * dW = patches^T . dy, accumulated over chunks of whole images. Each chunk's transposed patch
 * matrix is built in JS from a channel-major copy of its images (so every row is a sequential
 * copy) and multiplied on XNNPACK's GEMM while still in cache. The backend has no
 * Conv2DBackpropFilter at all in tfjs-backend-wasm 4.22.
 */
export function conv2DBackpropFilter(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
  assertFloat32('Conv2DBackpropFilter', x, dy);
  const g = geometry('Conv2DBackpropFilter', x.shape, attrs.filterShape, attrs);
  const k = g.fh * g.fw * g.inC;
  const imgIn = g.inH * g.inW * g.inC;
  const imgOut = g.outH * g.outW;
  const perChunk = Math.max(1, Math.min(g.batch, Math.floor(CHUNK_FLOATS / (k * imgOut))));
  const sameSize = g.strideH === 1 && g.strideW === 1 && g.outH === g.inH && g.outW === g.inW;
  if (chunkXT.length < perChunk * imgIn) chunkXT = new Float32Array(perChunk * imgIn);
  return withScratch(backend, (s) => {
    const dw = s.alloc([...attrs.filterShape]);
    f32(backend, dw).fill(0); // heap memory is not zeroed (and an empty batch has a zero gradient)
    const patchesT = s.alloc([k, perChunk * imgOut]);
    for (let b0 = 0; b0 < g.batch; b0 += perChunk) {
      const nb = Math.min(perChunk, g.batch - b0);
      const mc = nb * imgOut;
      const dyChunk = s.alloc([mc, g.outC]);
      f32(backend, dyChunk).set(f32(backend, dy).subarray(b0 * imgOut * g.outC, (b0 + nb) * imgOut * g.outC));
      transpose2d(f32(backend, x), chunkXT, nb * g.inH * g.inW, g.inC, b0 * imgIn);
      (sameSize ? im2colTransposedSame : im2colTransposed)(chunkXT, f32(backend, patchesT), { ...g, batch: nb });
      // dyChunk is the GEMM's packed operand: XNNPACK caches packing by tensor id, so it is new
      // for every chunk, while the patch buffer (the streamed operand) is reused.
      const part = s.keep(plainMatMul(backend, view(patchesT, [k, mc]), dyChunk));
      const acc = f32(backend, dw);
      const add = f32(backend, part);
      for (let i = 0; i < acc.length; i++) acc[i] += add[i];
      s.free(part);
      s.free(dyChunk);
    }
    return s.release(dw);
  });
}

/**
 * dx for a convolution. Stride 1 (the common case) is itself a convolution: dy convolved with the
 * flipped, in/out-swapped filter on the backend's XNNPACK conv. Larger strides (and paddings
 * beyond the filter size) go through cols = dy . W^T on the GEMM and a JS col2im scatter-add.
 */
export function conv2DBackpropInput(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
  assertFloat32('Conv2DBackpropInput', dy, filter);
  const g = geometry('Conv2DBackpropInput', attrs.inputShape, filter.shape, attrs);
  const inShape = [g.batch, g.inH, g.inW, g.inC];
  const [fh, fw, ci, co] = filter.shape;
  // Padding of the equivalent stride-1 convolution. Bottom / right follow from the sizes rather
  // than from the bottom / right padding: with a numeric pad and a non-square filter tfjs sizes the
  // output with the filter height for both axes, and dx must match what the cpu backend does.
  const top = fh - 1 - g.padTop;
  const left = fw - 1 - g.padLeft;
  const pads = [top, g.inH - g.outH + fh - 1 - top, left, g.inW - g.outW + fw - 1 - left];
  if (g.strideH === 1 && g.strideW === 1 && pads.every((p) => p >= 0)) {
    return withScratch(backend, (s) => {
      const flipped = s.alloc([fh, fw, co, ci]);
      flipFilter(f32(backend, filter), f32(backend, flipped), fh, fw, ci, co);
      const explicit: tf.backend_util.ExplicitPadding = [
        [0, 0],
        [pads[0], pads[1]],
        [pads[2], pads[3]],
        [0, 0],
      ];
      const dx = runOriginal(
        'Conv2D',
        backend,
        { x: dy, filter: flipped },
        { strides: 1, pad: explicit, dilations: 1, dataFormat: 'NHWC' },
      );
      return { dataId: dx.dataId, shape: inShape, dtype: 'float32' };
    });
  }
  const m = g.batch * g.outH * g.outW;
  const k = fh * fw * ci;
  return withScratch(backend, (s) => {
    const wT = transposedCopy(s, view(filter, [k, co]), k, co); // [co, k]
    const cols = s.keep(plainMatMul(backend, view(dy, [m, co]), wT)); // [m, k]
    const dx = s.alloc(inShape);
    col2im(f32(backend, cols), f32(backend, dx), g);
    return s.release(dx);
  });
}

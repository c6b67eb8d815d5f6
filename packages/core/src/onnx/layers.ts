import type * as tf from '@tensorflow/tfjs';
import { HopError } from '../errors';
import type { OnnxGraph } from './graph';

/**
 * A value of the converted graph. `shape` is the tfjs (channels-last) shape with the batch as null;
 * `nchw` says a rank-4 value is held channels-first in ONNX (what its Conv and pooling kernels take).
 * Values switch layout lazily, only where a consumer needs the other one, so a conv trunk pays one
 * transpose at its input and one before its flatten, not two per layer.
 */
export interface OnnxValue {
  name: string;
  shape: readonly (number | null)[];
  nchw: boolean;
}

type ConfigValue = tf.serialization.ConfigDictValue;

function cfg(layer: tf.layers.Layer): Record<string, ConfigValue> {
  return layer.getConfig() as Record<string, ConfigValue>;
}
function num(c: Record<string, ConfigValue>, key: string, fallback?: number): number {
  const v = c[key];
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && typeof v[0] === 'number') return v[0];
  if (fallback !== undefined && (v === undefined || v === null)) return fallback;
  throw new HopError('E_ONNX_EXPORT', `layer config ${key} is ${JSON.stringify(v)}, expected a number`);
}
function pair(c: Record<string, ConfigValue>, key: string, fallback: number): [number, number] {
  const v = c[key];
  if (v === undefined || v === null) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number') return [v[0], v[1]];
  throw new HopError('E_ONNX_EXPORT', `layer config ${key} is ${JSON.stringify(v)}, expected one or two numbers`);
}

/** Channels-first copy of a rank-4 value (no-op when already). */
export function toNchw(g: OnnxGraph, v: OnnxValue): OnnxValue {
  if (v.shape.length !== 4 || v.nchw) return v;
  return { name: g.node('Transpose', [v.name], { perm: [0, 3, 1, 2] }), shape: v.shape, nchw: true };
}

/** Channels-last copy of a value (no-op unless it is held channels-first). */
export function toNhwc(g: OnnxGraph, v: OnnxValue): OnnxValue {
  if (!v.nchw) return v;
  return { name: g.node('Transpose', [v.name], { perm: [0, 2, 3, 1] }), shape: v.shape, nchw: false };
}

/** Applies a Keras activation by name; throws for one we do not export. */
export function activation(g: OnnxGraph, name: string, x: string): string {
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return g.node('Relu', [x]);
    case 'elu':
      // tfjs' elu has alpha 1
      return g.node('Elu', [x], { alpha: 1 }, { floatAttrs: ['alpha'] });
    case 'sigmoid':
      return g.node('Sigmoid', [x]);
    case 'tanh':
      return g.node('Tanh', [x]);
    case 'softmax':
      return g.node('Softmax', [x], { axis: -1 });
    default:
      throw new HopError('E_ONNX_EXPORT', `activation ${name} has no ONNX export yet`);
  }
}

/** Float32 contents of a layer's weights, in `getWeights()` order (the tensors are the layer's own: not disposed). */
function weightsOf(layer: tf.layers.Layer): { data: Float32Array; shape: number[] }[] {
  return layer.getWeights().map((w) => ({ data: w.dataSync() as Float32Array, shape: w.shape }));
}

/** `[kh, kw, cin, cout]` (tfjs) -> `[cout, cin, kh, kw]` (ONNX). */
function convKernel(k: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = k[((y * kw + x) * cin + i) * cout + o];
  return out;
}

/** TensorFlow's 'same' padding: the odd pixel goes at the end. */
function samePads(size: number, k: number, stride: number, dilation: number): [number, number] {
  const eff = (k - 1) * dilation + 1;
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + eff - size, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

type Converter = (g: OnnxGraph, layer: tf.layers.Layer, inputs: OnnxValue[], outShape: (number | null)[]) => OnnxValue;

const plain = (name: string, shape: (number | null)[]): OnnxValue => ({ name, shape, nchw: false });

const CONVERTERS: Record<string, Converter> = {
  Conv2D(g, layer, [input], outShape) {
    const c = cfg(layer);
    if (c.dataFormat !== undefined && c.dataFormat !== 'channelsLast')
      throw new HopError('E_ONNX_EXPORT', `Conv2D ${layer.name}: only channelsLast is exported`);
    const x = toNchw(g, input);
    const [kh, kw] = pair(c, 'kernelSize', 1);
    const [sh, sw] = pair(c, 'strides', 1);
    const [dh, dw] = pair(c, 'dilationRate', 1);
    const [H, W] = [input.shape[1], input.shape[2]];
    let pads = [0, 0, 0, 0];
    if (c.padding === 'same') {
      if (H === null || W === null) throw new HopError('E_ONNX_EXPORT', `Conv2D ${layer.name}: spatial size must be known`);
      const [t, b] = samePads(H, kh, sh, dh);
      const [l, r] = samePads(W, kw, sw, dw);
      pads = [t, l, b, r];
    } else if (c.padding !== 'valid') throw new HopError('E_ONNX_EXPORT', `Conv2D ${layer.name}: padding ${String(c.padding)}`);
    const [kernel, bias] = weightsOf(layer);
    const ins = [x.name, g.floatConst(`${layer.name}_W`, convKernel(kernel.data, kernel.shape), [kernel.shape[3], kernel.shape[2], kh, kw])];
    if (bias) ins.push(g.floatConst(`${layer.name}_B`, bias.data, bias.shape));
    const y = g.node('Conv', ins, { kernel_shape: [kh, kw], strides: [sh, sw], dilations: [dh, dw], pads, group: 1 }, { stem: layer.name });
    return { name: activation(g, String(c.activation ?? 'linear'), y), shape: outShape, nchw: true };
  },

  Dense(g, layer, [input], outShape) {
    const c = cfg(layer);
    const x = toNhwc(g, input);
    const [kernel, bias] = weightsOf(layer);
    const w = g.floatConst(`${layer.name}_W`, kernel.data, kernel.shape);
    let y: string;
    if (x.shape.length === 2) {
      // Gemm with a constant B: ORT pre-packs the weights once per session.
      const ins = [x.name, w];
      if (bias) ins.push(g.floatConst(`${layer.name}_B`, bias.data, bias.shape));
      y = g.node('Gemm', ins, {}, { stem: layer.name });
    } else {
      y = g.node('MatMul', [x.name, w], {}, { stem: layer.name });
      if (bias) y = g.node('Add', [y, g.floatConst(`${layer.name}_B`, bias.data, bias.shape)]);
    }
    return plain(activation(g, String(c.activation ?? 'linear'), y), outShape);
  },

  Flatten(g, _layer, [input], outShape) {
    // tfjs flattens channels-last: back to NHWC first so the feature order (and the next layer's weights) match.
    const x = toNhwc(g, input);
    return plain(g.node('Flatten', [x.name], { axis: 1 }), outShape);
  },

  Reshape(g, _layer, [input], outShape) {
    const x = toNhwc(g, input);
    const target = outShape.slice(1).map((d) => (d === null ? -1 : d));
    // 0 copies the batch dimension
    return plain(g.node('Reshape', [x.name, g.intConst('shape', [0, ...target])]), outShape);
  },

  RepeatVector(g, layer, [input], outShape) {
    const n = num(cfg(layer), 'n');
    const x = g.node('Unsqueeze', [input.name, g.intConst('axes', [1])]);
    return plain(g.node('Expand', [x, g.intConst('shape', [1, n, 1])]), outShape);
  },

  Concatenate(g, layer, inputs, outShape) {
    const rank = outShape.length;
    let axis = num(cfg(layer), 'axis', -1);
    if (axis < 0) axis += rank;
    if (rank === 4 && inputs.some((v) => v.nchw)) {
      const xs = inputs.map((v) => toNchw(g, v).name);
      const nchwAxis = [0, 2, 3, 1][axis];
      return { name: g.node('Concat', xs, { axis: nchwAxis }), shape: outShape, nchw: true };
    }
    return plain(g.node('Concat', inputs.map((v) => v.name), { axis }), outShape);
  },

  Add(g, _layer, inputs, outShape) {
    const nchw = outShape.length === 4 && inputs.some((v) => v.nchw);
    const xs = inputs.map((v) => (nchw ? toNchw(g, v) : toNhwc(g, v)).name);
    let y = xs[0];
    for (let i = 1; i < xs.length; i++) y = g.node('Add', [y, xs[i]]);
    return { name: y, shape: outShape, nchw };
  },

  ReLU(g, layer, [input], outShape) {
    const c = cfg(layer);
    if (c.maxValue !== undefined && c.maxValue !== null)
      throw new HopError('E_ONNX_EXPORT', `ReLU ${layer.name}: maxValue is not exported`);
    return { name: g.node('Relu', [input.name]), shape: outShape, nchw: input.nchw };
  },

  Activation(g, layer, [input], outShape) {
    const name = String(cfg(layer).activation);
    const x = name === 'softmax' ? toNhwc(g, input) : input;
    return { name: activation(g, name, x.name), shape: outShape, nchw: x.nchw };
  },

  GlobalAveragePooling2D(g, _layer, [input], outShape) {
    const pooled = g.node('GlobalAveragePool', [toNchw(g, input).name]);
    return plain(g.node('Flatten', [pooled], { axis: 1 }), outShape);
  },

  GlobalMaxPooling2D(g, _layer, [input], outShape) {
    const pooled = g.node('GlobalMaxPool', [toNchw(g, input).name]);
    return plain(g.node('Flatten', [pooled], { axis: 1 }), outShape);
  },

  Dot(g, layer, inputs, outShape) {
    const c = cfg(layer);
    const axes = pair(c, 'axes', -1);
    if (c.normalize === true) throw new HopError('E_ONNX_EXPORT', `Dot ${layer.name}: normalize is not exported`);
    const [a, b] = inputs.map((v) => toNhwc(g, v));
    if (a.shape.length !== 3 || b.shape.length !== 3)
      throw new HopError('E_ONNX_EXPORT', `Dot ${layer.name}: only rank-3 inputs are exported`);
    const ax = axes.map((x) => (x < 0 ? x + 3 : x));
    // batch matmul contracting a's axis ax[0] with b's axis ax[1]
    const left = ax[0] === 2 ? a.name : g.node('Transpose', [a.name], { perm: [0, 2, 1] });
    const right = ax[1] === 1 ? b.name : g.node('Transpose', [b.name], { perm: [0, 2, 1] });
    return plain(g.node('MatMul', [left, right], {}, { stem: layer.name }), outShape);
  },
};

/** Class names of the layers `convertLayers` exports. */
export const EXPORTABLE_LAYERS = Object.keys(CONVERTERS);

/**
 * Emits the ONNX nodes computing `outputs` (symbolic tensors of one or more tf.LayersModels that share
 * layers) from the `bound` values of their inputs, reading each layer's current weights. Walks the
 * symbolic graph backwards from the outputs, so shared layers (a model and its trunk / head split) are
 * converted per call site and unused branches are skipped.
 */
export function convertLayers(
  g: OnnxGraph,
  outputs: readonly tf.SymbolicTensor[],
  bound: ReadonlyMap<tf.SymbolicTensor, OnnxValue>,
): OnnxValue[] {
  const memo = new Map<number, OnnxValue>();
  for (const [t, v] of bound) memo.set(t.id, v);
  const visit = (t: tf.SymbolicTensor): OnnxValue => {
    const hit = memo.get(t.id);
    if (hit) return hit;
    const layer = t.sourceLayer;
    const cls = layer.getClassName();
    if (cls === 'InputLayer') throw new HopError('E_ONNX_EXPORT', `input ${t.name} is not bound to an ONNX value`);
    const convert = CONVERTERS[cls];
    if (!convert)
      throw new HopError('E_ONNX_EXPORT', `layer ${layer.name} (${cls}) has no ONNX export; exportable: ${EXPORTABLE_LAYERS.join(', ')}`);
    if (t.outputTensorIndex !== undefined && t.outputTensorIndex > 0)
      throw new HopError('E_ONNX_EXPORT', `layer ${layer.name} has several outputs; not exported`);
    const v = convert(g, layer, t.inputs.map(visit), [...t.shape]);
    memo.set(t.id, v);
    return v;
  };
  return outputs.map(visit);
}

import onnxProto from 'onnx-proto';
import { HopError } from '../errors';

const { onnx } = onnxProto;

/** ONNX IR version and operator set we emit: IR 8 / opset 13 (all ops used here exist since 13 or earlier). */
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 13;

/** An attribute value of a node: numbers are ints unless listed in `floats` of `OnnxGraph.node`. */
export type OnnxAttribute = number | number[] | string;

/** A graph input or output: float32 with a symbolic batch dimension (`null` dims are named `batch`). */
export interface OnnxValueInfo {
  name: string;
  dims: readonly (number | null)[];
}

/**
 * A float32 ONNX graph under construction: nodes in execution order, initializers (weights) by name, one
 * protobuf encoding (`onnx-proto`) at the end. Names are made unique by `fresh`, so converters can emit
 * nodes without a global naming scheme.
 */
export class OnnxGraph {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers = new Map<string, InstanceType<typeof onnx.TensorProto>>();
  private readonly inputs: OnnxValueInfo[] = [];
  private readonly outputs: OnnxValueInfo[] = [];
  private counter = 0;

  constructor(readonly name: string) {}

  /** A name not used before, from a readable stem. */
  fresh(stem: string): string {
    return `${stem.replace(/[^A-Za-z0-9_]/g, '_')}__${this.counter++}`;
  }

  input(name: string, dims: readonly (number | null)[]): string {
    this.inputs.push({ name, dims });
    return name;
  }

  output(name: string, dims: readonly (number | null)[]): void {
    this.outputs.push({ name, dims });
  }

  /** A float32 constant (weights are copied: the caller may reuse its buffer). */
  floatConst(stem: string, data: Float32Array, dims: readonly number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length)
      throw new HopError('E_SHAPE', `ONNX constant ${stem}: ${data.length} values for dims [${dims}]`);
    const name = this.fresh(stem);
    const raw = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    this.initializers.set(name, onnx.TensorProto.create({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw }));
    return name;
  }

  /** An int64 constant (shapes, axes). */
  intConst(stem: string, values: readonly number[]): string {
    const name = this.fresh(stem);
    this.initializers.set(name, onnx.TensorProto.create({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: [...values] }));
    return name;
  }

  /**
   * Appends a node; returns the name of its (first) output. `attrs` values are ints (or int lists)
   * unless their name is in `floatAttrs`.
   */
  node(
    op: string,
    inputs: readonly string[],
    attrs: Record<string, OnnxAttribute> = {},
    options: { outputs?: number; floatAttrs?: readonly string[]; stem?: string } = {},
  ): string {
    const outs = Array.from({ length: options.outputs ?? 1 }, () => this.fresh(options.stem ?? op));
    const floats = new Set(options.floatAttrs ?? []);
    const A = onnx.AttributeProto.AttributeType;
    const attribute = Object.entries(attrs).map(([name, v]) => {
      if (typeof v === 'string') return onnx.AttributeProto.create({ name, type: A.STRING, s: new TextEncoder().encode(v) });
      if (Array.isArray(v))
        return floats.has(name)
          ? onnx.AttributeProto.create({ name, type: A.FLOATS, floats: v })
          : onnx.AttributeProto.create({ name, type: A.INTS, ints: v });
      return floats.has(name)
        ? onnx.AttributeProto.create({ name, type: A.FLOAT, f: v })
        : onnx.AttributeProto.create({ name, type: A.INT, i: v });
    });
    this.nodes.push(onnx.NodeProto.create({ opType: op, input: [...inputs], output: outs, name: outs[0], attribute }));
    return outs[0];
  }

  /** Exposes `value` as graph output `name` (an Identity node, which ORT folds away). */
  outputAs(value: string, name: string, dims: readonly (number | null)[]): void {
    this.nodes.push(onnx.NodeProto.create({ opType: 'Identity', input: [value], output: [name], name }));
    this.output(name, dims);
  }

  /** Number of float weights held as initializers. */
  get weightCount(): number {
    let n = 0;
    for (const t of this.initializers.values())
      if (t.dataType === onnx.TensorProto.DataType.FLOAT) n += t.rawData.byteLength / 4;
    return n;
  }

  /** The serialized ModelProto. */
  encode(): Uint8Array {
    const valueInfo = (v: OnnxValueInfo) =>
      onnx.ValueInfoProto.create({
        name: v.name,
        type: onnx.TypeProto.create({
          tensorType: onnx.TypeProto.Tensor.create({
            elemType: onnx.TensorProto.DataType.FLOAT,
            shape: onnx.TensorShapeProto.create({
              dim: v.dims.map((d) => onnx.TensorShapeProto.Dimension.create(d === null ? { dimParam: 'batch' } : { dimValue: d })),
            }),
          }),
        }),
      });
    const graph = onnx.GraphProto.create({
      name: this.name,
      node: this.nodes,
      initializer: [...this.initializers.values()],
      input: this.inputs.map(valueInfo),
      output: this.outputs.map(valueInfo),
    });
    const model = onnx.ModelProto.create({
      irVersion: ONNX_IR_VERSION,
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: ONNX_OPSET })],
      producerName: 'hop-ts',
      graph,
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

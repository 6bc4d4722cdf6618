/**
 * A small typed builder for ONNX graphs on the `onnx-proto` package (the ONNX protobuf schema
 * compiled with protobufjs): weights as raw little-endian initializers, nodes with int, float
 * and int-list attributes, one float32 input and output with named (dynamic) dimensions.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export type Dim = number | string;
export type Attr = number | number[] | { float: number };

/** ONNX opset the exporters target (the ops used here are unchanged since 13). */
export const OPSET = 13;

export class OnnxGraph {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly inits: InstanceType<typeof onnx.TensorProto>[] = [];
  private counter = 0;

  /** A fresh value name with a readable prefix. */
  name(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  /** A float32 initializer (the values are copied). */
  weight(name: string, dims: number[], values: ArrayLike<number>): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (values.length !== n) throw new Error(`ONNX initializer '${name}': [${dims}] needs ${n} values, got ${values.length}`);
    const raw = new Uint8Array(Float32Array.from(values).buffer);
    this.inits.push(onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw }));
    return name;
  }

  /** An int64 initializer, e.g. a Reshape target shape. */
  ints(name: string, values: number[]): string {
    const raw = new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer);
    this.inits.push(onnx.TensorProto.create({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: raw }));
    return name;
  }

  /** Adds a node; returns its (single) output name. */
  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, output = this.name(op.toLowerCase())): string {
    const attribute = Object.entries(attrs).map(([name, v]) => {
      if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
      if (typeof v === 'number') return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v });
      return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v.float });
    });
    this.nodes.push(onnx.NodeProto.create({ opType: op, input: inputs, output: [output], name: output, attribute }));
    return output;
  }

  /** The serialised model: `input` and `output` are float32 with the given dimensions (strings: dynamic). */
  encode(opts: { graphName: string; input: { name: string; dims: Dim[] }; output: { name: string; dims: Dim[] }; docString?: string; producerVersion?: string; metadata?: Record<string, string> }): Uint8Array {
    const valueInfo = (v: { name: string; dims: Dim[] }) => onnx.ValueInfoProto.create({
      name: v.name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: onnx.TensorShapeProto.create({ dim: v.dims.map((d) => onnx.TensorShapeProto.Dimension.create(typeof d === 'number' ? { dimValue: d } : { dimParam: d })) }),
        }),
      }),
    });
    const model = onnx.ModelProto.create({
      irVersion: 7, // ONNX 1.8 and later read it; opset 13 needs IR ≥ 7
      producerName: 'mimonets',
      producerVersion: opts.producerVersion ?? '',
      docString: opts.docString ?? '',
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: OPSET })],
      metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => onnx.StringStringEntryProto.create({ key, value })),
      graph: onnx.GraphProto.create({
        name: opts.graphName, node: this.nodes, initializer: this.inits, input: [valueInfo(opts.input)], output: [valueInfo(opts.output)],
      }),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

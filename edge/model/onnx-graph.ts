// A small builder for ONNX graphs over onnx-proto: float32 initializers, nodes, one batched input
// [N, width] and float32 outputs [N], encoded as a ModelProto (IR 8, opset 17) that
// onnxruntime loads. Enough for the models `tributary train` makes; no Python anywhere.

import pkg from 'onnx-proto';

const { onnx } = pkg;

export const IR_VERSION = 8;
export const OPSET = 17;

/** ONNX TensorProto.DataType values used here. */
const FLOAT = 1;
const INT64 = 7;
/** The symbolic batch dimension. */
export const BATCH_DIM = 'N';

type Attribute = number | readonly number[];

export interface ModelMeta {
  /** ModelProto doc string: what the graph computes. */
  readonly doc: string;
  /** Free-form key → value pairs stored as metadata_props (e.g. the manifest's name and version). */
  readonly props?: Readonly<Record<string, string>>;
}

export class GraphBuilder {
  readonly #nodes: pkg.onnx.INodeProto[] = [];
  readonly #initializers: pkg.onnx.ITensorProto[] = [];
  readonly #inputs: pkg.onnx.IValueInfoProto[] = [];
  readonly #outputs: pkg.onnx.IValueInfoProto[] = [];
  readonly #names = new Set<string>();
  #temp = 0;

  constructor(readonly name: string) {}

  /** Declare the graph input, float32 [N, width]. Returns its name. */
  input(name: string, width: number): string {
    if (!(Number.isInteger(width) && width >= 1)) throw new TypeError(`input width must be a positive integer, got ${width}`);
    this.#inputs.push(valueInfo(this.#claim(name), [BATCH_DIM, width]));
    return name;
  }

  /** Declare `tensor` a graph output, float32 [N] (or `[N, 1]` with `column`). It must already be produced by a node. */
  output(tensor: string, column = false): void {
    if (!this.#names.has(tensor)) throw new TypeError(`output ${tensor} is not produced by the graph`);
    this.#outputs.push(valueInfo(tensor, column ? [BATCH_DIM, 1] : [BATCH_DIM]));
  }

  /** A float32 constant (weights, biases, scalars) stored as little-endian raw data. */
  constant(name: string, data: ArrayLike<number>, dims: readonly number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new TypeError(`constant ${name}: ${data.length} values for dims [${dims.join(', ')}]`);
    const bytes = new Uint8Array(size * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < size; i++) view.setFloat32(i * 4, data[i]!, true);
    this.#initializers.push({ name: this.#claim(name), dims: [...dims], dataType: FLOAT, rawData: bytes });
    return name;
  }

  /** An int64 constant (axes, shapes). */
  int64(name: string, values: readonly number[]): string {
    const bytes = new Uint8Array(values.length * 8);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    this.#initializers.push({ name: this.#claim(name), dims: [values.length], dataType: INT64, rawData: bytes });
    return name;
  }

  /**
   * Add a node; returns its (first) output's name. Outputs default to fresh temporary names;
   * integer attributes are INT (or INTS for arrays).
   */
  node(op: string, inputs: readonly string[], options: { output?: string; attributes?: Readonly<Record<string, Attribute>> } = {}): string {
    for (const i of inputs) if (!this.#names.has(i)) throw new TypeError(`${op}: input ${i} is not defined yet`);
    const output = this.#claim(options.output ?? `${op.toLowerCase()}_${this.#temp++}`);
    const attribute = Object.entries(options.attributes ?? {}).map(([name, v]) => attributeOf(name, v));
    this.#nodes.push({ opType: op, name: `${op}_${this.#nodes.length}`, input: [...inputs], output: [output], attribute });
    return output;
  }

  /** Encode the model as ONNX protobuf bytes. */
  encode(meta: ModelMeta): Uint8Array {
    if (this.#inputs.length === 0 || this.#outputs.length === 0) throw new TypeError('a graph needs an input and an output');
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'tributary',
      producerVersion: '1',
      docString: meta.doc,
      opsetImport: [{ domain: '', version: OPSET }],
      metadataProps: Object.entries(meta.props ?? {}).map(([key, value]) => ({ key, value })),
      graph: { name: this.name, node: this.#nodes, initializer: this.#initializers, input: this.#inputs, output: this.#outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  #claim(name: string): string {
    if (this.#names.has(name)) throw new TypeError(`tensor name ${name} is used twice`);
    this.#names.add(name);
    return name;
  }
}

function valueInfo(name: string, dims: ReadonlyArray<string | number>): pkg.onnx.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim } } } };
}

function attributeOf(name: string, v: Attribute): pkg.onnx.IAttributeProto {
  const { INT, INTS } = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new TypeError(`attribute ${name}: only integer attributes are supported`);
    return { name, type: INT, i: v };
  }
  return { name, type: INTS, ints: [...v] };
}

// Hand-made ONNX graphs for loader tests, including the wrong ones GraphBuilder would refuse to make:
// other element types, ranks, fixed batch sizes, extra inputs.

import pkg from 'onnx-proto';

const { onnx } = pkg;

/** ONNX element types used here. */
export const FLOAT = 1;
export const INT64 = 7;
export const DOUBLE = 11;

export interface TensorSpec {
  readonly name: string;
  readonly elemType?: number;
  /** A string is a symbolic dimension. */
  readonly dims: ReadonlyArray<string | number>;
}

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly output: string;
  readonly ints?: Readonly<Record<string, readonly number[] | number>>;
}

export function rawModel(inputs: readonly TensorSpec[], outputs: readonly TensorSpec[], nodes: readonly NodeSpec[], initializers: pkg.onnx.ITensorProto[] = []): Uint8Array {
  const info = (t: TensorSpec): pkg.onnx.IValueInfoProto => ({
    name: t.name,
    type: { tensorType: { elemType: t.elemType ?? FLOAT, shape: { dim: t.dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  const { INT, INTS } = onnx.AttributeProto.AttributeType;
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'test',
      input: inputs.map(info),
      output: outputs.map(info),
      initializer: initializers,
      node: nodes.map((n) => ({
        opType: n.op,
        input: [...n.inputs],
        output: [n.output],
        attribute: Object.entries(n.ints ?? {}).map(([name, v]) => (typeof v === 'number' ? { name, type: INT, i: v } : { name, type: INTS, ints: [...v] })),
      })),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** An int64 initializer (shapes, axes). */
export function int64Tensor(name: string, values: readonly number[]): pkg.onnx.ITensorProto {
  return { name, dims: [values.length], dataType: INT64, int64Data: [...values] };
}

/** score = Σ x² over each row: input `x` [N, width], output `score` [N]. */
export function sumOfSquares(width: number, names = { input: 'x', output: 'score' }): Uint8Array {
  return rawModel([{ name: names.input, dims: ['N', width] }], [{ name: names.output, dims: ['N'] }], [{ op: 'ReduceSumSquare', inputs: [names.input], output: names.output, ints: { axes: [1], keepdims: 0 } }]);
}

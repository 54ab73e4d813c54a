import { onnx } from 'onnx-proto';

export type WriteTensor = { name: string; dims: number[]; data: ArrayLike<number>; type?: 'float' | 'int64' };
export type WriteNode = {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, number | number[] | string>;
};
export type WriteModelParameters = {
  inputs: { name: string; shape: number[] }[];
  outputs: { name: string; shape: number[] }[];
  nodes: WriteNode[];
  initializers: WriteTensor[];
  opset?: number;
  producer?: string;
};

function tensorProto(t: WriteTensor): onnx.ITensorProto {
  if (t.type === 'int64')
    return { name: t.name, dims: t.dims, dataType: onnx.TensorProto.DataType.INT64, int64Data: Array.from(t.data) };
  // raw_data, little-endian float32, as exporters (PyTorch) write it.
  const raw = new Uint8Array(t.data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < t.data.length; i++) view.setFloat32(i * 4, t.data[i]!, true);
  return { name: t.name, dims: t.dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw };
}

/** ONNX attributes typed FLOAT even when the value is integral (alpha: 1.0 must not be written as INT 1). */
const FLOAT_ATTRIBUTES = new Set(['alpha', 'beta', 'epsilon', 'momentum', 'gamma']);

function attributeProto(name: string, value: number | number[] | string): onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  return Number.isInteger(value) && !FLOAT_ATTRIBUTES.has(name)
    ? { name, type: AttributeType.INT, i: value }
    : { name, type: AttributeType.FLOAT, f: value };
}

const valueInfo = (v: { name: string; shape: number[] }): onnx.IValueInfoProto => ({
  name: v.name,
  type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: v.shape.map((d) => ({ dimValue: d })) } } },
});

/** Encodes a small feed-forward model as ONNX (used by the reference-model trainers and the compiler's tests). */
export function writeModel(parameters: WriteModelParameters): Uint8Array {
  const model: onnx.IModelProto = {
    irVersion: 8,
    producerName: parameters.producer ?? 'verity',
    opsetImport: [{ domain: '', version: parameters.opset ?? 13 }],
    graph: {
      name: 'main',
      node: parameters.nodes.map((n) => ({
        opType: n.opType,
        name: n.name,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attributeProto(k, v)),
      })),
      initializer: parameters.initializers.map(tensorProto),
      input: parameters.inputs.map(valueInfo),
      output: parameters.outputs.map(valueInfo),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

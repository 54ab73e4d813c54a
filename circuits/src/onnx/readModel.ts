import { onnx } from 'onnx-proto';

import { OnnxParseError } from '../errors';
import type { OnnxAttribute, OnnxGraph, OnnxNode, OnnxTensor, OnnxValueInfo } from './types';

const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;

type Long = { toNumber(): number } | number;
const num = (v: Long | null | undefined): number =>
  v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber();

/** A decoded TensorProto, values widened to float64. */
export function readTensor(t: onnx.ITensorProto): OnnxTensor {
  const dims = (t.dims ?? []).map(num);
  const count = dims.reduce((a, b) => a * b, 1);
  const name = t.name ?? '';
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const data = new Float64Array(count);
  switch (t.dataType) {
    case DataType.FLOAT:
      for (let i = 0; i < count; i++) data[i] = view ? view.getFloat32(i * 4, true) : (t.floatData?.[i] ?? 0);
      break;
    case DataType.DOUBLE:
      for (let i = 0; i < count; i++) data[i] = view ? view.getFloat64(i * 8, true) : (t.doubleData?.[i] ?? 0);
      break;
    case DataType.INT64:
      for (let i = 0; i < count; i++) data[i] = view ? Number(view.getBigInt64(i * 8, true)) : num(t.int64Data?.[i]);
      break;
    case DataType.INT32:
      for (let i = 0; i < count; i++) data[i] = view ? view.getInt32(i * 4, true) : (t.int32Data?.[i] ?? 0);
      break;
    default:
      throw new OnnxParseError(`tensor '${name}' has unsupported data type ${t.dataType}`);
  }
  if (!raw && count > 0 && t.dataType === DataType.FLOAT && (t.floatData?.length ?? 0) < count)
    throw new OnnxParseError(`tensor '${name}' holds fewer values than its shape [${dims.join(', ')}] needs`);
  return { name, dims, data };
}

function readAttribute(a: onnx.IAttributeProto): OnnxAttribute {
  switch (a.type) {
    case AttributeType.FLOAT:
      return a.f ?? 0;
    case AttributeType.INT:
      return num(a.i);
    case AttributeType.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case AttributeType.FLOATS:
      return [...(a.floats ?? [])];
    case AttributeType.INTS:
      return (a.ints ?? []).map(num);
    case AttributeType.TENSOR:
      return readTensor(a.t ?? {});
    default:
      throw new OnnxParseError(`attribute '${a.name}' has unsupported type ${a.type}`);
  }
}

function readValueInfo(v: onnx.IValueInfoProto): OnnxValueInfo {
  const dims = v.type?.tensorType?.shape?.dim ?? [];
  return {
    name: v.name ?? '',
    shape: dims.map((d) => (d.dimValue !== null && d.dimValue !== undefined && num(d.dimValue) > 0 ? num(d.dimValue) : null)),
  };
}

/**
 * Decodes an ONNX ModelProto into the compiler's graph view. Constant nodes become initializers, so later
 * stages see one kind of constant.
 */
export function readModel(bytes: Uint8Array): OnnxGraph {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new OnnxParseError('not an ONNX model (protobuf decoding failed)', { cause: err });
  }
  const graph = model.graph;
  if (!graph) throw new OnnxParseError('ONNX model has no graph');
  const opset = Math.max(
    0,
    ...(model.opsetImport ?? []).filter((o) => !o.domain || o.domain === 'ai.onnx').map((o) => num(o.version)),
  );
  const initializers = new Map<string, OnnxTensor>();
  for (const t of graph.initializer ?? []) initializers.set(t.name ?? '', readTensor(t));

  const nodes: OnnxNode[] = [];
  (graph.node ?? []).forEach((n, i) => {
    const attributes: Record<string, OnnxAttribute> = {};
    for (const a of n.attribute ?? []) attributes[a.name ?? ''] = readAttribute(a);
    const node: OnnxNode = {
      name: n.name || `${n.opType}_${i}`,
      opType: n.opType ?? '',
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attributes,
    };
    if (node.opType === 'Constant') {
      const value = attributes.value;
      if (!value || typeof value !== 'object' || Array.isArray(value))
        throw new OnnxParseError(`Constant node '${node.name}' has no tensor value`);
      initializers.set(node.outputs[0] ?? '', { ...value, name: node.outputs[0] ?? '' });
      return;
    }
    nodes.push(node);
  });

  const inputs = (graph.input ?? []).map(readValueInfo).filter((v) => !initializers.has(v.name));
  return { opset, inputs, outputs: (graph.output ?? []).map(readValueInfo), nodes, initializers };
}

import type { OnnxGraph, OnnxNode, OnnxTensor } from '../onnx/types';
import { strides } from './nodeAttributes';

/** Transpose of a constant (PyTorch exports Linear without bias as Transpose(weight) → MatMul). */
function transposeConstant(node: OnnxNode, t: OnnxTensor): OnnxTensor {
  const rank = t.dims.length;
  const perm = Array.isArray(node.attributes.perm) ? node.attributes.perm : Array.from({ length: rank }, (_, a) => rank - 1 - a);
  const dims = perm.map((p) => t.dims[p]!);
  const inStrides = strides(t.dims);
  const outStrides = strides(dims);
  const data = new Float64Array(t.data.length);
  for (let i = 0; i < data.length; i++) {
    let src = 0;
    for (let a = 0; a < rank; a++) src += (Math.floor(i / outStrides[a]!) % dims[a]!) * inStrides[perm[a]!]!;
    data[i] = t.data[src]!;
  }
  return { name: node.outputs[0]!, dims, data };
}

const FOLDS: Record<string, (node: OnnxNode, t: OnnxTensor) => OnnxTensor> = {
  Transpose: transposeConstant,
  Identity: (node, t) => ({ ...t, name: node.outputs[0]! }),
};

/** Evaluates the nodes that read only constants (and are foldable) into new constants, so lowering sees weights. */
export function foldConstants(graph: OnnxGraph): OnnxGraph {
  const initializers = new Map(graph.initializers);
  const nodes = graph.nodes.filter((node) => {
    const fold = FOLDS[node.opType];
    const source = node.inputs.length === 1 ? initializers.get(node.inputs[0]!) : undefined;
    if (!fold || !source) return true;
    initializers.set(node.outputs[0]!, fold(node, source));
    return false;
  });
  return { ...graph, nodes, initializers };
}

/** A constant tensor from the ONNX file (initializer or Constant node), values widened to float64. */
export type OnnxTensor = { name: string; dims: number[]; data: Float64Array };

export type OnnxAttribute = number | number[] | string | OnnxTensor;

export type OnnxNode = {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttribute>;
};

export type OnnxValueInfo = { name: string; shape: (number | null)[] };

/** The parts of an ONNX model the compiler uses: graph inputs/outputs, nodes in order, and constants. */
export type OnnxGraph = {
  opset: number;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
};

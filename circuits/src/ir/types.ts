/**
 * The compiler's layer IR. Every linear ONNX op (Gemm, MatMul, Conv, pools' averages, Add/Sub/Mul by constants,
 * BatchNormalization) lowers to one sparse affine map, out[i] = Σ w·in[idx] + b, so the evaluators and the circuit
 * emitter handle a single linear form. Layout ops (Flatten, Reshape, Transpose, Identity) cost nothing: reshapes
 * vanish and transposes become permutations. Tensors are flat, row-major, batch dimension dropped (batch 1).
 */
export type AffineRow = { idx: Int32Array; w: Float64Array; b: number };

export type AffineLayer = { kind: 'affine'; name: string; ops: string[]; outShape: number[]; rows: AffineRow[] };
export type ReluLayer = { kind: 'relu'; name: string; ops: string[]; outShape: number[] };
/** out[i] = max over in[groups[i]] (MaxPool). */
export type MaxLayer = { kind: 'max'; name: string; ops: string[]; outShape: number[]; groups: Int32Array[] };
/** out[i] = in[map[i]] (Transpose). */
export type PermuteLayer = { kind: 'permute'; name: string; ops: string[]; outShape: number[]; map: Int32Array };

export type Layer = AffineLayer | ReluLayer | MaxLayer | PermuteLayer;

/** What the graph does after its last layer: nothing, Softmax (dropped: monotone) or ArgMax. */
export type Head = 'none' | 'softmax' | 'argmax';

export type Program = {
  inputName: string;
  inputShape: number[];
  outputName: string;
  outputShape: number[];
  layers: Layer[];
  head: Head;
  /** The ONNX operators of the source graph, in order. */
  sourceOps: string[];
};

export const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

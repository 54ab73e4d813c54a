import type { Activation } from './activation';

/**
 * The compiler's layer IR. Every linear ONNX op (Gemm, MatMul, Conv, pools' averages, Add/Sub/Mul by constants,
 * BatchNormalization, ConvTranspose, Pad, Reduce*) lowers to one sparse affine map, out[i] = Σ w·in[idx] + b, so the
 * evaluators and the circuit emitter handle a single linear form. Layout ops (Flatten, Reshape, Squeeze, Unsqueeze,
 * Identity) cost nothing: reshapes vanish, transposes and edge/reflect pads become gathers. Tensors are flat,
 * row-major, per sample: the batch dimension is dropped (a job proves one sample of a graph exported with batch N).
 */
export type AffineRow = { idx: Int32Array; w: Float64Array; b: number };

export type AffineLayer = { kind: 'affine'; name: string; ops: string[]; outShape: number[]; rows: AffineRow[] };
export type ReluLayer = { kind: 'relu'; name: string; ops: string[]; outShape: number[] };
/** out[i] = max over in[groups[i]] (MaxPool). */
export type MaxLayer = { kind: 'max'; name: string; ops: string[]; outShape: number[]; groups: Int32Array[] };
/** out[i] = in[map[i]] (Transpose). */
export type PermuteLayer = { kind: 'permute'; name: string; ops: string[]; outShape: number[]; map: Int32Array };

/** out[i] = in[i] if in[i] ≥ 0, else slope[i]·in[i] (LeakyRelu, PRelu; slopes broadcast to every element). */
export type PreluLayer = { kind: 'prelu'; name: string; ops: string[]; outShape: number[]; slope: Float64Array };

/**
 * out[i] = f(in[i]) for a scalar non-linear activation f (Sigmoid, Tanh, Softplus, Elu, Selu, HardSigmoid, Clip, …):
 * exact in float, piecewise-linear in fixed point.
 */
export type PwlLayer = { kind: 'pwl'; name: string; ops: string[]; outShape: number[]; activation: Activation };

export type Layer = AffineLayer | ReluLayer | MaxLayer | PermuteLayer | PreluLayer | PwlLayer;

/**
 * What the graph does after its last layer, over the whole output: nothing, Softmax or LogSoftmax (dropped from the
 * circuit: monotone, so the logits and their argmax carry the answer) or ArgMax.
 */
export type Head = 'none' | 'softmax' | 'logsoftmax' | 'argmax';

/**
 * Where a Softmax/LogSoftmax head normalizes: the output, flattened, as [outer, axis, inner], one distribution per
 * (outer, inner) pair along `axis`. Absent: one distribution over the whole output.
 */
export type HeadLayout = { outer: number; axis: number; inner: number };

export type Program = {
  inputName: string;
  inputShape: number[];
  /** The batch size the graph was exported with (null: dynamic). The program is one sample of it. */
  batch: number | null;
  outputName: string;
  outputShape: number[];
  layers: Layer[];
  head: Head;
  headLayout?: HeadLayout;
  /** The ONNX operators of the source graph, in order. */
  sourceOps: string[];
};

export const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

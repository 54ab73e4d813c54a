import type { Activation } from './activation';

/**
 * The compiler's layer IR. Every linear ONNX op (Gemm, MatMul, Conv, pools' averages, Add/Sub/Mul by constants,
 * BatchNormalization, ConvTranspose, Pad, Reduce*) lowers to one sparse affine map, out[i] = Σ w·in[idx] + b, so the
 * evaluators and the circuit emitter handle a single linear form. Layout ops (Flatten, Reshape, Squeeze, Unsqueeze,
 * Identity) cost nothing: reshapes vanish, transposes and edge/reflect pads become gathers. Tensors are flat,
 * row-major, per sample: the batch dimension is dropped (a job proves one sample of a graph exported with batch N).
 */
export type AffineRow = { idx: Int32Array; w: Float64Array; b: number };

/**
 * The layers form a DAG in topological order. Tensor 0 is the program input (every graph input, flattened and
 * concatenated in graph order); tensor t ≥ 1 is layer t−1's output. A layer reads the concatenation of its `inputs`
 * (absent: the previous layer's output, as in a chain). Only affine and permute layers read several tensors
 * (residual Add, Sum, Concat): every other layer reads one tensor, so in fixed point it sees a single scale.
 */
type Reads = { inputs?: number[] };

export type AffineLayer = Reads & { kind: 'affine'; name: string; ops: string[]; outShape: number[]; rows: AffineRow[] };
export type ReluLayer = Reads & { kind: 'relu'; name: string; ops: string[]; outShape: number[] };
/** out[i] = max over in[groups[i]] (MaxPool). */
export type MaxLayer = Reads & { kind: 'max'; name: string; ops: string[]; outShape: number[]; groups: Int32Array[] };
/** out[i] = in[map[i]] (Transpose). */
export type PermuteLayer = Reads & { kind: 'permute'; name: string; ops: string[]; outShape: number[]; map: Int32Array };

/** out[i] = in[i] if in[i] ≥ 0, else slope[i]·in[i] (LeakyRelu, PRelu; slopes broadcast to every element). */
export type PreluLayer = Reads & { kind: 'prelu'; name: string; ops: string[]; outShape: number[]; slope: Float64Array };

/**
 * out[i] = f(in[i]) for a scalar non-linear activation f (Sigmoid, Tanh, Softplus, Elu, Selu, HardSigmoid, Clip, …):
 * exact in float, piecewise-linear in fixed point.
 */
export type PwlLayer = Reads & { kind: 'pwl'; name: string; ops: string[]; outShape: number[]; activation: Activation };

/** out[i] = in[left[i]] · in[right[i]]: a product of two activations (Mul, and the normalizations' squares). */
export type MulLayer = Reads & {
  kind: 'mul';
  name: string;
  ops: string[];
  outShape: number[];
  left: Int32Array;
  right: Int32Array;
};

export type Layer = AffineLayer | ReluLayer | MaxLayer | PermuteLayer | PreluLayer | PwlLayer | MulLayer;

/** The tensors a layer reads (see Reads): layer l's own `inputs`, or the previous layer's output, tensor l. */
export const inputsOf = (layer: Reads, l: number): number[] => layer.inputs ?? [l];

/**
 * Concatenates the tensors a layer reads (no copy for the usual single one). `tensors[t]` is tensor t (see Reads).
 */
export function readInputs<T>(tensors: ArrayLike<T>[], layer: Reads, l: number): ArrayLike<T> {
  const ins = inputsOf(layer, l);
  if (ins.length === 1) return tensors[ins[0]!]!;
  const out: T[] = [];
  for (const t of ins) {
    const x = tensors[t]!;
    for (let i = 0; i < x.length; i++) out.push(x[i]!);
  }
  return out;
}

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

/** One input of the source graph: its name and its per-sample shape. */
export type GraphInput = { name: string; shape: number[] };

export type Program = {
  /** The first graph input's name. */
  inputName: string;
  /** The input's per-sample shape; with several graph inputs, [total size] of their concatenation. */
  inputShape: number[];
  /** Every graph input, in order, when there are several: the program input is their flattened concatenation. */
  inputs?: GraphInput[];
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

import { activationFloat } from './activation';
import { readInputs, type Head, type HeadLayout, type Layer, type Program } from './types';

/**
 * max of `of` over the indices in `g`. A ternary, not Math.max: this is the hottest loop of a large MaxPool, and
 * Math.max does not inline inside jest's sandbox (100× slower there).
 */
export function maxOver(g: ArrayLike<number>, of: ArrayLike<number>): number {
  let m = -Infinity;
  for (let t = 0; t < g.length; t++) {
    const v = of[g[t]!]!;
    m = v > m ? v : m;
  }
  return m;
}

/** Runs one layer in float64: the same semantics onnxruntime computes in float32. */
export function applyLayerFloat(layer: Layer, x: ArrayLike<number>): Float64Array {
  switch (layer.kind) {
    case 'affine': {
      const y = new Float64Array(layer.rows.length);
      layer.rows.forEach((r, i) => {
        let acc = r.b;
        for (let t = 0; t < r.idx.length; t++) acc += r.w[t]! * x[r.idx[t]!]!;
        y[i] = acc;
      });
      return y;
    }
    case 'relu':
      return Float64Array.from(x, (v) => (v > 0 ? v : 0));
    case 'max':
      // A loop, not Math.max(...spread): a window can hold more values than the call stack has room for arguments.
      return Float64Array.from(layer.groups, (g) => maxOver(g, x));
    case 'permute':
      return Float64Array.from(layer.map, (i) => x[i]!);
    case 'prelu':
      return Float64Array.from(x, (v, i) => (v >= 0 ? v : layer.slope[i]! * v));
    case 'pwl':
      return Float64Array.from(x, (v) => activationFloat(layer.activation, v));
    case 'mul':
      return Float64Array.from(layer.left, (a, i) => x[a]! * x[layer.right[i]!]!);
  }
}

export type EvaluateFloatReturnType = { output: Float64Array; activations: Float64Array[] };

/** Float reference of the lowered program; `activations[l]` is layer l's output (used for calibration). */
export function evaluateFloat(program: Program, input: ArrayLike<number>): EvaluateFloatReturnType {
  const tensors: Float64Array[] = [Float64Array.from(input)];
  program.layers.forEach((layer, l) => tensors.push(applyLayerFloat(layer, readInputs(tensors, layer, l))));
  return { output: tensors[tensors.length - 1]!, activations: tensors.slice(1) };
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** The head applied to the program's output, as the source graph computes it (Softmax, LogSoftmax, ArgMax). */
export function applyHead(head: Head, logits: ArrayLike<number>, layout?: HeadLayout): number[] {
  const x = Array.from(logits);
  if (head === 'argmax') return [argmax(x)];
  if (head === 'none') return x;
  const { outer, axis, inner } = layout ?? { outer: 1, axis: x.length, inner: 1 };
  const out = new Array<number>(x.length);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const at = (k: number) => (o * axis + k) * inner + i;
      let m = -Infinity;
      for (let k = 0; k < axis; k++) m = Math.max(m, x[at(k)]!);
      let sum = 0;
      for (let k = 0; k < axis; k++) sum += Math.exp(x[at(k)]! - m);
      for (let k = 0; k < axis; k++)
        out[at(k)] = head === 'softmax' ? Math.exp(x[at(k)]! - m) / sum : x[at(k)]! - m - Math.log(sum);
    }
  return out;
}

import type { Layer, Program } from './types';

/** Runs one layer in float64: the same semantics onnxruntime computes in float32. */
export function applyLayerFloat(layer: Layer, x: Float64Array): Float64Array {
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
      return x.map((v) => (v > 0 ? v : 0));
    case 'max':
      return Float64Array.from(layer.groups, (g) => Math.max(...Array.from(g, (i) => x[i]!)));
    case 'permute':
      return Float64Array.from(layer.map, (i) => x[i]!);
  }
}

export type EvaluateFloatReturnType = { output: Float64Array; activations: Float64Array[] };

/** Float reference of the lowered program; `activations[l]` is layer l's output (used for calibration). */
export function evaluateFloat(program: Program, input: ArrayLike<number>): EvaluateFloatReturnType {
  let x: Float64Array = Float64Array.from(input);
  const activations: Float64Array[] = [];
  for (const layer of program.layers) {
    x = applyLayerFloat(layer, x);
    activations.push(x);
  }
  return { output: x, activations };
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

import { evaluateFloat } from '../ir/evaluateFloat';
import type { Program } from '../ir/types';
import { size } from '../ir/types';
import type { QuantLayer, QuantProgram } from './types';

export type QuantizeParameters = {
  program: Program;
  /** Sample inputs (float) whose activations set each tensor's scale. */
  calibration: ArrayLike<number>[];
  /** Largest |input| a request may carry (from the model manifest), e.g. 1 for pixels in [0, 1]. */
  inputMaxAbs: number;
  /** Bits per input value (sign included); also the packing width of the input commitment. */
  inputBits?: number;
  /** Bits per activation (sign included): the range check each rescaled value costs. */
  activationBits?: number;
  /** Bits per weight (sign included). Weights are constants: more bits cost no constraints. */
  weightBits?: number;
  /** Headroom over the largest calibrated activation. */
  margin?: number;
};

const log2Floor = (x: number): number => Math.floor(Math.log2(x));
/** Largest f with maxAbs · 2^f ≤ 2^(bits-1) - 1 (0 if maxAbs is 0). */
function fracBits(maxAbs: number, bits: number): number {
  if (maxAbs <= 0) return bits - 1;
  let f = log2Floor((2 ** (bits - 1) - 1) / maxAbs);
  while (maxAbs * 2 ** f > 2 ** (bits - 1) - 1) f--;
  return f;
}

/** Keeps the integer evaluator exact in float64 and every circuit value far below the field modulus. */
const MAX_ACCUMULATOR = 2 ** 50;

/**
 * Chooses a power-of-two scale per tensor from calibration (max |value| × margin), quantizes weights and biases,
 * and fuses each ReLU into the affine layer before it.
 */
export function quantize(parameters: QuantizeParameters): QuantProgram {
  const { program } = parameters;
  const inputBits = parameters.inputBits ?? 10;
  const activationBits = parameters.activationBits ?? 16;
  const weightBits = parameters.weightBits ?? 16;
  const margin = parameters.margin ?? 2;

  const maxAbs = program.layers.map(() => 0);
  for (const sample of parameters.calibration) {
    evaluateFloat(program, sample).activations.forEach((a, l) => {
      for (const v of a) maxAbs[l] = Math.max(maxAbs[l]!, Math.abs(v));
    });
  }

  const inputScale = fracBits(parameters.inputMaxAbs, inputBits);
  let scale = inputScale;
  let bits = inputBits;
  const layers: QuantLayer[] = [];
  program.layers.forEach((layer, l) => {
    const outSize = size(layer.outShape);
    if (layer.kind === 'affine') {
      const wMax = Math.max(0, ...layer.rows.flatMap((r) => Array.from(r.w, Math.abs)));
      let wScale = fracBits(wMax, weightBits);
      const quantRows = (ws: number) =>
        layer.rows.map((r) => ({
          idx: r.idx,
          w: Int32Array.from(r.w, (w) => Math.round(w * 2 ** ws)),
          b: Math.round(r.b * 2 ** (scale + ws)),
        }));
      let rows = quantRows(wScale);
      const bound = (rs: typeof rows) =>
        Math.max(...rs.map((r) => r.w.reduce((a, w) => a + Math.abs(w), 0) * 2 ** (bits - 1) + Math.abs(r.b)));
      while (bound(rows) > MAX_ACCUMULATOR) rows = quantRows(--wScale);
      const outScale = Math.min(scale + wScale, fracBits(maxAbs[l]! * margin, activationBits));
      layers.push({
        kind: 'affine',
        name: layer.name,
        ops: layer.ops,
        outSize,
        rows,
        relu: false,
        shift: scale + wScale - outScale,
        bits: activationBits,
        inScale: scale,
        wScale,
        outScale,
      });
      scale = outScale;
      bits = activationBits;
    } else if (layer.kind === 'relu') {
      const prev = layers[layers.length - 1];
      if (prev?.kind === 'affine' && !prev.relu) {
        prev.relu = true;
        prev.ops = [...prev.ops, 'Relu'];
      } else layers.push({ kind: 'relu', name: layer.name, ops: layer.ops, outSize, bits, outScale: scale });
    } else if (layer.kind === 'max') {
      layers.push({ kind: 'max', name: layer.name, ops: layer.ops, outSize, groups: layer.groups, bits, outScale: scale });
    } else {
      layers.push({ kind: 'permute', name: layer.name, ops: layer.ops, outSize, map: layer.map, bits, outScale: scale });
    }
  });

  return {
    inputShape: program.inputShape,
    inputScale,
    inputBits,
    outputShape: program.outputShape,
    outputScale: scale,
    outputBits: bits,
    head: program.head,
    layers,
  };
}

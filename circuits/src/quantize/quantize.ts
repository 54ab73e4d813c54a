import { InvalidInputError } from '../errors';
import { evaluateFloat, maxOver } from '../ir/evaluateFloat';
import type { Program } from '../ir/types';
import { size } from '../ir/types';
import { quantizePwl } from './quantizePwl';
import { roundShift, type QuantAffineRow, type QuantLayer, type QuantProgram } from './types';

export type QuantizeParameters = {
  program: Program;
  /** Sample inputs (float) whose activations set each tensor's scale. */
  calibration: ArrayLike<number>[];
  /** Largest |input| a request may carry (from the model manifest), e.g. 1 for pixels in [0, 1]. */
  inputMaxAbs: number;
  /** Bits per input value (sign included); also the packing width of the input commitment. */
  inputBits?: number;
  /** Bits per activation (sign included): the range check each rescaled value costs, at least. */
  activationBits?: number;
  /** Bits per weight (sign included). Weights are constants: more bits cost no constraints. */
  weightBits?: number;
  /** Headroom over the largest calibrated activation. */
  margin?: number;
};

/** Input bits the compiler accepts: at least a sign and one value bit; at most what keeps packing and the field safe. */
export const INPUT_BITS_RANGE = [2, 32] as const;

const log2Floor = (x: number): number => Math.floor(Math.log2(x));
/** Largest f with maxAbs · 2^f ≤ 2^(bits-1) - 1 (0 if maxAbs is 0). */
function fracBits(maxAbs: number, bits: number): number {
  if (maxAbs <= 0) return bits - 1;
  let f = log2Floor((2 ** (bits - 1) - 1) / maxAbs);
  while (maxAbs * 2 ** f > 2 ** (bits - 1) - 1) f--;
  return f;
}

/** Bits (sign included) of the smallest signed range holding every integer in [lo, hi]. */
function bitsFor(lo: number, hi: number): number {
  const m = Math.max(-lo - 1, hi, 1);
  return Math.floor(Math.log2(m)) + 2;
}

/** Keeps the integer evaluator exact in float64 and every circuit value far below the field modulus. */
const MAX_ACCUMULATOR = 2 ** 50;
/** Widest activation range check the compiler will emit before it trades precision (scale) for range. */
const MAX_ACTIVATION_BITS = 32;

/**
 * Largest rescale the compiler emits. The circuit's Rescale makes its quotient unique only while 2^(shift + bits) is
 * far below the field modulus (~2^254): past that, several quotients match mod p and a prover could pick a wrong
 * output. Weights or slopes so small that they would need more (float64 tensors allow 1e-70) are refused instead.
 */
export const MAX_SHIFT = 64;

/** Every rescale of the program within [0, MAX_SHIFT] (a negative one would not scale at all). */
function checkRescale(layer: QuantLayer): void {
  if (!('shift' in layer)) return;
  if (layer.shift < 0 || layer.shift > MAX_SHIFT || !Number.isInteger(layer.shift))
    throw new InvalidInputError(
      `layer '${layer.name}' (${layer.ops.join('+')}) would rescale by 2^${layer.shift}: its weights or slopes are out of the range the circuit can represent (rescales of 2^0 to 2^${MAX_SHIFT})`,
    );
  if (layer.bits > MAX_ACTIVATION_BITS)
    throw new InvalidInputError(`layer '${layer.name}' would carry ${layer.bits}-bit values (at most ${MAX_ACTIVATION_BITS})`);
}

/** Integer interval of every element of a tensor: what any input inside the declared range can produce. */
type Bounds = { lo: Float64Array; hi: Float64Array };

/** Interval arithmetic through one quantized affine map (exact for integers below 2^53). */
function accumulatorBounds(rows: QuantAffineRow[], input: Bounds): Bounds {
  const lo = new Float64Array(rows.length);
  const hi = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    let a = r.b;
    let b = r.b;
    for (let t = 0; t < r.idx.length; t++) {
      const w = r.w[t]!;
      const j = r.idx[t]!;
      if (w >= 0) {
        a += w * input.lo[j]!;
        b += w * input.hi[j]!;
      } else {
        a += w * input.hi[j]!;
        b += w * input.lo[j]!;
      }
    }
    lo[i] = a;
    hi[i] = b;
  });
  return { lo, hi };
}

function extremes(b: Bounds): { lo: number; hi: number } {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < b.lo.length; i++) {
    lo = Math.min(lo, b.lo[i]!);
    hi = Math.max(hi, b.hi[i]!);
  }
  return { lo, hi };
}

/**
 * Slopes at a weight scale, and the range of the output and of slope·in rescaled (the circuit range-checks it for
 * every input, both branches): roundShift(slope·x) is monotone in x, so its ends bound it.
 */
function quantizePrelu(slopes: Float64Array, input: Bounds, weightBits: number) {
  let aMax = 0;
  for (const a of slopes) aMax = Math.max(aMax, Math.abs(a));
  const shift = fracBits(aMax, weightBits);
  const slope = Int32Array.from(slopes, (a) => Math.round(a * 2 ** shift));
  const out: Bounds = { lo: new Float64Array(slope.length), hi: new Float64Array(slope.length) };
  let lo = 0;
  let hi = 0;
  slope.forEach((a, i) => {
    const [l, h] = [input.lo[i]!, input.hi[i]!];
    const fl = roundShift(a * l, shift);
    const fh = roundShift(a * h, shift);
    out.lo[i] = l >= 0 ? l : Math.min(fl, fh, h >= 0 ? 0 : fl);
    out.hi[i] = l >= 0 ? h : Math.max(fl, fh, h);
    lo = Math.min(lo, out.lo[i]!, fl, fh);
    hi = Math.max(hi, out.hi[i]!, fl, fh);
  });
  return { slope, shift, out, bits: bitsFor(lo, hi) };
}

/**
 * Chooses a power-of-two scale per tensor from calibration (max |value| × margin), quantizes weights and biases,
 * and fuses each ReLU into the affine layer before it. Scales come from calibration (precision where the data
 * lives); each layer's range check is then widened by interval analysis until it holds every value that any input
 * inside ±inputMaxAbs can produce, so every in-range input is provable (no overflow deep inside proving).
 */
export function quantize(parameters: QuantizeParameters): QuantProgram {
  const { program } = parameters;
  const inputBits = parameters.inputBits ?? 10;
  const activationBits = parameters.activationBits ?? 16;
  const weightBits = parameters.weightBits ?? 16;
  const margin = parameters.margin ?? 2;
  const [minBits, maxBits] = INPUT_BITS_RANGE;
  if (!Number.isInteger(inputBits) || inputBits < minBits || inputBits > maxBits)
    throw new InvalidInputError(`input bits must be an integer in [${minBits}, ${maxBits}], got ${inputBits}`);
  if (!Number.isInteger(activationBits) || activationBits < 2 || activationBits > MAX_ACTIVATION_BITS)
    throw new InvalidInputError(`activation bits must be an integer in [2, ${MAX_ACTIVATION_BITS}], got ${activationBits}`);
  if (!(parameters.inputMaxAbs > 0) || !Number.isFinite(parameters.inputMaxAbs))
    throw new InvalidInputError(`the input range (inputMaxAbs) must be a positive finite number, got ${parameters.inputMaxAbs}`);

  const maxAbs = program.layers.map(() => 0);
  // Calibrated range of each layer's input (index l: layer l's input; the program's input first).
  const inLo = [Infinity, ...program.layers.map(() => Infinity)];
  const inHi = [-Infinity, ...program.layers.map(() => -Infinity)];
  parameters.calibration.forEach((sample, s) => {
    for (let i = 0; i < sample.length; i++) {
      if (!Number.isFinite(sample[i]))
        throw new InvalidInputError(`calibration sample ${s} has a non-finite value at input[${i}] (${sample[i]})`);
      inLo[0] = Math.min(inLo[0]!, sample[i]!);
      inHi[0] = Math.max(inHi[0]!, sample[i]!);
    }
    evaluateFloat(program, sample).activations.forEach((a, l) => {
      for (const v of a) {
        if (!Number.isFinite(v)) throw new InvalidInputError(`calibration sample ${s} gives a non-finite value in layer ${l}`);
        maxAbs[l] = Math.max(maxAbs[l]!, Math.abs(v));
        inLo[l + 1] = Math.min(inLo[l + 1]!, v);
        inHi[l + 1] = Math.max(inHi[l + 1]!, v);
      }
    });
  });

  const inputScale = fracBits(parameters.inputMaxAbs, inputBits);
  const inputLimit = Math.round(parameters.inputMaxAbs * 2 ** inputScale);
  let bounds: Bounds = {
    lo: new Float64Array(size(program.inputShape)).fill(-inputLimit),
    hi: new Float64Array(size(program.inputShape)).fill(inputLimit),
  };
  let scale = inputScale;
  let bits = inputBits;
  const layers: QuantLayer[] = [];
  program.layers.forEach((layer, l) => {
    const outSize = size(layer.outShape);
    if (layer.kind === 'affine') {
      let wMax = 0;
      for (const r of layer.rows) for (const w of r.w) wMax = Math.max(wMax, Math.abs(w));
      let wScale = fracBits(wMax, weightBits);
      const quantRows = (ws: number): QuantAffineRow[] =>
        layer.rows.map((r) => ({
          idx: r.idx,
          w: Int32Array.from(r.w, (w) => Math.round(w * 2 ** ws)),
          b: Math.round(r.b * 2 ** (scale + ws)),
        }));
      let rows = quantRows(wScale);
      let acc = accumulatorBounds(rows, bounds);
      const accMax = () => {
        const e = extremes(acc);
        return Math.max(-e.lo, e.hi);
      };
      while (accMax() > MAX_ACCUMULATOR) {
        rows = quantRows(--wScale);
        acc = accumulatorBounds(rows, bounds);
      }
      let outScale = Math.min(scale + wScale, fracBits(maxAbs[l]! * margin, activationBits));
      let out: Bounds;
      let outBits: number;
      for (;;) {
        const shift = scale + wScale - outScale;
        out = { lo: acc.lo.map((v) => roundShift(v, shift)), hi: acc.hi.map((v) => roundShift(v, shift)) };
        const e = extremes(out);
        outBits = Math.max(activationBits, bitsFor(e.lo, e.hi));
        if (outBits <= MAX_ACTIVATION_BITS) break;
        outScale -= outBits - MAX_ACTIVATION_BITS;
      }
      layers.push({
        kind: 'affine',
        name: layer.name,
        ops: layer.ops,
        outSize,
        rows,
        relu: false,
        shift: scale + wScale - outScale,
        bits: outBits,
        inScale: scale,
        wScale,
        outScale,
      });
      bounds = out;
      scale = outScale;
      bits = outBits;
    } else if (layer.kind === 'relu') {
      const prev = layers[layers.length - 1];
      if (prev?.kind === 'affine' && !prev.relu) {
        prev.relu = true;
        prev.ops = [...prev.ops, 'Relu'];
      } else layers.push({ kind: 'relu', name: layer.name, ops: layer.ops, outSize, bits, outScale: scale });
      bounds = { lo: bounds.lo.map((v) => Math.max(0, v)), hi: bounds.hi.map((v) => Math.max(0, v)) };
    } else if (layer.kind === 'max') {
      layers.push({ kind: 'max', name: layer.name, ops: layer.ops, outSize, groups: layer.groups, bits, outScale: scale });
      const prev = bounds;
      bounds = {
        lo: Float64Array.from(layer.groups, (g) => maxOver(g, prev.lo)),
        hi: Float64Array.from(layer.groups, (g) => maxOver(g, prev.hi)),
      };
    } else if (layer.kind === 'prelu') {
      const q = quantizePrelu(layer.slope, bounds, weightBits);
      if (q.bits > MAX_ACTIVATION_BITS)
        throw new InvalidInputError(
          `layer ${layer.name}: its slopes need ${q.bits}-bit activations (at most ${MAX_ACTIVATION_BITS})`,
        );
      const outBits = Math.max(bits, q.bits);
      layers.push({
        kind: 'prelu',
        name: layer.name,
        ops: layer.ops,
        outSize,
        slope: q.slope,
        shift: q.shift,
        inBits: bits,
        bits: outBits,
        outScale: scale,
      });
      bounds = q.out;
      bits = outBits;
    } else if (layer.kind === 'pwl') {
      // A loop, not extremes(): that one always includes 0.
      const reach = { lo: Infinity, hi: -Infinity };
      for (let i = 0; i < bounds.lo.length; i++) {
        reach.lo = Math.min(reach.lo, bounds.lo[i]!);
        reach.hi = Math.max(reach.hi, bounds.hi[i]!);
      }
      const calibrated = inLo[l]! <= inHi[l]! ? { lo: inLo[l]!, hi: inHi[l]! } : { lo: 0, hi: 0 };
      const q = quantizePwl({
        activation: layer.activation,
        inScale: scale,
        inBits: bits,
        reach,
        calibrated,
        outScale: fracBits(maxAbs[l]! * margin, activationBits),
        activationBits,
        maxBits: MAX_ACTIVATION_BITS,
      });
      layers.push({
        kind: 'pwl',
        name: layer.name,
        ops: layer.ops,
        outSize,
        start: q.start,
        slope: q.slope,
        intercept: q.intercept,
        shift: q.shift,
        inBits: bits,
        bits: q.bits,
        outScale: q.outScale,
      });
      bounds = { lo: new Float64Array(outSize).fill(q.out.lo), hi: new Float64Array(outSize).fill(q.out.hi) };
      scale = q.outScale;
      bits = q.bits;
    } else {
      layers.push({ kind: 'permute', name: layer.name, ops: layer.ops, outSize, map: layer.map, bits, outScale: scale });
      const prev = bounds;
      bounds = { lo: Float64Array.from(layer.map, (i) => prev.lo[i]!), hi: Float64Array.from(layer.map, (i) => prev.hi[i]!) };
    }
  });

  for (const layer of layers) checkRescale(layer);
  // The output commitment range-checks the argmax index at the logits' width too: widen it until n - 1 fits.
  const nOut = size(program.outputShape);
  while (2 ** (bits - 1) <= nOut - 1) bits++;
  return {
    inputShape: program.inputShape,
    inputScale,
    inputBits,
    inputMaxAbs: parameters.inputMaxAbs,
    outputShape: program.outputShape,
    outputScale: scale,
    outputBits: bits,
    head: program.head,
    ...(program.headLayout ? { headLayout: program.headLayout } : {}),
    layers,
  };
}

import { InvalidInputError } from '../errors';
import { evaluateFloat, maxOver } from '../ir/evaluateFloat';
import { inputsOf, size, type AffineLayer, type Layer, type MulLayer, type Program } from '../ir/types';
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

function concatBounds(parts: Bounds[]): Bounds {
  const n = parts.reduce((a, p) => a + p.lo.length, 0);
  const out: Bounds = { lo: new Float64Array(n), hi: new Float64Array(n) };
  let at = 0;
  for (const p of parts) {
    out.lo.set(p.lo, at);
    out.hi.set(p.hi, at);
    at += p.lo.length;
  }
  return out;
}

/** Rescales an accumulator's bounds to the largest scale ≤ `outScale` whose values fit MAX_ACTIVATION_BITS. */
function fitOutput(acc: Bounds, accScale: number, outScale: number, activationBits: number) {
  for (;;) {
    const shift = accScale - outScale;
    const out = { lo: acc.lo.map((v) => roundShift(v, shift)), hi: acc.hi.map((v) => roundShift(v, shift)) };
    const e = extremes(out);
    const bits = Math.max(activationBits, bitsFor(e.lo, e.hi));
    if (bits <= MAX_ACTIVATION_BITS) return { out, bits, outScale, shift };
    outScale -= bits - MAX_ACTIVATION_BITS;
  }
}

/**
 * One affine layer: integer weights at the largest scale that keeps every accumulator below 2^50, the output at
 * the calibrated scale, range wide enough for every reachable value. `align[j]` (when the inputs' scales differ)
 * multiplies input j's weights to bring it to `scale`.
 */
function quantizeAffine(
  layer: AffineLayer,
  bounds: Bounds,
  scale: number,
  align: Float64Array | undefined,
  outMaxAbs: number,
  widths: { weightBits: number; activationBits: number },
) {
  const factor = (j: number) => (align ? align[j]! : 1);
  let wMax = 0;
  for (const r of layer.rows) for (let t = 0; t < r.w.length; t++) wMax = Math.max(wMax, Math.abs(r.w[t]! * factor(r.idx[t]!)));
  let wScale = fracBits(wMax, widths.weightBits);
  const quantRows = (ws: number): QuantAffineRow[] =>
    layer.rows.map((r) => ({
      idx: r.idx,
      w: Int32Array.from(r.w, (w, t) => Math.round(w * factor(r.idx[t]!) * 2 ** ws)),
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
  const fit = fitOutput(
    acc,
    scale + wScale,
    Math.min(scale + wScale, fracBits(outMaxAbs, widths.activationBits)),
    widths.activationBits,
  );
  const quantized: QuantLayer & { kind: 'affine' } = {
    kind: 'affine',
    name: layer.name,
    ops: layer.ops,
    outSize: layer.rows.length,
    rows,
    relu: false,
    shift: fit.shift,
    bits: fit.bits,
    inScale: scale,
    wScale,
    outScale: fit.outScale,
  };
  return { quantized, out: fit.out };
}

/**
 * A product of two activations of one tensor (scale s): the exact product has scale 2s and is rescaled to the
 * calibrated output scale. Refused when a product could pass 2^50 (the evaluator's exact range).
 */
function quantizeMul(layer: MulLayer, bounds: Bounds, scale: number, outMaxAbs: number, activationBits: number) {
  const n = layer.left.length;
  const acc: Bounds = { lo: new Float64Array(n), hi: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const [a, b] = [layer.left[i]!, layer.right[i]!];
    const corners = [
      bounds.lo[a]! * bounds.lo[b]!,
      bounds.lo[a]! * bounds.hi[b]!,
      bounds.hi[a]! * bounds.lo[b]!,
      bounds.hi[a]! * bounds.hi[b]!,
    ];
    // x·x is a square: never negative.
    acc.lo[i] = a === b ? (bounds.lo[a]! <= 0 && bounds.hi[a]! >= 0 ? 0 : Math.min(...corners)) : Math.min(...corners);
    acc.hi[i] = Math.max(...corners);
  }
  const e = extremes(acc);
  if (Math.max(-e.lo, e.hi) > MAX_ACCUMULATOR)
    throw new InvalidInputError(
      `layer '${layer.name}' (${layer.ops.join('+')}): a product of its inputs could reach 2^${Math.ceil(Math.log2(Math.max(-e.lo, e.hi)))} (at most 2^50)`,
    );
  const fit = fitOutput(acc, 2 * scale, Math.min(2 * scale, fracBits(outMaxAbs, activationBits)), activationBits);
  const quantized: QuantLayer & { kind: 'mul' } = {
    kind: 'mul',
    name: layer.name,
    ops: layer.ops,
    outSize: n,
    left: layer.left,
    right: layer.right,
    shift: fit.shift,
    bits: fit.bits,
    outScale: fit.outScale,
  };
  return { quantized, out: fit.out };
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

  const nTensors = program.layers.length + 1;
  // How many layers read each program tensor (the output counts as one more): a ReLU fuses into the affine layer
  // before it only when nothing else reads the value before the ReLU.
  const readers = new Array<number>(nTensors).fill(0);
  program.layers.forEach((layer, l) => inputsOf(layer, l).forEach((t) => (readers[t] = readers[t]! + 1)));
  readers[nTensors - 1] = readers[nTensors - 1]! + 1;

  // Calibrated range of every program tensor (0: the input, l + 1: layer l's output).
  const maxAbs = new Array<number>(nTensors).fill(0);
  const lo = new Array<number>(nTensors).fill(Infinity);
  const hi = new Array<number>(nTensors).fill(-Infinity);
  const observe = (t: number, v: number) => {
    maxAbs[t] = Math.max(maxAbs[t]!, Math.abs(v));
    lo[t] = Math.min(lo[t]!, v);
    hi[t] = Math.max(hi[t]!, v);
  };
  parameters.calibration.forEach((sample, s) => {
    for (let i = 0; i < sample.length; i++) {
      if (!Number.isFinite(sample[i]))
        throw new InvalidInputError(`calibration sample ${s} has a non-finite value at input[${i}] (${sample[i]})`);
      observe(0, sample[i]!);
    }
    evaluateFloat(program, sample).activations.forEach((a, l) => {
      for (const v of a) {
        if (!Number.isFinite(v)) throw new InvalidInputError(`calibration sample ${s} gives a non-finite value in layer ${l}`);
        observe(l + 1, v);
      }
    });
  });

  const inputScale = fracBits(parameters.inputMaxAbs, inputBits);
  const inputLimit = Math.round(parameters.inputMaxAbs * 2 ** inputScale);
  // The fixed-point state of every program tensor: integer bounds, scale, bits, and which tensor of the quantized
  // program holds it (a fused ReLU shares its affine layer's tensor).
  type TensorState = { bounds: Bounds; scale: number; bits: number; q: number };
  const state: TensorState[] = [
    {
      bounds: {
        lo: new Float64Array(size(program.inputShape)).fill(-inputLimit),
        hi: new Float64Array(size(program.inputShape)).fill(inputLimit),
      },
      scale: inputScale,
      bits: inputBits,
      q: 0,
    },
  ];
  const layers: QuantLayer[] = [];
  /** Appends a quantized layer reading quantized tensors `qIns`; its output becomes program tensor `t`. */
  const emit = (layer: QuantLayer, qIns: number[], t: number, out: Omit<TensorState, 'q'>) => {
    const j = layers.length;
    if (!(qIns.length === 1 && qIns[0] === j)) layer.inputs = qIns;
    layers.push(layer);
    state[t] = { ...out, q: j + 1 };
  };

  program.layers.forEach((source, l) => {
    const outSize = size(source.outShape);
    const ins = inputsOf(source, l).map((t) => state[t]!);
    const qIns = ins.map((s) => s.q);
    const bounds = ins.length === 1 ? ins[0]!.bounds : concatBounds(ins.map((s) => s.bounds));
    const scale = Math.max(...ins.map((s) => s.scale));
    const bits = Math.max(...ins.map((s) => s.bits));
    const sameScale = ins.every((s) => s.scale === scale);
    let layer: Layer = source;
    // A concatenation of tensors at different scales is no longer free: it becomes an affine map that aligns them.
    if (layer.kind === 'permute' && !sameScale)
      layer = {
        kind: 'affine',
        name: layer.name,
        ops: layer.ops,
        outShape: layer.outShape,
        rows: Array.from(layer.map, (j) => ({ idx: Int32Array.of(j), w: Float64Array.of(1), b: 0 })),
      };
    if (layer.kind !== 'affine' && layer.kind !== 'permute' && ins.length !== 1)
      throw new InvalidInputError(
        `layer '${layer.name}' (${layer.kind}) reads ${ins.length} tensors (only affine and permute layers may)`,
      );
    if (layer.kind === 'affine') {
      // Each input tensor's integers, brought to the largest scale among them by its weights.
      let align: Float64Array | undefined;
      if (!sameScale) {
        align = new Float64Array(bounds.lo.length);
        let at = 0;
        for (const s of ins) align.fill(2 ** (scale - s.scale), at, (at += s.bounds.lo.length));
      }
      const { quantized, out } = quantizeAffine(layer, bounds, scale, align, maxAbs[l + 1]! * margin, {
        weightBits,
        activationBits,
      });
      emit(quantized, qIns, l + 1, { bounds: out, scale: quantized.outScale, bits: quantized.bits });
    } else if (layer.kind === 'relu') {
      const prev = layers[layers.length - 1];
      const relued = { lo: bounds.lo.map((v) => Math.max(0, v)), hi: bounds.hi.map((v) => Math.max(0, v)) };
      const fusable = qIns[0] === layers.length && readers[inputsOf(layer, l)[0]!] === 1;
      if (fusable && prev?.kind === 'affine' && !prev.relu) {
        prev.relu = true;
        prev.ops = [...prev.ops, 'Relu'];
        state[l + 1] = { bounds: relued, scale, bits, q: qIns[0]! };
      } else
        emit({ kind: 'relu', name: layer.name, ops: layer.ops, outSize, bits, outScale: scale }, qIns, l + 1, {
          bounds: relued,
          scale,
          bits,
        });
    } else if (layer.kind === 'max') {
      const out = {
        lo: Float64Array.from(layer.groups, (g) => maxOver(g, bounds.lo)),
        hi: Float64Array.from(layer.groups, (g) => maxOver(g, bounds.hi)),
      };
      emit({ kind: 'max', name: layer.name, ops: layer.ops, outSize, groups: layer.groups, bits, outScale: scale }, qIns, l + 1, {
        bounds: out,
        scale,
        bits,
      });
    } else if (layer.kind === 'prelu') {
      const q = quantizePrelu(layer.slope, bounds, weightBits);
      if (q.bits > MAX_ACTIVATION_BITS)
        throw new InvalidInputError(
          `layer ${layer.name}: its slopes need ${q.bits}-bit activations (at most ${MAX_ACTIVATION_BITS})`,
        );
      const outBits = Math.max(bits, q.bits);
      emit(
        {
          kind: 'prelu',
          name: layer.name,
          ops: layer.ops,
          outSize,
          slope: q.slope,
          shift: q.shift,
          inBits: bits,
          bits: outBits,
          outScale: scale,
        },
        qIns,
        l + 1,
        { bounds: q.out, scale, bits: outBits },
      );
    } else if (layer.kind === 'pwl') {
      // A loop, not extremes(): that one always includes 0.
      const reach = { lo: Infinity, hi: -Infinity };
      for (let i = 0; i < bounds.lo.length; i++) {
        reach.lo = Math.min(reach.lo, bounds.lo[i]!);
        reach.hi = Math.max(reach.hi, bounds.hi[i]!);
      }
      const t = inputsOf(layer, l)[0]!;
      const calibrated = lo[t]! <= hi[t]! ? { lo: lo[t]!, hi: hi[t]! } : { lo: 0, hi: 0 };
      const q = quantizePwl({
        activation: layer.activation,
        inScale: scale,
        inBits: bits,
        reach,
        calibrated,
        outScale: fracBits(maxAbs[l + 1]! * margin, activationBits),
        activationBits,
        maxBits: MAX_ACTIVATION_BITS,
      });
      emit(
        {
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
        },
        qIns,
        l + 1,
        {
          bounds: { lo: new Float64Array(outSize).fill(q.out.lo), hi: new Float64Array(outSize).fill(q.out.hi) },
          scale: q.outScale,
          bits: q.bits,
        },
      );
    } else if (layer.kind === 'mul') {
      const q = quantizeMul(layer, bounds, scale, maxAbs[l + 1]! * margin, activationBits);
      emit(q.quantized, qIns, l + 1, { bounds: q.out, scale: q.quantized.outScale, bits: q.quantized.bits });
    } else {
      const out = {
        lo: Float64Array.from(layer.map, (i) => bounds.lo[i]!),
        hi: Float64Array.from(layer.map, (i) => bounds.hi[i]!),
      };
      emit({ kind: 'permute', name: layer.name, ops: layer.ops, outSize, map: layer.map, bits, outScale: scale }, qIns, l + 1, {
        bounds: out,
        scale,
        bits,
      });
    }
  });

  const last = state[nTensors - 1]!;
  const scale = last.scale;
  let bits = last.bits;
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

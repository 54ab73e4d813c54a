import { activationFloat, activationShape, type Activation } from '../ir/activation';
import { InvalidInputError } from '../errors';
import { roundShift } from './types';

/** Uniform segments over an activation's calibrated input range (widened by PWL_WIDEN of its width each side). */
export const PWL_SEGMENTS = 32;
const PWL_WIDEN = 0.1;
/** Points per segment at which the deviation of f from its chord is measured. */
const PWL_PROBES = 32;
/** Keeps slope·in + intercept exact in float64 and far below the field modulus. */
const MAX_ACCUMULATOR = 2 ** 50;

export type QuantizePwlParameters = {
  activation: Activation;
  inScale: number;
  inBits: number;
  /** Integer range every element of the input can take (interval analysis). */
  reach: { lo: number; hi: number };
  /** Float range of the input over the calibration samples. */
  calibrated: { lo: number; hi: number };
  /** Output scale wanted (from calibration); lowered while the output needs more than maxBits. */
  outScale: number;
  activationBits: number;
  maxBits: number;
};

export type QuantizePwlReturnType = {
  start: number[];
  slope: number[];
  intercept: number[];
  shift: number;
  outScale: number;
  bits: number;
  /** Integer range of the output over the reachable inputs. */
  out: { lo: number; hi: number };
};

/** Segment starts: -2^(inBits-1), then the activation's kinks and (for a smooth one) a uniform calibrated grid. */
function segmentStarts(p: QuantizePwlParameters): number[] {
  const min = -(2 ** (p.inBits - 1));
  const max = 2 ** (p.inBits - 1);
  const unit = 2 ** p.inScale;
  const shape = activationShape(p.activation);
  const points = shape.kinks.map((k) => Math.ceil(k * unit));
  if (shape.geometric) {
    const lo = Math.max(1, p.reach.lo, points[0] ?? 1);
    const hi = p.reach.hi;
    const steps = 2 * PWL_SEGMENTS;
    if (hi > lo) for (let j = 0; j <= steps; j++) points.push(Math.round(lo * (hi / lo) ** (j / steps)));
  } else if (!shape.linear) {
    const width = p.calibrated.hi - p.calibrated.lo;
    const lo = Math.max(p.reach.lo, Math.floor((p.calibrated.lo - PWL_WIDEN * width) * unit));
    const hi = Math.min(p.reach.hi, Math.ceil((p.calibrated.hi + PWL_WIDEN * width) * unit));
    if (hi > lo) for (let j = 0; j <= PWL_SEGMENTS; j++) points.push(Math.round(lo + ((hi - lo) * j) / PWL_SEGMENTS));
    // Where the slope is unbounded (√x at 0) a chord's error shrinks only with the segment's length itself:
    // segments halve towards that point, down to one input step.
    if (shape.steepAt !== undefined && hi > lo) {
      const at = Math.round(shape.steepAt * unit);
      for (let d = (hi - lo) / PWL_SEGMENTS / 2; d >= 1; d /= 2) points.push(at + Math.round(d));
    }
  }
  const inner = [...new Set(points.filter((v) => v > min && v < max))].sort((a, b) => a - b);
  return [min, ...inner];
}

/**
 * The fixed-point table of a scalar activation: on segment k the output integer is
 * roundShift(slope[k]·in + intercept[k], shift), the chord of f through the segment's first and last reachable
 * input integer (a constant where only one is reachable; unreachable segments repeat the nearest reachable value),
 * moved to the middle of f's deviation from it.
 * The intercept is anchored at the chord's first point, so rounding the slope costs at most
 * |Δslope|·(segment width) / 2^shift.
 */
export function quantizePwl(p: QuantizePwlParameters): QuantizePwlReturnType {
  const start = segmentStarts(p);
  const end = (k: number) => (k + 1 < start.length ? start[k + 1]! : 2 ** (p.inBits - 1)) - 1;
  const clamp = (v: number) => Math.min(p.reach.hi, Math.max(p.reach.lo, v));
  const f = (v: number) => activationFloat(p.activation, v / 2 ** p.inScale);
  let outScale = p.outScale;
  for (;;) {
    let shift = p.inBits + 2;
    for (;;) {
      const slope: number[] = [];
      const intercept: number[] = [];
      let lo = Infinity;
      let hi = -Infinity;
      let accMax = 0;
      start.forEach((s, k) => {
        const u = clamp(s);
        const w = clamp(end(k));
        const [yu, yw] = [f(u) * 2 ** outScale, f(w) * 2 ** outScale];
        const a = w > u ? Math.round(((yw - yu) / (w - u)) * 2 ** shift) : 0;
        let c = Math.round(yu * 2 ** shift) - a * u;
        // Minimax: move the chord by the middle of f's deviation from it, which halves the error of a convex or
        // concave piece (and leaves an exactly linear one alone).
        let dLo = 0;
        let dHi = 0;
        for (let t = 1; t < PWL_PROBES; t++) {
          const v = Math.round(u + ((w - u) * t) / PWL_PROBES);
          const d = f(v) * 2 ** (outScale + shift) - (a * v + c);
          dLo = Math.min(dLo, d);
          dHi = Math.max(dHi, d);
        }
        c += Math.round((dLo + dHi) / 2);
        slope.push(a);
        intercept.push(c);
        // Linear on the segment: its reachable ends bound the output and the accumulator.
        for (const v of [u, w]) {
          const acc = a * v + c;
          accMax = Math.max(accMax, Math.abs(acc));
          const y = roundShift(acc, shift);
          lo = Math.min(lo, y);
          hi = Math.max(hi, y);
        }
        // The accumulator at the segment's own ends (inputs a range check admits but interval analysis rules out),
        // and each term alone: the evaluator adds them in float64, exact only while every term stays below 2^53.
        for (const v of [s, end(k)]) accMax = Math.max(accMax, Math.abs(a * v + c), Math.abs(a * v), Math.abs(c));
      });
      if (accMax > MAX_ACCUMULATOR) {
        if (shift === 0)
          throw new InvalidInputError(
            `a ${p.activation.op} table over ${p.inBits}-bit inputs cannot keep its products below 2^50 (the output range is too wide for the circuit)`,
          );
        shift--;
        continue;
      }
      const m = Math.max(-lo - 1, hi, 1);
      const bits = Math.max(p.activationBits, Math.floor(Math.log2(m)) + 2);
      if (bits <= p.maxBits) return { start, slope, intercept, shift, outScale, bits, out: { lo, hi } };
      outScale -= bits - p.maxBits;
      break;
    }
  }
}

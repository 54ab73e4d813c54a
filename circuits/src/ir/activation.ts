import { UnsupportedOperatorError } from '../errors';
import { constant, optionalConstant, type NodeContext } from './nodeAttributes';

/**
 * A scalar activation applied to every element, with its ONNX attributes resolved. The fixed-point program
 * approximates it piecewise-linearly (quantize/quantizePwl.ts); the float path computes it exactly.
 */
export type Activation =
  | { op: 'Sigmoid' | 'Tanh' | 'Softplus' | 'Softsign' | 'Abs' | 'HardSwish' | 'Exp' | 'Erf' | 'Sqrt' }
  | { op: 'Gelu'; approximate: 'none' | 'tanh' }
  /** x^exponent; a fractional exponent of a negative x gives 0 (onnxruntime: NaN), as Sqrt does. */
  | { op: 'Pow'; exponent: number }
  | { op: 'Elu'; alpha: number }
  | { op: 'Selu'; alpha: number; gamma: number }
  | { op: 'HardSigmoid'; alpha: number; beta: number }
  | { op: 'Clip'; min: number; max: number }
  /** 1/√max(x, floor): the normalizations' inverse standard deviation (floor: their epsilon), not an ONNX op. */
  | { op: 'InvSqrt'; floor: number };

export const ACTIVATION_OPS = [
  'Sigmoid',
  'Tanh',
  'Softplus',
  'Softsign',
  'Elu',
  'Selu',
  'HardSigmoid',
  'HardSwish',
  'Clip',
  'Abs',
  'Exp',
  'Erf',
  'Gelu',
  'Sqrt',
  'Pow',
  'Max',
  'Min',
] as const;

/** Softplus without overflow: log(1 + e^x) = max(x, 0) + log1p(e^-|x|). */
const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/**
 * erf: its Maclaurin series below |x| = 2.5 (cancellation keeps it within 1e-13 there), Abramowitz & Stegun 7.1.26
 * above (|error| < 1.5e-7 where erf is within 4e-4 of ±1). Hand-rolled because JavaScript's Math has no erf; the
 * float path only needs to match onnxruntime's float32 within 1e-4.
 */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = x;
    let sum = x;
    for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  const t = 1 / (1 + 0.3275911 * a);
  const poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  return Math.sign(x) * (1 - poly * Math.exp(-a * a));
}

/** The activation in float64, as onnxruntime computes it (in float32). */
export function activationFloat(a: Activation, x: number): number {
  switch (a.op) {
    case 'Sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'Tanh':
      return Math.tanh(x);
    case 'Softplus':
      return softplus(x);
    case 'Softsign':
      return x / (1 + Math.abs(x));
    case 'Abs':
      return Math.abs(x);
    case 'HardSwish':
      return x * Math.max(0, Math.min(1, x / 6 + 0.5));
    case 'Elu':
      return x >= 0 ? x : a.alpha * Math.expm1(x);
    case 'Selu':
      return x > 0 ? a.gamma * x : a.gamma * a.alpha * Math.expm1(x);
    case 'HardSigmoid':
      return Math.max(0, Math.min(1, a.alpha * x + a.beta));
    case 'Clip':
      return Math.min(a.max, Math.max(a.min, x));
    case 'Exp':
      return Math.exp(x);
    case 'Erf':
      return erf(x);
    case 'Gelu':
      return a.approximate === 'tanh'
        ? 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))
        : 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'Sqrt':
      return x > 0 ? Math.sqrt(x) : 0;
    case 'Pow':
      return x < 0 && !Number.isInteger(a.exponent) ? 0 : x ** a.exponent;
    case 'InvSqrt':
      return 1 / Math.sqrt(Math.max(x, a.floor));
  }
}

/**
 * The activation's shape for a piecewise-linear table: its kinks (breakpoints every table must have) and whether it
 * is exactly linear between them (then the table is exact up to rounding; otherwise chords of a uniform grid), and
 * where its slope is unbounded (√x at 0: the grid is refined geometrically towards that point). `geometric`: the grid
 * is geometric over the whole reachable range above the first kink (1/√x, whose relative curvature is constant).
 */
export function activationShape(a: Activation): { kinks: number[]; linear: boolean; steepAt?: number; geometric?: boolean } {
  switch (a.op) {
    case 'Abs':
      return { kinks: [0], linear: true };
    case 'HardSigmoid':
      return { kinks: [-a.beta / a.alpha, (1 - a.beta) / a.alpha].sort((x, y) => x - y), linear: true };
    case 'Clip':
      return { kinks: [a.min, a.max].filter(Number.isFinite), linear: true };
    case 'HardSwish':
      return { kinks: [-3, 3], linear: false };
    case 'Elu':
    case 'Selu':
    case 'Softsign':
      return { kinks: [0], linear: false };
    case 'Sqrt':
      return { kinks: [0], linear: false, steepAt: 0 };
    case 'Pow':
      return a.exponent > 0 && a.exponent < 1 ? { kinks: [0], linear: false, steepAt: 0 } : { kinks: [], linear: false };
    case 'InvSqrt':
      // A variance may lie anywhere above ε, not only where calibration saw it: a geometric grid over the whole
      // reachable range keeps every chord within a fixed relative error.
      return { kinks: [a.floor], linear: false, geometric: true };
    default:
      return { kinks: [], linear: false };
  }
}

const attr = (ctx: NodeContext, key: string, fallback: number): number => {
  const v = ctx.node.attributes[key];
  return typeof v === 'number' ? v : fallback;
};

/** Clip's bounds: attributes before opset 11, optional constant inputs from it (absent: unbounded). */
function clipBounds(ctx: NodeContext): { min: number; max: number } {
  const { graph, node } = ctx;
  if (graph.opset < 11) return { min: attr(ctx, 'min', -Infinity), max: attr(ctx, 'max', Infinity) };
  const bound = (k: number, fallback: number) => {
    const t = optionalConstant(graph, node, k);
    if (t && t.data.length !== 1) throw new UnsupportedOperatorError('Clip', node.name, `input ${k} is not a scalar`);
    return t ? t.data[0]! : fallback;
  };
  return { min: bound(1, -Infinity), max: bound(2, Infinity) };
}

/** The activation of an elementwise ONNX node, attributes checked (ONNX defaults where absent). */
export function activationOf(ctx: NodeContext): Activation {
  const { node } = ctx;
  let a: Activation;
  switch (node.opType) {
    case 'Elu':
      a = { op: 'Elu', alpha: attr(ctx, 'alpha', 1) };
      break;
    case 'Selu':
      a = {
        op: 'Selu',
        alpha: attr(ctx, 'alpha', 1.67326319217681884765625),
        gamma: attr(ctx, 'gamma', 1.05070102214813232421875),
      };
      break;
    case 'HardSigmoid':
      a = { op: 'HardSigmoid', alpha: attr(ctx, 'alpha', 0.2), beta: attr(ctx, 'beta', 0.5) };
      if (a.alpha === 0) throw new UnsupportedOperatorError('HardSigmoid', node.name, 'alpha=0 (a constant)');
      break;
    case 'Gelu': {
      const approximate = ctx.node.attributes.approximate ?? 'none';
      if (approximate !== 'none' && approximate !== 'tanh')
        throw new UnsupportedOperatorError('Gelu', node.name, `approximate='${String(approximate)}'`);
      a = { op: 'Gelu', approximate };
      break;
    }
    case 'Pow': {
      const e = constant(ctx.graph, node, node.inputs[1]);
      if (node.inputs[0] !== ctx.input.name || e.data.length !== 1)
        throw new UnsupportedOperatorError('Pow', node.name, 'only an activation to a constant scalar power');
      a = { op: 'Pow', exponent: e.data[0]! };
      if (a.exponent < 0) throw new UnsupportedOperatorError('Pow', node.name, `negative exponent ${a.exponent} (a pole at 0)`);
      break;
    }
    case 'Max':
    case 'Min': {
      // Max/Min of the activation and one constant scalar: a Clip with one bound.
      const other = node.inputs.filter((name) => name !== ctx.input.name);
      if (node.inputs.length !== 2 || other.length !== 1)
        throw new UnsupportedOperatorError(node.opType, node.name, 'only of the activation and one constant');
      const c = constant(ctx.graph, node, other[0]);
      if (c.data.length !== 1) throw new UnsupportedOperatorError(node.opType, node.name, 'a constant that is not a scalar');
      a =
        node.opType === 'Max' ? { op: 'Clip', min: c.data[0]!, max: Infinity } : { op: 'Clip', min: -Infinity, max: c.data[0]! };
      if (Number.isNaN(c.data[0])) throw new UnsupportedOperatorError(node.opType, node.name, 'a NaN bound');
      return a;
    }
    case 'Clip':
      a = { op: 'Clip', ...clipBounds(ctx) };
      if (Number.isNaN(a.min) || Number.isNaN(a.max) || a.min > a.max)
        throw new UnsupportedOperatorError('Clip', node.name, `min ${a.min} above max ${a.max}`);
      return a;
    default:
      a = { op: node.opType as 'Sigmoid' };
  }
  for (const [key, v] of Object.entries(a))
    if (typeof v === 'number' && !Number.isFinite(v))
      throw new UnsupportedOperatorError(node.opType, node.name, `${key}=${v} is not finite`);
  return a;
}

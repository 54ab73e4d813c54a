import { UnsupportedOperatorError } from '../errors';
import { optionalConstant, type NodeContext } from './nodeAttributes';

/**
 * A scalar activation applied to every element, with its ONNX attributes resolved. The fixed-point program
 * approximates it piecewise-linearly (quantize/quantizePwl.ts); the float path computes it exactly.
 */
export type Activation =
  | { op: 'Sigmoid' | 'Tanh' | 'Softplus' | 'Softsign' | 'Abs' | 'HardSwish' }
  | { op: 'Elu'; alpha: number }
  | { op: 'Selu'; alpha: number; gamma: number }
  | { op: 'HardSigmoid'; alpha: number; beta: number }
  | { op: 'Clip'; min: number; max: number };

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
] as const;

/** Softplus without overflow: log(1 + e^x) = max(x, 0) + log1p(e^-|x|). */
const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

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
  }
}

/**
 * The activation's shape for a piecewise-linear table: its kinks (breakpoints every table must have) and whether it
 * is exactly linear between them (then the table is exact up to rounding; otherwise chords of a uniform grid).
 */
export function activationShape(a: Activation): { kinks: number[]; linear: boolean } {
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

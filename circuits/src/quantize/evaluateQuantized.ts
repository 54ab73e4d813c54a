import { ActivationOverflowError, InvalidInputError } from '../errors';
import { maxOver } from '../ir/evaluateFloat';
import { readInputs, size } from '../ir/types';
import { roundShift, type QuantProgram } from './types';

export type EvaluateQuantizedReturnType = {
  /** The last layer's integers (scale `outputScale`). */
  output: number[];
  /** Index of the largest output (lowest index on ties), as the circuit computes it. */
  argmax: number;
  /** Every layer's integers, for witness tests. */
  activations: number[][];
};

/**
 * Float input → the integers the circuit takes: round(x · 2^inputScale). Rejects NaN, ±∞, wrong sizes and any value
 * outside the model's declared range ±inputMaxAbs, before any work; every value inside it is provable (quantize
 * sizes each layer for the whole range).
 */
export function quantizeInput(
  program: Pick<QuantProgram, 'inputShape' | 'inputScale' | 'inputMaxAbs'>,
  input: ArrayLike<unknown>,
): number[] {
  const expected = size(program.inputShape);
  if (input.length !== expected)
    throw new InvalidInputError(
      `input has ${input.length} values, the model takes ${expected} (shape [${program.inputShape.join(', ')}])`,
    );
  const limit = program.inputMaxAbs;
  return Array.from(input, (x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x))
      throw new InvalidInputError(`input[${i}] is ${String(x)}: every value must be a finite number`);
    if (Math.abs(x) > limit)
      throw new InvalidInputError(`input[${i}] = ${x} is outside the model's input range [${-limit}, ${limit}]`);
    return Math.round(x * 2 ** program.inputScale);
  });
}

/** The segment of a piecewise-linear table holding v: the last k with start[k] ≤ v (binary search). */
export function segmentOf(start: number[], v: number): number {
  let lo = 0;
  let hi = start.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (start[mid]! <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The project's fixed-point evaluator: the circuit's integer semantics, exactly. Plain float64 arithmetic is exact
 * here because `quantize` bounds every accumulator below 2^50 and division by 2^shift is exact.
 */
export function evaluateQuantized(program: QuantProgram, inputQ: number[]): EvaluateQuantizedReturnType {
  const tensors: ArrayLike<number>[] = [inputQ];
  program.layers.forEach((layer, l) => {
    const x = readInputs(tensors, layer, l);
    const bound = 2 ** (layer.bits - 1);
    const checked = (y: number) => {
      if (y < -bound || y >= bound) throw new ActivationOverflowError(layer.name, y, bound);
      return y;
    };
    let y: number[];
    switch (layer.kind) {
      case 'affine':
        y = layer.rows.map((r) => {
          let acc = r.b;
          for (let t = 0; t < r.idx.length; t++) acc += r.w[t]! * x[r.idx[t]!]!;
          const v = checked(roundShift(acc, layer.shift));
          return layer.relu && v < 0 ? 0 : v;
        });
        break;
      case 'relu':
        y = Array.from(x, (v) => (v < 0 ? 0 : v));
        break;
      case 'max':
        // A loop, not Math.max(...spread): a window can be larger than the call stack's room for arguments.
        y = layer.groups.map((g) => maxOver(g, x));
        break;
      case 'prelu':
        // The circuit rescales slope·v and range-checks it on both branches.
        y = Array.from(x, (v, i) => {
          const r = checked(roundShift(layer.slope[i]! * v, layer.shift));
          return v >= 0 ? v : r;
        });
        break;
      case 'pwl': {
        // The table covers exactly the inputs of inBits bits, as the circuit's segment checks do.
        const inBound = 2 ** (layer.inBits - 1);
        y = Array.from(x, (v) => {
          if (v < -inBound || v >= inBound) throw new ActivationOverflowError(layer.name, v, inBound);
          const k = segmentOf(layer.start, v);
          return checked(roundShift(layer.slope[k]! * v + layer.intercept[k]!, layer.shift));
        });
        break;
      }
      case 'mul':
        y = Array.from(layer.left, (a, i) => checked(roundShift(x[a]! * x[layer.right[i]!]!, layer.shift)));
        break;
      case 'permute':
        y = Array.from(layer.map, (i) => x[i]!);
        break;
    }
    tensors.push(y);
  });
  const activations = tensors.slice(1) as number[][];
  const output = tensors[tensors.length - 1] as number[];
  let best = 0;
  for (let i = 1; i < output.length; i++) if (output[i]! > output[best]!) best = i;
  return { output, argmax: best, activations };
}

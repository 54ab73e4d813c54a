import { activationFloat, type Activation } from '../ir/activation';
import type { Program } from '../ir/types';
import { evaluateQuantized } from './evaluateQuantized';
import { quantize } from './quantize';

/** One activation over a vector of `n` inputs, as lowering produces it. */
function program(activation: Activation, n: number): Program {
  return {
    inputName: 'x',
    inputShape: [n],
    batch: 1,
    outputName: 'y',
    outputShape: [n],
    layers: [{ kind: 'pwl', name: 'act', ops: [activation.op], outShape: [n], activation }],
    head: 'none',
    sourceOps: [activation.op],
  };
}

/**
 * Largest |fixed point − f(x)| over x in the calibrated range [-4, 4] at 16-bit input and activations, f taken at
 * the quantized input (the table's own error; the README's operator table states the same figures). Smooth ones:
 * 32 minimax chords, about max|f''|·h²/16 with h = 9.6/32; piecewise-linear ones: half an output step.
 */
const BOUNDS: [Activation, number][] = [
  [{ op: 'Sigmoid' }, 5e-4],
  [{ op: 'Tanh' }, 3.5e-3],
  [{ op: 'Softplus' }, 1.5e-3],
  [{ op: 'Elu', alpha: 1 }, 4e-3],
  [{ op: 'Selu', alpha: 1.67326319217681884765625, gamma: 1.05070102214813232421875 }, 7e-3],
  [{ op: 'Softsign' }, 6e-3],
  [{ op: 'HardSwish' }, 2e-3],
  [{ op: 'HardSigmoid', alpha: 0.2, beta: 0.5 }, 1e-4],
  [{ op: 'Clip', min: -1, max: 1.5 }, 1e-4],
  [{ op: 'Abs' }, 1e-4],
  // Exp and x³ grow to e^4 and 64 over [-4, 4]: 0.35% and 0.15% of the largest output.
  [{ op: 'Exp' }, 0.2],
  [{ op: 'Erf' }, 4e-3],
  [{ op: 'Gelu', approximate: 'none' }, 3.5e-3],
  [{ op: 'Gelu', approximate: 'tanh' }, 3.5e-3],
  // Segments halve towards 0, where √x is steep (44 segments instead of 34).
  [{ op: 'Sqrt' }, 5e-3],
  [{ op: 'Pow', exponent: 2 }, 9e-3],
  [{ op: 'Pow', exponent: 0.5 }, 5e-3],
  [{ op: 'Pow', exponent: 3 }, 0.1],
];

describe('piecewise-linear activations in fixed point', () => {
  const R = 4;
  const n = 4097;
  const grid = Array.from({ length: n }, (_, i) => -R + (2 * R * i) / (n - 1));

  it.each(BOUNDS.map(([a, bound]) => [a.op, a, bound] as const))('%s stays within its stated error', (_op, activation, bound) => {
    const q = quantize({ program: program(activation, n), calibration: [grid], inputMaxAbs: R, inputBits: 16 });
    const layer = q.layers[0]!;
    if (layer.kind !== 'pwl') throw new Error('expected a pwl layer');
    const xq = grid.map((x) => Math.round(x * 2 ** q.inputScale));
    const out = evaluateQuantized(q, xq).output;
    let worst = 0;
    out.forEach((y, i) => {
      worst = Math.max(worst, Math.abs(y / 2 ** q.outputScale - activationFloat(activation, xq[i]! / 2 ** q.inputScale)));
    });
    expect(worst).toBeLessThanOrEqual(bound);
    // The table covers every input integer the range check admits, and its output fits the range check.
    expect(layer.start[0]).toBe(-(2 ** 15));
    for (const y of out) expect(Math.abs(y)).toBeLessThan(2 ** (layer.bits - 1));
  });

  it('saturates outside the calibrated range (Sigmoid calibrated on [-1, 1], fed ±4)', () => {
    const activation: Activation = { op: 'Sigmoid' };
    const q = quantize({ program: program(activation, 2), calibration: [[-1, 1]], inputMaxAbs: R, inputBits: 16 });
    const y = evaluateQuantized(q, [-R * 2 ** q.inputScale, R * 2 ** q.inputScale]).output.map((v) => v / 2 ** q.outputScale);
    // Outside the grid one chord runs to the reachable end: within its chord error of the function there.
    expect(Math.abs(y[0]! - activationFloat(activation, -R))).toBeLessThan(0.05);
    expect(Math.abs(y[1]! - activationFloat(activation, R))).toBeLessThan(0.05);
  });
});

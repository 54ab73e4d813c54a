import { rng } from '../../models/train/dense';
import { InvalidInputError } from '../errors';
import { lowerGraph } from '../ir/lowerGraph';
import type { Program } from '../ir/types';
import { readModel } from '../onnx/readModel';
import { writeModel } from '../onnx/writeModel';
import { circuitInput } from '../proveInference';
import { buildModelR1cs, modelWitness } from '../r1cs/modelCircuit';
import { evaluateQuantized, quantizeInput } from './evaluateQuantized';
import { quantize } from './quantize';

const random = rng(7);
const randoms = (n: number) => Array.from({ length: n }, () => random() * 2 - 1);

/** One Gemm of in × out, as PyTorch exports nn.Linear (transB = 1). */
function dense(inputs: number, outputs: number) {
  return lowerGraph(
    readModel(
      writeModel({
        inputs: [{ name: 'x', shape: [1, inputs] }],
        outputs: [{ name: 'y', shape: [1, outputs] }],
        initializers: [
          { name: 'w', dims: [outputs, inputs], data: randoms(inputs * outputs) },
          { name: 'b', dims: [outputs], data: randoms(outputs) },
        ],
        nodes: [{ opType: 'Gemm', name: 'fc', inputs: ['x', 'w', 'b'], outputs: ['y'], attributes: { transB: 1 } }],
      }),
    ),
  );
}

describe('quantize at scale', () => {
  it('takes a 784×256 dense layer through quantize, the evaluator and the r1cs without a stack overflow', () => {
    const program = dense(784, 256);
    const q = quantize({ program, calibration: [randoms(784), randoms(784)], inputMaxAbs: 1 });
    expect(evaluateQuantized(q, quantizeInput(q, randoms(784))).output).toHaveLength(256);
    const { constraints, r1cs } = buildModelR1cs(q, 1n);
    expect(constraints).toBeGreaterThan(256 * q.layers[0]!.bits);
    // Every weight is a term of its row's constraint: 784 · 256 terms of 36 bytes at least.
    expect(r1cs.length).toBeGreaterThan(784 * 256 * 36);
  });

  it('widens the output bits so the committed argmax index fits (10 classes at 4-bit activations)', () => {
    const program = dense(2, 10);
    const q = quantize({ program, calibration: [randoms(2), randoms(2)], inputMaxAbs: 1, activationBits: 4 });
    // Index 9 needs 9 + 2^(b-1) < 2^b: b ≥ 5.
    expect(q.outputBits).toBeGreaterThanOrEqual(5);
    const model = { manifest: { modelId: '1' }, program: q };
    for (let t = 0; t < 20; t++) {
      const xq = quantizeInput(q, randoms(2));
      const r = evaluateQuantized(q, xq);
      const input = circuitInput(model, xq, 3n, { integers: r.output, argmax: r.argmax, salt: '5' }, 1n, 2n);
      expect(modelWitness(q, 1n, input, 'record').argmax).toBe(r.argmax);
    }
    expect(buildModelR1cs(q, 1n).constraints).toBeGreaterThan(0);
  });

  it.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
  ])('refuses a calibration sample holding %s with a typed error', (_name, bad) => {
    const program = dense(4, 2);
    const run = () => quantize({ program, calibration: [[0.5, bad, 0, 0]], inputMaxAbs: 1 });
    expect(run).toThrow(InvalidInputError);
    expect(run).toThrow(/calibration sample 0 has a non-finite value at input\[1\]/);
  });
});

describe('rescales the circuit can make unique', () => {
  /** A program of one PRelu with the given slopes (a float64 ONNX tensor can hold slopes like 1e-70). */
  const prelu = (slopes: number[]): Program => ({
    inputName: 'x',
    inputShape: [slopes.length],
    outputName: 'y',
    outputShape: [slopes.length],
    layers: [{ kind: 'prelu', name: 'act', ops: ['PRelu'], outShape: [slopes.length], slope: Float64Array.from(slopes) }],
    head: 'none',
    sourceOps: ['PRelu'],
    batch: 1,
  });
  const calibration = [
    [-1, 0.5],
    [0.25, -0.75],
  ];

  it('takes ordinary slopes', () => {
    const q = quantize({ program: prelu([0.01, 0.25]), calibration, inputMaxAbs: 1 });
    expect(q.layers[0]).toMatchObject({ kind: 'prelu' });
  });

  it('refuses slopes so small or so large that the rescale would leave [2^0, 2^64] (a forgeable or unscaled circuit)', () => {
    // 1e-70 needs a rescale of ~2^247: with 10-bit values, 2^(shift + bits) wraps the field and the quotient is no
    // longer unique (an independent audit forged a witness for exactly this layer).
    expect(() => quantize({ program: prelu([1e-70, 2e-70]), calibration, inputMaxAbs: 1 })).toThrow(InvalidInputError);
    expect(() => quantize({ program: prelu([1e-70, 2e-70]), calibration, inputMaxAbs: 1 })).toThrow(/rescale by 2\^\d+/);
    // 40000 would need a negative shift: the evaluator would not scale at all.
    expect(() => quantize({ program: prelu([40_000, 1]), calibration, inputMaxAbs: 1 })).toThrow(/rescale by 2\^-1/);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { lowerGraph } from '../ir/lowerGraph';
import { size } from '../ir/types';
import { readModel } from '../onnx/readModel';
import { readTensorProto } from '../onnx/readTensorProto';
import { repoRoot } from '../paths';
import { circuitInput } from '../proveInference';
import { evaluateQuantized, quantizeInput } from '../quantize/evaluateQuantized';
import { quantize } from '../quantize/quantize';
import type { QuantProgram } from '../quantize/types';
import { calculateWitness } from '../r1cs/modelCircuit';

const CASES = join(repoRoot, '..', 'shared', 'onnx-tests', 'pytorch-converted');

/**
 * A few accepted conformance cases of different kinds (a grouped-free 1-D Conv, a padded MaxPool, a per-channel
 * PRelu, a piecewise-linear Sigmoid, a GLU: Split into two branches multiplied), checked constraint by constraint.
 */
const SAMPLE = ['test_Conv1d', 'test_MaxPool2d', 'test_PReLU_2d_multiparam', 'test_Sigmoid', 'test_GLU'];

/** The case's quantized program and its samples. */
function quantizeCase(name: string) {
  const dir = join(CASES, name);
  const program = lowerGraph(readModel(readFileSync(join(dir, 'model.onnx'))));
  const input = readTensorProto(readFileSync(join(dir, 'test_data_set_0', 'input_0.pb')));
  const per = size(program.inputShape);
  const samples = Array.from({ length: input.data.length / per }, (_, s) =>
    Array.from(input.data.subarray(s * per, (s + 1) * per)),
  );
  let inputMaxAbs = 0;
  for (const v of input.data) inputMaxAbs = Math.max(inputMaxAbs, Math.abs(v));
  return { quantized: quantize({ program, calibration: samples, inputMaxAbs }), samples };
}

/** The circuit's witness (every constraint checked) for `x` claimed to produce `integers`. */
function witness(quantized: QuantProgram, xq: number[], integers: number[], argmax: number) {
  const model = { manifest: { modelId: '1' }, program: quantized };
  return calculateWitness(model, circuitInput(model, xq, 7n, { integers, argmax, salt: '11' }, 1n, 2n), 'record');
}

/**
 * Witness-level check of a sample of the conformance cases: the circuit accepts exactly what the fixed-point
 * evaluator computes for every sample of the case, and rejects a tampered output.
 */
describe.each(SAMPLE)('%s as constraints (witness level)', (name) => {
  const { quantized, samples } = quantizeCase(name);

  it('computes what the fixed-point evaluator computes, sample by sample', async () => {
    for (const x of samples) {
      const xq = quantizeInput(quantized, x);
      const r = evaluateQuantized(quantized, xq);
      await expect(witness(quantized, xq, r.output, r.argmax)).resolves.toBeDefined();
    }
  });

  it('rejects an output off by one', async () => {
    const xq = quantizeInput(quantized, samples[0]!);
    const r = evaluateQuantized(quantized, xq);
    const tampered = r.output.map((v, i) => (i === 1 ? v + 1 : v));
    await expect(witness(quantized, xq, tampered, r.argmax)).rejects.toThrow(/does not hold/);
  });
});

describe('PRelu as constraints', () => {
  it('rejects a claim that skips the slope on a negative input', async () => {
    const { quantized, samples } = quantizeCase('test_PReLU_2d_multiparam');
    const xq = quantizeInput(quantized, samples[0]!);
    const r = evaluateQuantized(quantized, xq);
    const negative = xq.findIndex((v) => v < -4);
    expect(r.output[negative]).not.toBe(xq[negative]);
    const skipped = r.output.map((v, i) => (i === negative ? xq[i]! : v));
    await expect(witness(quantized, xq, skipped, r.argmax)).rejects.toThrow(/does not hold/);
  });
});

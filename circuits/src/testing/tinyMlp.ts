import { lowerGraph } from '../ir/lowerGraph';
import { readModel } from '../onnx/readModel';
import { writeModel } from '../onnx/writeModel';
import { quantize } from '../quantize/quantize';
import type { QuantProgram } from '../quantize/types';

/**
 * A small MLP (5 → 6 → 3, ReLU) written as ONNX, lowered and quantized on 8 random calibration inputs: the model of
 * tests that need a real program but not a reference model (batch circuits, the prover process). `random` returns
 * values in [0, 1) (e.g. models/train/dense's seeded `rng`).
 */
export function tinyMlp(random: () => number): QuantProgram {
  const randoms = (n: number) => Array.from({ length: n }, () => random() * 2 - 1);
  const bytes = writeModel({
    inputs: [{ name: 'x', shape: [1, 5] }],
    outputs: [{ name: 'y', shape: [1, 3] }],
    initializers: [
      { name: 'w1', dims: [5, 6], data: randoms(30) },
      { name: 'w2', dims: [6, 3], data: randoms(18) },
    ],
    nodes: [
      { opType: 'MatMul', name: 'fc1', inputs: ['x', 'w1'], outputs: ['h'] },
      { opType: 'Relu', name: 'relu', inputs: ['h'], outputs: ['r'] },
      { opType: 'MatMul', name: 'fc2', inputs: ['r', 'w2'], outputs: ['y'] },
    ],
  });
  return quantize({
    program: lowerGraph(readModel(bytes)),
    calibration: Array.from({ length: 8 }, () => randoms(5)),
    inputMaxAbs: 1,
  });
}

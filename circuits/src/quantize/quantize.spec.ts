import { rng } from '../../models/train/dense';
import { emitCircom } from '../emit/emitCircom';
import { InvalidInputError } from '../errors';
import { lowerGraph } from '../ir/lowerGraph';
import { readModel } from '../onnx/readModel';
import { writeModel } from '../onnx/writeModel';
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
  it('takes a 784×256 dense layer through quantize, the evaluator and emit without a stack overflow', () => {
    const program = dense(784, 256);
    const q = quantize({ program, calibration: [randoms(784), randoms(784)], inputMaxAbs: 1 });
    expect(evaluateQuantized(q, quantizeInput(q, randoms(784))).output).toHaveLength(256);
    const source = emitCircom({ program: q, modelId: 1n, templatesInclude: 'verity.circom' });
    expect(source).toContain('var W0[256][784]');
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

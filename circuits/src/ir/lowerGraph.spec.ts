import * as ort from 'onnxruntime-node';

import { rng } from '../../models/train/dense';
import { UnsupportedOperatorError } from '../errors';
import { writeModel, type WriteModelParameters } from '../onnx/writeModel';
import { readModel } from '../onnx/readModel';
import { quantize } from '../quantize/quantize';
import { evaluateQuantized, quantizeInput } from '../quantize/evaluateQuantized';
import { applyHead, argmax, evaluateFloat } from './evaluateFloat';
import { lowerGraph } from './lowerGraph';

const random = rng(1);
const randoms = (n: number, scale = 1) => Array.from({ length: n }, () => (random() * 2 - 1) * scale);

/** The layout torch.onnx.export writes for a small CNN: Conv with bias, Relu, MaxPool, Flatten, Gemm(transB=1). */
function pytorchCnn(): WriteModelParameters {
  return {
    producer: 'pytorch-like',
    inputs: [{ name: 'input.1', shape: [1, 1, 8, 8] }],
    outputs: [{ name: '17', shape: [1, 3] }],
    initializers: [
      { name: 'conv1.weight', dims: [2, 1, 3, 3], data: randoms(18) },
      { name: 'conv1.bias', dims: [2], data: randoms(2) },
      { name: 'fc.weight', dims: [3, 18], data: randoms(54) },
      { name: 'fc.bias', dims: [3], data: randoms(3) },
    ],
    nodes: [
      {
        opType: 'Conv',
        name: '/conv1/Conv',
        inputs: ['input.1', 'conv1.weight', 'conv1.bias'],
        outputs: ['11'],
        attributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1], dilations: [1, 1], group: 1 },
      },
      { opType: 'Relu', name: '/Relu', inputs: ['11'], outputs: ['12'] },
      {
        opType: 'MaxPool',
        name: '/pool/MaxPool',
        inputs: ['12'],
        outputs: ['13'],
        attributes: { kernel_shape: [3, 3], strides: [3, 3], pads: [0, 0, 1, 1] },
      },
      { opType: 'Flatten', name: '/Flatten', inputs: ['13'], outputs: ['14'], attributes: { axis: 1 } },
      {
        opType: 'Gemm',
        name: '/fc/Gemm',
        inputs: ['14', 'fc.weight', 'fc.bias'],
        outputs: ['17'],
        attributes: { alpha: 1.0, beta: 1.0, transB: 1 },
      },
    ],
  };
}

/** Every other supported operator once: BatchNormalization, AveragePool, Transpose, Reshape, MatMul, Add, Sub, Mul, Div, GlobalAveragePool. */
function everyOp(): WriteModelParameters {
  return {
    inputs: [{ name: 'x', shape: [1, 2, 6, 6] }],
    outputs: [{ name: 'y', shape: [1, 4] }],
    initializers: [
      { name: 'w', dims: [3, 2, 3, 3], data: randoms(54) },
      { name: 'bn.scale', dims: [3], data: [1.5, 0.5, 2] },
      { name: 'bn.bias', dims: [3], data: [0.1, -0.2, 0.3] },
      { name: 'bn.mean', dims: [3], data: [0.05, 0.1, -0.1] },
      { name: 'bn.var', dims: [3], data: [1.2, 0.8, 2.0] },
      { name: 'shape', dims: [2], data: [1, -1], type: 'int64' },
      { name: 'm', dims: [27, 4], data: randoms(108) },
      { name: 'add', dims: [4], data: randoms(4) },
      { name: 'sub', dims: [1], data: [0.25] },
      { name: 'mul', dims: [1, 4], data: [2, -1, 0.5, 3] },
      { name: 'div', dims: [1], data: [4] },
    ],
    nodes: [
      { opType: 'Conv', name: 'conv', inputs: ['x', 'w'], outputs: ['c'], attributes: { kernel_shape: [3, 3] } },
      {
        opType: 'BatchNormalization',
        name: 'bn',
        inputs: ['c', 'bn.scale', 'bn.bias', 'bn.mean', 'bn.var'],
        outputs: ['b'],
        attributes: { epsilon: 1e-5 },
      },
      { opType: 'Relu', name: 'relu', inputs: ['b'], outputs: ['r'] },
      {
        opType: 'AveragePool',
        name: 'avg',
        inputs: ['r'],
        outputs: ['p'],
        attributes: { kernel_shape: [2, 2], strides: [1, 1] },
      },
      { opType: 'Transpose', name: 'nhwc', inputs: ['p'], outputs: ['t'], attributes: { perm: [0, 2, 3, 1] } },
      { opType: 'Reshape', name: 'flat', inputs: ['t', 'shape'], outputs: ['f'] },
      { opType: 'MatMul', name: 'mm', inputs: ['f', 'm'], outputs: ['mmo'] },
      { opType: 'Add', name: 'add', inputs: ['mmo', 'add'], outputs: ['a'] },
      { opType: 'Sub', name: 'sub', inputs: ['a', 'sub'], outputs: ['s'] },
      { opType: 'Mul', name: 'mul', inputs: ['s', 'mul'], outputs: ['mu'] },
      { opType: 'Div', name: 'div', inputs: ['mu', 'div'], outputs: ['y0'] },
      { opType: 'Identity', name: 'id', inputs: ['y0'], outputs: ['y'] },
    ],
  };
}

async function maxDiffAgainstOnnxRuntime(spec: WriteModelParameters, samples: number): Promise<number> {
  const bytes = writeModel(spec);
  const program = lowerGraph(readModel(bytes));
  // Severity 3: the one-node models below leave the output shape to inference, which onnxruntime warns about.
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  let worst = 0;
  for (let s = 0; s < samples; s++) {
    const x = randoms(program.inputShape.reduce((a, b) => a * b, 1));
    const out = await session.run({
      [spec.inputs[0]!.name]: new ort.Tensor('float32', Float32Array.from(x), spec.inputs[0]!.shape),
    });
    const reference = out[spec.outputs[0]!.name]!.data as Float32Array;
    evaluateFloat(program, x).output.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - reference[i]!))));
  }
  await session.release();
  return worst;
}

describe('lowerGraph', () => {
  it('accepts the layout PyTorch exports and computes what onnxruntime computes', async () => {
    expect(await maxDiffAgainstOnnxRuntime(pytorchCnn(), 20)).toBeLessThan(1e-4);
    const program = lowerGraph(readModel(writeModel(pytorchCnn())));
    expect(program.layers.map((l) => l.kind)).toEqual(['affine', 'relu', 'max', 'affine']);
  });

  it('lowers every other supported operator and matches onnxruntime', async () => {
    expect(await maxDiffAgainstOnnxRuntime(everyOp(), 20)).toBeLessThan(1e-4);
    const program = lowerGraph(readModel(writeModel(everyOp())));
    // Conv+BN fold into one affine map; AveragePool, the transpose, MatMul and the constant ops into another.
    expect(program.layers.map((l) => l.kind)).toEqual(['affine', 'relu', 'affine']);
  });

  it('names the operator and the node of an unsupported op, before any work', () => {
    const spec = pytorchCnn();
    spec.nodes.splice(1, 0, { opType: 'Cos', name: '/act/Cos', inputs: ['11'], outputs: ['11b'] });
    spec.nodes[2]!.inputs = ['11b'];
    const err = (() => {
      try {
        lowerGraph(readModel(writeModel(spec)));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnsupportedOperatorError);
    expect((err as Error).message).toBe("unsupported operator Cos in node '/act/Cos'");
  });

  it('lowers an Add of two activations (here one read twice) to one affine map over both', async () => {
    const spec = pytorchCnn();
    spec.nodes.splice(1, 0, { opType: 'Add', name: 'residual', inputs: ['11', '11'], outputs: ['11b'] });
    spec.nodes[2]!.inputs = ['11b'];
    const program = lowerGraph(readModel(writeModel(spec)));
    expect(program.layers.find((l) => l.name === 'residual')).toMatchObject({ kind: 'affine', inputs: [1, 1] });
    expect(await maxDiffAgainstOnnxRuntime(spec, 3)).toBeLessThan(1e-4);
  });

  it('rejects bytes that are not ONNX', () => {
    expect(() => readModel(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(/not an ONNX model|ONNX model has no graph/);
  });
});

/** A one-node model on an input of `shape` (batch first), for the refusal and batch tests. */
function oneNode(
  shape: number[],
  node: Omit<WriteModelParameters['nodes'][number], 'outputs'>,
  initializers: WriteModelParameters['initializers'] = [],
  opset = 13,
) {
  return writeModel({
    inputs: [{ name: 'x', shape }],
    outputs: [{ name: 'y', shape: [] }],
    initializers,
    nodes: [{ ...node, inputs: ['x', ...node.inputs], outputs: ['y'] }],
    opset,
  });
}

const refusal = (bytes: Uint8Array) => {
  try {
    lowerGraph(readModel(bytes));
  } catch (e) {
    return e;
  }
  return undefined;
};

/** A one-node model with the activation as its first input, for the onnxruntime cross-checks below. */
function single(
  shape: number[],
  opType: string,
  attributes: Record<string, number | number[] | string> = {},
  constants: { name: string; dims: number[]; data: number[]; type?: 'int64' }[] = [],
  opset = 13,
): WriteModelParameters {
  return {
    inputs: [{ name: 'x', shape }],
    outputs: [{ name: 'y', shape: [] }],
    initializers: constants,
    nodes: [{ opType, name: opType.toLowerCase(), inputs: ['x', ...constants.map((c) => c.name)], outputs: ['y'], attributes }],
    opset,
  };
}

const i64 = (name: string, data: number[]) => ({ name, dims: [data.length], data, type: 'int64' as const });

describe('lowerGraph breadth against onnxruntime', () => {
  it.each([
    [
      'Conv 3-D, groups 2, dilation, auto_pad VALID',
      single([1, 4, 5, 5, 5], 'Conv', { group: 2, dilations: [1, 2, 1], auto_pad: 'VALID' }, [
        { name: 'w', dims: [6, 2, 2, 2, 3], data: randoms(144) },
      ]),
    ],
    [
      'ConvTranspose 1-D, groups 2, dilation 2, output_padding',
      single([1, 4, 5], 'ConvTranspose', { group: 2, strides: [3], dilations: [2], pads: [1, 2], output_padding: [1] }, [
        { name: 'w', dims: [4, 3, 3], data: randoms(36) },
        { name: 'b', dims: [6], data: randoms(6) },
      ]),
    ],
    [
      'ConvTranspose 3-D',
      single([1, 2, 3, 2, 3], 'ConvTranspose', { strides: [2, 1, 2], pads: [1, 0, 0, 0, 1, 1] }, [
        { name: 'w', dims: [2, 3, 3, 2, 2], data: randoms(72) },
      ]),
    ],
    [
      'AveragePool, ceil_mode and count_include_pad',
      single([1, 2, 7, 6], 'AveragePool', {
        kernel_shape: [3, 3],
        strides: [2, 2],
        pads: [1, 1, 1, 1],
        ceil_mode: 1,
        count_include_pad: 1,
      }),
    ],
    [
      'AveragePool 1-D, ceil_mode, pads excluded',
      single([1, 3, 8], 'AveragePool', { kernel_shape: [3], strides: [2], pads: [1, 0], ceil_mode: 1 }),
    ],
    [
      'MaxPool 2-D, ceil_mode and dilation',
      single([1, 2, 9, 7], 'MaxPool', {
        kernel_shape: [2, 3],
        strides: [2, 2],
        dilations: [2, 1],
        pads: [0, 1, 1, 1],
        ceil_mode: 1,
      }),
    ],
    [
      'Pad (opset 13 inputs), constant 0.5',
      single([1, 2, 3, 4], 'Pad', { mode: 'constant' }, [
        i64('pads', [0, 0, 1, 2, 0, 0, 2, 1]),
        { name: 'v', dims: [], data: [0.5] },
      ]),
    ],
    ['Pad edge', single([1, 2, 3, 4], 'Pad', { mode: 'edge' }, [i64('pads', [0, 1, 2, 0, 0, 0, 1, 3])])],
    ['Pad reflect', single([1, 3, 4], 'Pad', { mode: 'reflect' }, [i64('pads', [0, 2, 3, 0, 1, 2])])],
    ['ReduceSum (axes input), keepdims 0', single([1, 3, 4, 5], 'ReduceSum', { keepdims: 0 }, [i64('axes', [1, -1])])],
    ['ReduceMean (axes attribute)', single([1, 3, 4, 5], 'ReduceMean', { axes: [2] })],
    ['Unsqueeze (axes input)', single([1, 3, 4], 'Unsqueeze', {}, [i64('axes', [-1, 2])])],
    ['Squeeze (axes input)', single([1, 3, 1, 4], 'Squeeze', {}, [i64('axes', [2])])],
    ['Flatten at axis 2 of [1, 1, 3, 4]', single([1, 1, 3, 4], 'Flatten', { axis: 2 })],
    [
      'PRelu, slopes broadcast per channel',
      single([1, 3, 2, 2], 'PRelu', {}, [{ name: 's', dims: [3, 1, 1], data: [0.25, -0.5, 1.5] }]),
    ],
    ['LeakyRelu', single([1, 10], 'LeakyRelu', { alpha: 0.2 })],
    ['Neg', single([1, 5], 'Neg')],
    ['Sigmoid', single([1, 2, 5], 'Sigmoid')],
    ['Tanh', single([1, 10], 'Tanh')],
    ['Softplus', single([1, 10], 'Softplus')],
    ['Softsign', single([1, 10], 'Softsign')],
    ['Elu, alpha 0.7', single([1, 10], 'Elu', { alpha: 0.7 })],
    ['Selu (default alpha and gamma)', single([1, 10], 'Selu')],
    ['HardSigmoid, alpha 0.9, beta 0.4', single([1, 10], 'HardSigmoid', { alpha: 0.9, beta: 0.4 })],
    ['HardSwish', single([1, 10], 'HardSwish', {}, [], 14)],
    ['Abs', single([1, 10], 'Abs')],
    [
      'Clip (opset 13 inputs)',
      single([1, 10], 'Clip', {}, [
        { name: 'lo', dims: [], data: [-0.5] },
        { name: 'hi', dims: [], data: [0.6] },
      ]),
    ],
    ['Clip (opset 6 attributes)', single([1, 10], 'Clip', { min: -0.3, max: 0.2 }, [], 6)],
    ['Slice (opset 9 attributes, axes omitted)', single([1, 3, 4], 'Slice', { starts: [0, 1, -3], ends: [1, 3, 100] }, [], 9)],
  ])('%s', async (_name, spec) => {
    expect(await maxDiffAgainstOnnxRuntime(spec, 5)).toBeLessThan(1e-5);
  });
});

describe('elementwise activations', () => {
  it('lower to one pwl layer each, moved before a transpose (the same function on every element)', () => {
    const bytes = writeModel({
      inputs: [{ name: 'x', shape: [1, 3, 4] }],
      outputs: [{ name: 'y', shape: [] }],
      initializers: [],
      nodes: [
        { opType: 'Transpose', name: 't', inputs: ['x'], outputs: ['xt'], attributes: { perm: [0, 2, 1] } },
        { opType: 'Sigmoid', name: 'sig', inputs: ['xt'], outputs: ['y'] },
      ],
    });
    const program = lowerGraph(readModel(bytes));
    expect(program.layers).toMatchObject([
      { kind: 'pwl', ops: ['Sigmoid'], activation: { op: 'Sigmoid' } },
      { kind: 'permute', ops: ['Transpose'] },
    ]);
  });

  it.each([
    [1, 'Softsign'],
    [2, 'Div'],
  ])('fuse Div(x, Add(Abs(x), c)) into one Softsign only for c = 1 (c = %d)', (c, expected) => {
    const bytes = writeModel({
      inputs: [{ name: 'x', shape: [1, 4] }],
      outputs: [{ name: 'y', shape: [] }],
      initializers: [{ name: 'c', dims: [], data: [c] }],
      nodes: [
        { opType: 'Abs', name: 'abs', inputs: ['x'], outputs: ['a'] },
        { opType: 'Add', name: 'add', inputs: ['a', 'c'], outputs: ['b'] },
        { opType: 'Div', name: 'div', inputs: ['x', 'b'], outputs: ['y'] },
      ],
    });
    if (expected === 'Softsign') {
      const program = lowerGraph(readModel(bytes));
      expect(program.layers).toMatchObject([{ kind: 'pwl', name: 'abs+add+div', activation: { op: 'Softsign' } }]);
    } else expect(refusal(bytes)).toBeInstanceOf(UnsupportedOperatorError);
  });

  it.each([
    [
      'a Clip bound that is an activation',
      oneNode([1, 4], { opType: 'Clip', name: 'clip', inputs: ['m'] }),
      /Clip in node 'clip': input 'm' must be a constant/,
    ],
    [
      'a Clip with min above max',
      oneNode([1, 4], { opType: 'Clip', name: 'clip', inputs: [], attributes: { min: 1, max: 0 } }, [], 6),
      /Clip in node 'clip': min 1 above max 0/,
    ],
    [
      'a HardSigmoid with alpha 0',
      oneNode([1, 4], { opType: 'HardSigmoid', name: 'hs', inputs: [], attributes: { alpha: 0 } }),
      /HardSigmoid in node 'hs': alpha=0/,
    ],
  ])('refuse %s with a typed error naming the node', (_name, bytes, message) => {
    const err = refusal(bytes);
    expect(err).toBeInstanceOf(UnsupportedOperatorError);
    expect((err as Error).message).toMatch(message);
  });
});

describe('sample-wise batch', () => {
  it('lowers a graph exported with batch 4 to the one-sample program', () => {
    const bytes = oneNode([4, 3, 5], { opType: 'Relu', name: 'r', inputs: [] });
    const program = lowerGraph(readModel(bytes));
    expect(program).toMatchObject({ batch: 4, inputShape: [3, 5], outputShape: [3, 5] });
  });

  it.each([
    [
      'a Transpose that moves the batch axis',
      oneNode([2, 3], { opType: 'Transpose', name: 't', inputs: [], attributes: { perm: [1, 0] } }),
    ],
    [
      'a Reshape that folds samples together',
      oneNode([2, 3], { opType: 'Reshape', name: 'rs', inputs: ['s'] }, [{ name: 's', dims: [1], data: [-1], type: 'int64' }]),
    ],
    [
      'a ReduceSum over the batch axis',
      oneNode([2, 3], { opType: 'ReduceSum', name: 'sum', inputs: ['a'] }, [{ name: 'a', dims: [1], data: [0], type: 'int64' }]),
    ],
    ['a Flatten at axis 0', oneNode([2, 3, 4], { opType: 'Flatten', name: 'f', inputs: [], attributes: { axis: 0 } })],
    ['a Softmax over the batch axis', oneNode([2, 3], { opType: 'Softmax', name: 'sm', inputs: [], attributes: { axis: 0 } })],
  ])('refuses %s with a typed error naming the node', (_name, bytes) => {
    const err = refusal(bytes);
    expect(err).toBeInstanceOf(UnsupportedOperatorError);
    expect((err as Error).message).toMatch(/in node '\w+': .*batch axis/);
  });
});

describe('heads', () => {
  it.each([
    ['Softmax', 13, { axis: 1 }, { outer: 1, axis: 3, inner: 4 }],
    ['LogSoftmax', 13, { axis: -2 }, { outer: 1, axis: 3, inner: 4 }],
    ['Softmax', 13, { axis: 2 }, { outer: 3, axis: 4, inner: 1 }],
    ['Softmax', 11, { axis: 2 }, { outer: 3, axis: 4, inner: 1 }],
  ])('takes %s (opset %d, %j) per slice, outside the circuit like every head', (op, opset, attributes, layout) => {
    const program = lowerGraph(readModel(oneNode([1, 3, 4], { opType: op, name: 'head', inputs: [], attributes }, [], opset)));
    expect(program.headLayout).toEqual(layout);
    const logits = Array.from({ length: 12 }, (_, i) => (i * 7) % 5);
    const out = applyHead(program.head, logits, program.headLayout);
    // Each slice is its own distribution: per slice, exp(out) sums to 1.
    for (let o = 0; o < layout.outer; o++)
      for (let i = 0; i < layout.inner; i++) {
        let sum = 0;
        for (let k = 0; k < layout.axis; k++) {
          const v = out[(o * layout.axis + k) * layout.inner + i]!;
          sum += op === 'Softmax' ? v : Math.exp(v);
        }
        expect(sum).toBeCloseTo(1, 12);
      }
  });

  it('refuses an ArgMax that would leave one index per row', () => {
    const err = refusal(oneNode([1, 3, 4], { opType: 'ArgMax', name: 'head', inputs: [], attributes: { axis: 2 } }, [], 13));
    expect(err).toBeInstanceOf(UnsupportedOperatorError);
    expect((err as Error).message).toMatch(/ArgMax in node 'head': .*3 separate arg-maxima per sample/);
  });

  it('accepts Softmax over the whole sample: opset 11 flattens the trailing axes, opset 13 takes the one non-unit axis', () => {
    expect(
      lowerGraph(readModel(oneNode([1, 3, 4], { opType: 'Softmax', name: 'h', inputs: [], attributes: { axis: 1 } }, [], 11)))
        .head,
    ).toBe('softmax');
    expect(
      lowerGraph(readModel(oneNode([1, 1, 4], { opType: 'LogSoftmax', name: 'h', inputs: [], attributes: { axis: -1 } }, [], 13)))
        .head,
    ).toBe('logsoftmax');
  });
});

describe('fixed-point evaluation', () => {
  const program = lowerGraph(readModel(writeModel(pytorchCnn())));
  const calibration = Array.from({ length: 50 }, () => randoms(64));
  const q = quantize({ program, calibration, inputMaxAbs: 1 });

  it('agrees with the float model on the top class and stays close on the logits', () => {
    let agree = 0;
    let worst = 0;
    for (const x of calibration) {
      const f = evaluateFloat(program, x).output;
      const r = evaluateQuantized(q, quantizeInput(q, x));
      if (r.argmax === argmax(f)) agree++;
      r.output.forEach((v, i) => (worst = Math.max(worst, Math.abs(v / 2 ** q.outputScale - f[i]!))));
    }
    expect(agree).toBeGreaterThanOrEqual(48);
    expect(worst).toBeLessThan(0.05);
  });

  it.each([
    ['a wrong input size', randoms(63), /input has 63 values, the model takes 64 \(shape \[1, 8, 8\]\)/],
    ['NaN', [...randoms(63), NaN], /input\[63\] is NaN/],
    ['Infinity', [Infinity, ...randoms(63)], /input\[0\] is Infinity/],
    ['an out-of-range value', [...randoms(63), 5], /input\[63\] = 5 is outside the model's input range/],
  ])('rejects %s with a clear error', (_name, input, message) => {
    expect(() => quantizeInput(q, input)).toThrow(message);
  });
});

describe('scalar activations beyond the piecewise-linear originals', () => {
  const scalar = (name: string, v: number) => [{ name, dims: [] as number[], data: [v] }];

  it('lowers Max and Min with a constant scalar to one-sided Clips, and Pow to a constant power', () => {
    const activationOfOnly = (bytes: Uint8Array) => {
      const layer = lowerGraph(readModel(bytes)).layers[0]!;
      if (layer.kind !== 'pwl') throw new Error(`expected a pwl layer, got ${layer.kind}`);
      return layer.activation;
    };
    expect(activationOfOnly(oneNode([1, 4], { opType: 'Max', name: 'm', inputs: ['c'] }, scalar('c', 0.5)))).toEqual({
      op: 'Clip',
      min: 0.5,
      max: Infinity,
    });
    expect(activationOfOnly(oneNode([1, 4], { opType: 'Min', name: 'm', inputs: ['c'] }, scalar('c', -1)))).toEqual({
      op: 'Clip',
      min: -Infinity,
      max: -1,
    });
    expect(activationOfOnly(oneNode([1, 4], { opType: 'Pow', name: 'p', inputs: ['e'] }, scalar('e', 2)))).toEqual({
      op: 'Pow',
      exponent: 2,
    });
    expect(activationOfOnly(oneNode([1, 4], { opType: 'Gelu', name: 'g', inputs: [] }, [], 20))).toEqual({
      op: 'Gelu',
      approximate: 'none',
    });
  });

  it.each([
    [
      'Max of the activation and a per-element constant',
      oneNode([1, 2], { opType: 'Max', name: 'm', inputs: ['c'] }, [{ name: 'c', dims: [2], data: [0, 1] }]),
      /Max in node 'm': a constant that is not a scalar/,
    ],
    [
      'Pow with a negative exponent',
      oneNode([1, 2], { opType: 'Pow', name: 'p', inputs: ['e'] }, scalar('e', -1)),
      /Pow in node 'p': negative exponent -1/,
    ],
    [
      'Gelu with an unknown approximation',
      oneNode([1, 2], { opType: 'Gelu', name: 'g', inputs: [], attributes: { approximate: 'cubic' } }, [], 20),
      /Gelu in node 'g': approximate='cubic'/,
    ],
  ])('refuses %s, naming the node', (_name, bytes, message) => {
    const err = refusal(bytes);
    expect(err).toBeInstanceOf(UnsupportedOperatorError);
    expect((err as Error).message).toMatch(message);
  });

  it.each(['Exp', 'Erf', 'Gelu', 'Sqrt'])(
    'agrees with onnxruntime on %s in float, and within its table error in fixed point',
    async (op) => {
      const opset = op === 'Gelu' ? 20 : 13;
      const bytes = oneNode([1, 64], { opType: op, name: 'f', inputs: [] }, [], opset);
      const x = Array.from({ length: 64 }, (_, i) => (op === 'Sqrt' ? i / 16 : -2 + i / 16));
      const session = await ort.InferenceSession.create(bytes);
      const expected = Array.from(
        (await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), [1, 64]) })).y!.data as Float32Array,
      );
      await session.release();
      const program = lowerGraph(readModel(bytes));
      const float = evaluateFloat(program, x).output;
      const q = quantize({ program, calibration: [x], inputMaxAbs: 4 });
      const fixed = evaluateQuantized(q, quantizeInput(q, x)).output.map((v) => v / 2 ** q.outputScale);
      const top = Math.max(...expected.map(Math.abs));
      expected.forEach((e, i) => {
        expect(Math.abs(float[i]! - e)).toBeLessThan(1e-5 * Math.max(1, top));
        expect(Math.abs(fixed[i]! - e)).toBeLessThan(1e-2 * Math.max(1, top));
      });
    },
  );
});

import * as ort from 'onnxruntime-node';

import { rng } from '../../models/train/dense';
import { inspectModel } from '../compileModel';
import { UnsupportedOperatorError } from '../errors';
import { programFromJson, programToJson } from '../model/serialize';
import { readModel } from '../onnx/readModel';
import { writeModel, type WriteModelParameters } from '../onnx/writeModel';
import { circuitInput } from '../proveInference';
import { evaluateQuantized, quantizeInput } from '../quantize/evaluateQuantized';
import { quantize } from '../quantize/quantize';
import { calculateWitness } from '../r1cs/modelCircuit';
import { poolsAccumulators } from '../r1cs/synthesizeModel';
import { evaluateFloat } from './evaluateFloat';
import { lowerGraph } from './lowerGraph';
import { size } from './types';

const random = rng(11);
const randoms = (n: number, scale = 1) => Array.from({ length: n }, () => (random() * 2 - 1) * scale);
const i64 = (name: string, data: number[]) => ({ name, dims: [data.length], data, type: 'int64' as const });
const node = (
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, number | number[] | string> = {},
) => ({
  opType,
  name: `${opType}_${outputs[0]}`,
  inputs,
  outputs,
  attributes,
});

/** A residual block as torchvision exports it: conv → relu → conv, the block's input added back, relu, dense. */
function residualBlock(): WriteModelParameters {
  return {
    inputs: [{ name: 'x', shape: [1, 2, 5, 5] }],
    outputs: [{ name: 'y', shape: [1, 3] }],
    initializers: [
      { name: 'w1', dims: [2, 2, 3, 3], data: randoms(36, 0.5) },
      { name: 'b1', dims: [2], data: randoms(2) },
      { name: 'w2', dims: [2, 2, 3, 3], data: randoms(36, 0.5) },
      { name: 'fc', dims: [3, 50], data: randoms(150, 0.3) },
    ],
    nodes: [
      node('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      node('Relu', ['c1'], ['r1']),
      node('Conv', ['r1', 'w2'], ['c2'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      // The pre-ReLU c1 feeds the sum too: the ReLU must not be fused into its conv.
      node('Add', ['c2', 'c1'], ['s']),
      node('Add', ['s', 'x'], ['s2']),
      node('Relu', ['s2'], ['r2']),
      node('Flatten', ['r2'], ['f']),
      node('Gemm', ['f', 'fc'], ['y'], { transB: 1 }),
    ],
  };
}

/** Branches that meet: Concat of two scales far apart, Split, a gated product (GLU), Max/Min/Sum/Mean of activations. */
function branches(): WriteModelParameters {
  return {
    inputs: [{ name: 'x', shape: [1, 6] }],
    outputs: [{ name: 'y', shape: [1, 4] }],
    initializers: [
      { name: 'big', dims: [], data: [40] },
      { name: 'wa', dims: [6, 4], data: randoms(24) },
      { name: 'wb', dims: [6, 4], data: randoms(24) },
      { name: 'wy', dims: [24, 4], data: randoms(96, 0.2) },
      i64('halves', [6, 6]),
      { name: 'dead', dims: [6, 2], data: randoms(12) },
    ],
    nodes: [
      node('Mul', ['x', 'big'], ['xb']),
      node('Tanh', ['x'], ['t']),
      node('Concat', ['xb', 't'], ['cat'], { axis: 1 }),
      node('Split', ['cat', 'halves'], ['lo', 'hi'], { axis: 1 }),
      node('Sigmoid', ['hi'], ['gate']),
      node('Mul', ['lo', 'gate'], ['glu']),
      node('MatMul', ['x', 'wa'], ['a']),
      node('MatMul', ['x', 'wb'], ['b']),
      node('Max', ['a', 'b'], ['mx']),
      node('Min', ['a', 'b'], ['mn']),
      node('Sum', ['a', 'b', 'mx'], ['sm']),
      node('Mean', ['a', 'mn'], ['me']),
      node('Mul', ['a', 'a'], ['sq']),
      node('Sub', ['sq', 'b'], ['d']),
      node('MatMul', ['x', 'dead'], ['unused']),
      node('Concat', ['glu', 'xb', 'mx', 'mn', 'sm', 'me', 'd'], ['all'], { axis: 1 }),
      node('Slice', ['all', 'st', 'en', 'ax', 'sp'], ['sl']),
      node('MatMul', ['sl', 'wy'], ['y']),
    ],
  };
}

/** Gathers of one activation: Slice with a negative step, Gather by constant indices, Tile, Expand, Unsqueeze. */
function gathers(): WriteModelParameters {
  return {
    inputs: [{ name: 'x', shape: [1, 3, 4] }],
    outputs: [{ name: 'y', shape: [] }],
    initializers: [
      i64('st', [3, 0]),
      i64('en', [-10, 3]),
      i64('ax', [2, 1]),
      i64('sp', [-2, 2]),
      { name: 'idx', dims: [2, 2], data: [0, -1, 1, 0], type: 'int64' },
      i64('reps', [1, 2, 1, 2]),
      i64('shape', [1, 2, 3, 2]),
      i64('uax', [2]),
    ],
    nodes: [
      node('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['s']),
      node('Gather', ['s', 'idx'], ['g'], { axis: 1 }),
      node('Tile', ['g', 'reps'], ['t']),
      node('Unsqueeze', ['s', 'uax'], ['u']),
      node('Expand', ['u', 'shape'], ['e']),
      node('Flatten', ['t'], ['tf']),
      node('Flatten', ['e'], ['ef']),
      node('Concat', ['tf', 'ef'], ['y'], { axis: 1 }),
    ],
  };
}

/** Two graph inputs, each through its own dense layer, added. */
function twoInputs(): WriteModelParameters {
  return {
    inputs: [
      { name: 'a', shape: [1, 4] },
      { name: 'b', shape: [1, 3] },
    ],
    outputs: [{ name: 'y', shape: [1, 2] }],
    initializers: [
      { name: 'wa', dims: [4, 2], data: randoms(8) },
      { name: 'wb', dims: [3, 2], data: randoms(6) },
    ],
    nodes: [node('MatMul', ['a', 'wa'], ['pa']), node('MatMul', ['b', 'wb'], ['pb']), node('Mul', ['pa', 'pb'], ['y'])],
  };
}

/** InstanceNormalization then LayerNormalization over the last two axes (opset 17), inputs off-centre. */
function normalizations(): WriteModelParameters {
  return {
    inputs: [{ name: 'x', shape: [1, 3, 4, 4] }],
    outputs: [{ name: 'y', shape: [] }],
    initializers: [
      { name: 'shift', dims: [1, 3, 1, 1], data: [0.5, -0.3, 0.1] },
      { name: 'g', dims: [3], data: [1.5, 0.7, -1] },
      { name: 'b', dims: [3], data: [0.1, -0.2, 0.3] },
      { name: 'lg', dims: [4, 4], data: randoms(16) },
      { name: 'lb', dims: [4], data: randoms(4) },
    ],
    nodes: [
      node('Add', ['x', 'shift'], ['xs']),
      node('InstanceNormalization', ['xs', 'g', 'b'], ['in'], { epsilon: 1e-5 }),
      node('LayerNormalization', ['in', 'lg', 'lb'], ['y'], { axis: -2, epsilon: 1e-5 }),
    ],
    opset: 17,
  };
}

/**
 * LeNet's block twice: conv → relu → 2×2 max-pool (stride 2: the circuit pools the raw accumulators, one rescale per
 * window), then conv → relu → 3×3 max-pool with stride 1 and padding (overlapping windows: rescaling every element
 * first is cheaper, so it is kept).
 */
function lenetBlocks(): WriteModelParameters {
  return {
    inputs: [{ name: 'x', shape: [1, 1, 6, 6] }],
    outputs: [{ name: 'y', shape: [1, 3] }],
    initializers: [
      { name: 'w1', dims: [2, 1, 3, 3], data: randoms(18, 0.6) },
      { name: 'b1', dims: [2], data: randoms(2, 0.2) },
      { name: 'w2', dims: [2, 2, 3, 3], data: randoms(36, 0.5) },
      { name: 'fc', dims: [3, 18], data: randoms(54, 0.4) },
    ],
    nodes: [
      node('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      node('Relu', ['c1'], ['r1']),
      node('MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }),
      node('Conv', ['p1', 'w2'], ['c2'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      node('Relu', ['c2'], ['r2']),
      node('MaxPool', ['r2'], ['p2'], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }),
      node('Flatten', ['p2'], ['f']),
      node('Gemm', ['f', 'fc'], ['y'], { transB: 1 }),
    ],
  };
}

const CASES: [string, () => WriteModelParameters][] = [
  ['conv → relu → max-pool, the pool over raw accumulators and over rescaled values', lenetBlocks],
  ['InstanceNormalization and LayerNormalization', normalizations],
  ['a residual block (Add of activations, a value read twice)', residualBlock],
  [
    'Concat, Split, GLU, Max, Min, Sum, Mean, a square, a dead branch',
    () => {
      const spec = branches();
      spec.initializers.push(i64('st', [1]), i64('en', [25]), i64('ax', [1]), i64('sp', [1]));
      return spec;
    },
  ],
  ['Slice (negative step), Gather, Tile, Expand', gathers],
  ['two graph inputs and a product of activations', twoInputs],
];

async function onnxRuntime(spec: WriteModelParameters, bytes: Uint8Array, x: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    let at = 0;
    const feeds = Object.fromEntries(
      spec.inputs.map((gi) => {
        const n = size(gi.shape);
        const part = x.slice(at, (at += n));
        return [gi.name, new ort.Tensor('float32', Float32Array.from(part), gi.shape)];
      }),
    );
    const out = await session.run(feeds);
    return out[spec.outputs[0]!.name]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('graphs as DAGs', () => {
  it.each(CASES)('%s: float, fixed point and the circuit agree with onnxruntime', async (_name, make) => {
    const spec = make();
    const bytes = writeModel(spec);
    const program = lowerGraph(readModel(bytes));
    const samples = Array.from({ length: 6 }, () => randoms(size(program.inputShape)));
    const quantized = programFromJson(programToJson(quantize({ program, calibration: samples, inputMaxAbs: 1 })));
    for (const x of samples.slice(0, 3)) {
      const reference = await onnxRuntime(spec, bytes, x);
      let scale = 1e-6;
      for (const r of reference) scale = Math.max(scale, Math.abs(r));
      const float = evaluateFloat(program, x).output;
      const xq = quantizeInput(quantized, x);
      const fixed = evaluateQuantized(quantized, xq);
      expect(float.length).toBe(reference.length);
      reference.forEach((r, i) => {
        expect(Math.abs(float[i]! - r) / scale).toBeLessThan(1e-5);
        expect(Math.abs(fixed.output[i]! / 2 ** quantized.outputScale - r) / scale).toBeLessThan(2e-2);
      });
      // The circuit, every constraint checked, accepts exactly the evaluator's integers.
      const model = { manifest: { modelId: '5' }, program: quantized };
      const input = circuitInput(model, xq, 3n, { integers: fixed.output, argmax: fixed.argmax, salt: '9' }, 1n, 2n);
      await expect(calculateWitness(model, input, 'record')).resolves.toBeDefined();
      const tampered = fixed.output.map((v, i) => (i === 0 ? v + 1 : v));
      const bad = circuitInput(model, xq, 3n, { integers: tampered, argmax: fixed.argmax, salt: '9' }, 1n, 2n);
      await expect(calculateWitness(model, bad, 'record')).rejects.toThrow(/does not hold/);
    }
    // The corners of the declared input range, far from calibration: the interval analysis must have sized every
    // layer (products and normalizations included) so that no value overflows and the circuit still proves them.
    for (const corner of [1, -1]) {
      const xq = quantizeInput(quantized, new Array<number>(size(program.inputShape)).fill(corner));
      const fixed = evaluateQuantized(quantized, xq);
      const model = { manifest: { modelId: '5' }, program: quantized };
      const input = circuitInput(model, xq, 3n, { integers: fixed.output, argmax: fixed.argmax, salt: '9' }, 1n, 2n);
      await expect(calculateWitness(model, input, 'witness')).resolves.toBeDefined();
    }
  });

  it('pools raw accumulators only where nothing else reads them and it costs fewer constraints', () => {
    const program = quantize({
      program: lowerGraph(readModel(writeModel(lenetBlocks()))),
      calibration: [randoms(36)],
      inputMaxAbs: 1,
    });
    const kinds = program.layers.map((l) => l.kind);
    expect(kinds.slice(0, 4)).toEqual(['affine', 'max', 'affine', 'max']);
    expect([0, 2].map((l) => poolsAccumulators(program.layers, l))).toEqual([true, false]);
    // The same first block with its pre-pool values read by a later layer too: pooled as before.
    const shared = { ...program.layers[2]!, inputs: [1, 2] } as (typeof program.layers)[number];
    expect(poolsAccumulators([program.layers[0]!, program.layers[1]!, shared], 0)).toBe(false);
  });

  it('inspects a two-input model: onnxruntime fed input by input agrees, and the manifest names the parts', async () => {
    const inspected = await inspectModel({
      name: 'two-inputs',
      onnx: writeModel(twoInputs()),
      calibration: [randoms(7), randoms(7)],
      inputMaxAbs: 1,
    });
    expect(inspected.manifest.input).toMatchObject({
      shape: [7],
      parts: [
        { name: 'a', shape: [4] },
        { name: 'b', shape: [3] },
      ],
    });
    expect(inspected.manifest.constraints).toBeGreaterThan(0);
  });

  it('keeps a ReLU apart from the affine layer whose output another node also reads', () => {
    const program = lowerGraph(readModel(writeModel(residualBlock())));
    const quantized = quantize({ program, calibration: [randoms(50)], inputMaxAbs: 1 });
    expect(quantized.layers.find((l) => l.name === 'Conv_c1')).toMatchObject({ kind: 'affine', relu: false });
    expect(quantized.layers.find((l) => l.name === 'Relu_r1')).toMatchObject({ kind: 'relu' });
    // The last ReLU reads a sum nothing else reads: that one fuses.
    expect(quantized.layers.find((l) => l.name === 'Add_s2')).toMatchObject({ kind: 'affine', relu: true });
  });

  it('aligns a concatenation of different scales with an affine map, and keeps one of equal scales a free gather', () => {
    const spec = branches();
    spec.initializers.push(i64('st', [1]), i64('en', [25]), i64('ax', [1]), i64('sp', [1]));
    const program = lowerGraph(readModel(writeModel(spec)));
    expect(program.layers.some((l) => l.inputs && l.inputs.length > 1 && l.kind === 'permute')).toBe(true);
    const quantized = quantize({ program, calibration: [randoms(6)], inputMaxAbs: 1 });
    // xb = 40·x and tanh(x) sit at scales far apart: their Concat cannot stay a free gather.
    expect(quantized.layers.find((l) => l.name === 'Concat_cat')?.kind).toBe('affine');
    // Two gathers of one tensor share its scale: their Concat stays free.
    const gathered = lowerGraph(readModel(writeModel(gathers())));
    const free = quantize({ program: gathered, calibration: [randoms(12)], inputMaxAbs: 1 });
    expect(free.layers.find((l) => l.name === 'Concat_y')).toMatchObject({
      kind: 'permute',
      inputs: [expect.any(Number), expect.any(Number)],
    });
  });

  it('drops a branch that does not reach the output', () => {
    const spec = branches();
    spec.initializers.push(i64('st', [1]), i64('en', [25]), i64('ax', [1]), i64('sp', [1]));
    const program = lowerGraph(readModel(writeModel(spec)));
    expect(program.layers.some((l) => l.name.includes('unused'))).toBe(false);
  });

  it.each([
    ['a division by an activation', node('Div', ['x', 'x'], ['y']), /Div in node 'Div_y': division by an activation/],
    [
      'a Gather that looks up a constant table by the input',
      node('Gather', ['table', 'x'], ['y']),
      /Gather in node 'Gather_y': indices that come from an activation/,
    ],
    [
      'a Slice of the batch axis',
      node('Slice', ['x', 'one', 'two', 'zero'], ['y']),
      /Slice in node 'Slice_y': axes slice include the batch axis/,
    ],
    [
      'a Concat along the batch axis',
      node('Concat', ['x', 'x'], ['y'], { axis: 0 }),
      /Concat in node 'Concat_y': axis include the batch axis/,
    ],
    [
      'a constant beside several activations in a Sum (it would be dropped)',
      node('Sum', ['x', 'x', 'one'], ['y']),
      /Sum in node 'Sum_y': constant operands beside several activations/,
    ],
    [
      'a Split along the batch axis',
      node('Split', ['x'], ['y', 'z'], { axis: 0 }),
      /Split in node 'Split_y': axis include the batch axis/,
    ],
  ])('refuses %s, naming the node, before any work', (_name, n, message) => {
    const bytes = writeModel({
      inputs: [{ name: 'x', shape: [2, 3] }],
      outputs: [{ name: 'y', shape: [] }],
      initializers: [{ name: 'table', dims: [4, 3], data: randoms(12) }, i64('one', [1]), i64('two', [2]), i64('zero', [0])],
      nodes: [n],
    });
    expect(() => lowerGraph(readModel(bytes))).toThrow(UnsupportedOperatorError);
    expect(() => lowerGraph(readModel(bytes))).toThrow(message);
  });

  it('refuses a program file whose layer reads a tensor not computed before it', () => {
    const program = quantize({
      program: lowerGraph(readModel(writeModel(twoInputs()))),
      calibration: [randoms(7)],
      inputMaxAbs: 1,
    });
    const json = JSON.parse(programToJson(program)) as { layers: { inputs?: number[] }[] };
    json.layers[0]!.inputs = [5];
    expect(() => programFromJson(JSON.stringify(json))).toThrow(/reads tensors \[5\] that are not computed before it/);
  });
});

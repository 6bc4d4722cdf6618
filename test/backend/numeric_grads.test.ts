// Gradients on the native backend against central differences (independent of tfjs's
// gradient definitions and of the cpu oracle).
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { batchNormTrain } from '../../src/ops/batch_norm.js';
import { checkNumericGrads, rand, skipWithoutNative as skip } from '../helpers/oracle.js';

const input = (shape: number[], seed: number) => ({ values: rand(tf.util.sizeFromShape(shape), seed), shape });
/** Fixed weights for a weighted-sum loss over an output of the given shape. */
const weights = (shape: number[]) => tf.tensor(rand(tf.util.sizeFromShape(shape), 99), shape);

test('matmul (transposed, batched) gradients match central differences', { skip }, async () => {
  await initBackend({ backend: 'native' });
  checkNumericGrads('matmul aT b', (a, b) => tf.matMul(a, b, true, false).mul(weights([4, 3])).sum(), [input([5, 4], 1), input([5, 3], 2)]);
  checkNumericGrads('batched matmul', (a, b) => tf.matMul(a, b, false, true).mul(weights([2, 3, 4])).sum(), [input([2, 3, 5], 3), input([2, 4, 5], 4)]);
});

test('fused batch norm gradients match central differences', { skip }, async () => {
  await initBackend({ backend: 'native' });
  checkNumericGrads('batchNormTrain', (x, g, b) => batchNormTrain(x, g as tf.Tensor1D, b as tf.Tensor1D).y.mul(weights([3, 4, 4, 5])).sum(),
    [input([3, 4, 4, 5], 5), input([5], 6), input([5], 7)], { probes: 6 });
});

test('prelu and pooling gradients match central differences', { skip }, async () => {
  await initBackend({ backend: 'native' });
  checkNumericGrads('prelu per-channel', (x, a) => tf.prelu(x, a).mul(weights([2, 3, 3, 4])).sum(), [input([2, 3, 3, 4], 8), input([4], 9)]);
  checkNumericGrads('max pool', (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'same').mul(weights([2, 3, 3, 3])).sum(), [input([2, 5, 5, 3], 10)], { h: 1e-3 });
  checkNumericGrads('avg pool', (x) => tf.avgPool(x as tf.Tensor4D, 3, 2, 'valid').mul(weights([2, 2, 2, 3])).sum(), [input([2, 5, 5, 3], 11)]);
});

// The native row gathers (GatherV2 on axis 0, UnsortedSegmentSum) against the cpu kernels:
// shapes, the embedding gradient, fallbacks for other axes and bad indices, and leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { compareBackends, rand, skipWithoutNative as skip } from '../helpers/oracle.js';

const T = (shape: number[], seed: number) => tf.tensor(rand(tf.util.sizeFromShape(shape), seed), shape);
const ids = (values: number[], shape = [values.length]) => tf.tensor(values, shape, 'int32');

test('gather on axis 0 matches cpu for vectors, tables and higher-rank params', { skip }, async () => {
  await initBackend({ backend: 'native' });
  for (const k of [tf.GatherV2, tf.UnsortedSegmentSum]) assert.notEqual(tf.getKernel(k, 'native')!.kernelFunc, tf.getKernel(k, 'cpu')!.kernelFunc, `${k} must be overridden`);
  await compareBackends('gather', () => [
    tf.gather(T([7], 1), ids([0, 6, 3, 3])),
    tf.gather(T([20, 32], 2), ids([1, 0, 19, 5, 5, 7], [2, 3])), // an embedding lookup, [2, 3, 32]
    tf.gather(T([5, 3, 4], 3), ids([4, 0])),
    tf.gather(T([5, 3], 4), ids([], [0])),
    tf.gather(T([6, 2], 5), ids([2, -1 + 6]), -2), // axis -2 is axis 0
  ], 0);
});

test('the embedding gradient (UnsortedSegmentSum) matches cpu, repeated rows summed', { skip }, async () => {
  await initBackend({ backend: 'native' });
  await compareBackends('gather grad', () => tf.grad((t: tf.Tensor) => tf.gather(t, ids([3, 1, 3, 3, 0, 9], [2, 3])).mul(T([2, 3, 8], 7)).sum())(T([10, 8], 6)));
  await compareBackends('segment sum', () => tf.unsortedSegmentSum(T([5, 3], 8), ids([0, 2, 2, 4, 0]) as tf.Tensor1D, 6));
});

test('other axes, batch dims and out-of-range indices go to the cpu kernels', { skip }, async () => {
  await initBackend({ backend: 'native' });
  await compareBackends('gather axis 1', () => [tf.gather(T([4, 6], 9), ids([5, 0]), 1), tf.gather(T([2, 4, 3], 10), ids([0, 3, 1, 2, 2, 1], [2, 3]), 1, 1)], 0);
  await initBackend({ backend: 'native' });
  // The cpu kernel's own message for a bad index.
  assert.throws(() => tf.gather(T([3, 2], 11), ids([0, 3])), /GatherV2: the index value 3 is not in \[0, 2\]/);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) tf.tidy(() => { tf.grad((t: tf.Tensor) => tf.gather(t, ids([1, 1, 2])).sum())(T([4, 5], 12)).dataSync(); });
  assert.equal(tf.memory().numTensors, before, 'tensor count must stay flat');
});

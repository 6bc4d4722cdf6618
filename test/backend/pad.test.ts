// The native constant pad (PadV2) against the cpu kernel: ranks 1-4, zero and non-zero
// constants, empty sides and empty inputs, the slice gradient; int32 falls back to cpu.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { compareBackends, rand, skipWithoutNative as skip } from '../helpers/oracle.js';

const T = (shape: number[], seed: number) => tf.tensor(rand(tf.util.sizeFromShape(shape), seed), shape);

test('pad matches cpu for ranks 1-4, constants, empty sides and empty inputs', { skip }, async () => {
  await initBackend({ backend: 'native' });
  assert.notEqual(tf.getKernel(tf.PadV2, 'native')!.kernelFunc, tf.getKernel(tf.PadV2, 'cpu')!.kernelFunc, 'PadV2 must be overridden');
  await compareBackends('pad', () => [
    tf.pad(T([5], 1), [[2, 3]]),
    tf.pad(T([4, 3], 2), [[0, 2], [1, 0]], 1.5),
    tf.pad(T([2, 3, 4], 3), [[1, 1], [0, 0], [2, 1]]),
    tf.pad(T([2, 2, 3, 2], 4), [[0, 1], [1, 0], [0, 0], [3, 0]], -2),
    tf.pad(T([3, 4], 5), [[0, 0], [0, 0]]),
    tf.pad(tf.zeros([0, 3]), [[1, 1], [1, 0]], 7),
    tf.pad(tf.zeros([2, 0]), [[0, 1], [2, 0]], 3),
  ], 0);
  // The gradient of a slice (position embeddings cut to the sequence length) is a pad.
  await compareBackends('slice grad', () => tf.grad((t: tf.Tensor) => t.slice([0, 0], [6, 8]).mul(T([6, 8], 7)).sum())(T([16, 8], 6)), 0);
  await compareBackends('int32 pad (cpu fallback)', () => tf.pad(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), [[1, 0], [0, 1]], 9), 0);
  const before = tf.memory().numTensors;
  tf.tidy(() => { tf.pad(T([3, 3], 8), [[1, 1], [1, 1]]).dataSync(); });
  assert.equal(tf.memory().numTensors, before);
  await initBackend({});
});

// Native Transpose against the cpu backend on every permutation of small ranks, the
// slot-grouping layouts MIMOConv uses, size-1 and empty dims, and its gradient.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { compareBackends, rand, skipWithoutNative as skip } from '../helpers/oracle.js';

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

// [37, 70], [3, 45, 33] and [2, 70, 3, 40]: dims over the native kernel's 32 x 32 tiles, not multiples of them.
const shapes = [[3, 4], [2, 3, 5], [2, 1, 3, 4], [3, 2, 4, 1, 5], [4, 64, 64, 32], [2, 0, 3], [37, 70], [3, 45, 33], [2, 70, 3, 40]];

for (const shape of shapes) {
  test(`transpose [${shape}]: every permutation matches cpu`, { skip }, async () => {
    await initBackend({ backend: 'native' });
    const v = rand(tf.util.sizeFromShape(shape), 1);
    const perms = shape.length <= 4 ? permutations(shape.length) : [[0, 2, 3, 1, 4], [4, 3, 2, 1, 0], [1, 0, 2, 4, 3]];
    for (const perm of perms) await compareBackends(`transpose [${shape}] by [${perm}]`, () => tf.transpose(tf.tensor(v, shape), perm), 0);
  });
}

test('transpose gradient and leak check', { skip }, async () => {
  await initBackend({ backend: 'native' });
  const shape = [2, 3, 4, 5];
  await compareBackends('transpose grad', () => tf.grad((x: tf.Tensor) => tf.transpose(x, [0, 2, 1, 3]).mul(tf.tensor(rand(120, 2), [2, 4, 3, 5])).sum())(tf.tensor(rand(120, 1), shape)), 0);
  const x = tf.tensor(rand(120, 3), shape);
  tf.transpose(x, [3, 2, 1, 0]).dispose();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) tf.transpose(x, [3, 2, 1, 0]).dispose();
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});

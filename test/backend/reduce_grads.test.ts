// The broadcast (Tile) gradients of Sum and Mean against tfjs's own (on the cpu backend).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { compareBackends, rand, skipWithoutNative as skip } from '../helpers/oracle.js';

const cases: [number[], number | number[] | undefined, boolean][] = [
  [[7], undefined, false],
  [[3, 5], 0, false],
  [[3, 5], -1, true],
  [[2, 3, 4, 5], [1, 2], false],
  [[2, 3, 4, 5], [0, 3], true],
  [[16, 2, 200, 8], 2, false],
  [[4, 6], [0, 1], true],
];

for (const [shape, axis, keepDims] of cases) {
  const n = tf.util.sizeFromShape(shape);
  const xv = rand(n, 1);
  test(`sum/mean gradients on [${shape}] axis ${JSON.stringify(axis)}${keepDims ? ' keepDims' : ''} match tfjs's`, { skip }, async () => {
    await initBackend({ backend: 'native' });
    const x = () => tf.tensor(xv, shape);
    // Distinct weights on the reduced output make every dy distinct.
    const weighted = (r: tf.Tensor) => r.mul(tf.tensor(rand(r.size, 2), r.shape)).sum();
    await compareBackends(`sum [${shape}]`, () => tf.grad((a: tf.Tensor) => weighted(tf.sum(a, axis, keepDims)))(x()), 0);
    await compareBackends(`mean [${shape}]`, () => tf.grad((a: tf.Tensor) => weighted(tf.mean(a, axis, keepDims)))(x()), 0);
  });
}

test('sum and mean gradients are one Tile (no multiply by ones) and leak no tensors', { skip }, async () => {
  await initBackend({ backend: 'native' });
  const x = tf.tensor(rand(2 * 3 * 4, 1), [2, 3, 4]);
  for (const reduce of [(a: tf.Tensor) => tf.sum(a, 1), (a: tf.Tensor) => tf.mean(a, [0, 2])]) {
    const kernels = (await tf.profile(() => tf.dispose(tf.grad((a: tf.Tensor) => reduce(a).sum())(x)))).kernelNames;
    assert.ok(kernels.includes('Tile') && !kernels.includes('Multiply'), `ran: ${kernels.join(', ')}`);
  }
  const g = tf.tidy(() => tf.grad((a: tf.Tensor) => tf.mean(a, 1).sum())(x).dataSync());
  assert.ok(g.every((v) => v === Math.fround(1 / 3)), `mean gradient ${Array.from(g)}`);
  const step = () => tf.dispose(tf.grad((a: tf.Tensor) => tf.sum(a, 1).sum().add(tf.mean(a, [0, 2]).sum()))(x));
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) step();
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});

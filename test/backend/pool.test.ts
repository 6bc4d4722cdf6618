// Native pooling kernels and their gradients against the tfjs cpu backend.
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/index.js';
import { compareBackends, rand, skipWithoutNative as skip } from '../helpers/oracle.js';

const cases: { shape: [number, number, number, number]; f: number; s: number; pad: 'same' | 'valid' }[] = [
  { shape: [1, 4, 4, 1], f: 2, s: 2, pad: 'valid' },
  { shape: [3, 7, 9, 5], f: 3, s: 2, pad: 'same' },
  { shape: [2, 8, 8, 16], f: 2, s: 2, pad: 'valid' },
  { shape: [2, 5, 6, 3], f: 3, s: 1, pad: 'same' },
  { shape: [4, 32, 32, 64], f: 2, s: 2, pad: 'valid' },
];

for (const c of cases) {
  const title = `pool [${c.shape}] f${c.f} s${c.s} ${c.pad}`;
  test(`${title}: max/avg forward and gradients match cpu`, { skip }, async () => {
    await initBackend({ backend: 'native' });
    const xv = rand(tf.util.sizeFromShape(c.shape), 3);
    const x = () => tf.tensor4d(xv, c.shape);
    await compareBackends(`${title} max`, () => tf.maxPool(x(), c.f, c.s, c.pad));
    await compareBackends(`${title} avg`, () => tf.avgPool(x(), c.f, c.s, c.pad));
    // Weighted sums so each output's gradient differs.
    const loss = (pool: typeof tf.maxPool) => (a: tf.Tensor) => {
      const y = pool(a as tf.Tensor4D, c.f, c.s, c.pad);
      return y.mul(tf.tensor(rand(y.size, 9), y.shape)).sum();
    };
    await compareBackends(`${title} max grad`, () => tf.grad(loss(tf.maxPool))(x()));
    await compareBackends(`${title} avg grad`, () => tf.grad(loss(tf.avgPool))(x()));
  });
}

test('max pool ties go to the first maximum, as on cpu', { skip }, async () => {
  await initBackend({ backend: 'native' });
  const x = () => tf.tensor4d([1, 1, 1, 1, 2, 2, 0, 2, 5, 5, 5, 5, 3, 3, 3, 3], [1, 4, 4, 1]);
  await compareBackends('ties', () => tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid').sum())(x()), 0);
});

test('pooling leaks no tensors', { skip }, async () => {
  await initBackend({ backend: 'native' });
  const x = tf.tensor4d(rand(2 * 6 * 6 * 3, 1), [2, 6, 6, 3]);
  const step = () => tf.dispose(tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'same').add(tf.avgPool(a as tf.Tensor4D, 2, 2, 'same')).sum())(x));
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) step();
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});

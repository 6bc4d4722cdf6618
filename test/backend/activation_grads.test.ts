// The one-kernel Relu and Prelu gradients against tfjs's own (on the cpu backend).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { compareBackends, rand, skipWithoutNative as skip } from '../helpers/oracle.js';

const shapes = [[5], [3, 7], [2, 4, 5, 6], [4, 32, 32, 64]];

for (const shape of shapes) {
  const c = shape[shape.length - 1], n = tf.util.sizeFromShape(shape);
  // Zeros in x exercise the x > 0 boundary; weights make every dy distinct.
  const xv = rand(n, 1).map((v, i) => (i % 7 === 0 ? 0 : v));
  const wv = rand(n, 2);
  const alphas: [string, () => tf.Tensor][] = [
    ['scalar alpha', () => tf.scalar(0.3)],
    ['per-channel alpha', () => tf.tensor(rand(c, 3), [c])],
    ...(shape.length === 4 ? [['[1,1,C] alpha', () => tf.tensor(rand(c, 4), [1, 1, c])] as [string, () => tf.Tensor]] : []),
    ['per-element alpha (composed fallback)', () => tf.tensor(rand(n, 5), shape)],
  ];
  test(`relu/prelu gradients on [${shape}] match tfjs's`, { skip }, async () => {
    await initBackend({ backend: 'native' });
    const x = () => tf.tensor(xv, shape), w = () => tf.tensor(wv, shape);
    await compareBackends(`relu [${shape}]`, () => tf.grad((a: tf.Tensor) => tf.relu(a).mul(w()).sum())(x()), 1e-6);
    for (const [what, alpha] of alphas) {
      await compareBackends(`prelu [${shape}] ${what}`, () =>
        tf.grads((a: tf.Tensor, al: tf.Tensor) => tf.prelu(a, al).mul(w()).sum())([x(), alpha()]), 1e-4);
    }
  });
}

test('relu gradient keeps tfjs NaN semantics', { skip }, async () => {
  await initBackend({ backend: 'native' });
  const g = tf.tidy(() => tf.grad((a: tf.Tensor) => tf.relu(a).sum())(tf.tensor([NaN, -1, 0, 2])).arraySync());
  assert.deepEqual(g, [NaN, 0, 0, 1]);
});

test('activation gradients run as single kernels and leak no tensors', { skip }, async () => {
  await initBackend({ backend: 'native' });
  const x = tf.tensor(rand(2 * 3 * 3 * 4, 1), [2, 3, 3, 4]), alpha = tf.tensor(rand(4, 2), [4]);
  const step = () => tf.dispose(tf.grads((a: tf.Tensor, al: tf.Tensor) => tf.prelu(tf.relu(a), al).sum())([x, alpha]));
  const kernels = (await tf.profile(step)).kernelNames;
  assert.ok(kernels.includes('MimoReluGrad') && kernels.includes('MimoPreluGrad'), `ran: ${kernels.join(', ')}`);
  assert.ok(!kernels.includes('Step') && !kernels.includes('Select'), `composed gradient ran: ${kernels.join(', ')}`);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) step();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, alpha]);
});

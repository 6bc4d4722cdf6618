// The one-kernel layer norm against the composed tfjs ops (tf.moments, biased variance):
// values and gradients of x, γ and β, on cpu and native; shape errors; no leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { layerNorm } from '../../src/ops/layer_norm.js';
import { assertClose, rand, skipWithoutNative } from '../helpers/oracle.js';

const composed = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
  const m = tf.moments(x, -1, true);
  return x.sub(m.mean).div(m.variance.add(1e-5).sqrt()).mul(g).add(b);
};

async function check(backend: string): Promise<void> {
  await initBackend({ backend });
  // [2, 300, 64] is past the addon's OpenMP threshold (32768 values): rows split across threads.
  for (const shape of [[3, 5, 8], [7, 64], [1, 1, 3], [2, 300, 64]]) {
    const d = shape[shape.length - 1];
    const x = tf.tensor(rand(tf.util.sizeFromShape(shape), 1).map((v) => 3 * v + 1), shape);
    const g = tf.tensor1d(rand(d, 2)), b = tf.tensor1d(rand(d, 3)); // γ of both signs
    const w = tf.tensor(rand(x.size, 4), shape);
    assertClose(layerNorm(x, g, b).dataSync(), composed(x, g, b).dataSync(), 1e-5, `${backend} [${shape}] values`);
    const loss = (f: typeof composed) => (a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => f(a, c, e).mul(w).sum() as tf.Scalar;
    const got = tf.grads(loss(layerNorm))([x, g, b]), want = tf.grads(loss(composed))([x, g, b]);
    ['x', 'gamma', 'beta'].forEach((n, i) => assertClose(got[i].dataSync(), want[i].dataSync(), 1e-4, `${backend} [${shape}] d${n}`));
    tf.dispose([x, g, b, w, ...got, ...want]);
  }
  const x = tf.ones([4, 6]), g = tf.ones([6]), b = tf.zeros([6]);
  const step = () => tf.tidy(() => { tf.grads((a: tf.Tensor) => layerNorm(a, g, b).square().sum() as tf.Scalar)([x])[0].dataSync(); });
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) step();
  assert.equal(tf.memory().numTensors, before, 'tensor count must stay flat');
  assert.throws(() => layerNorm(x, tf.ones([5]), b), /layerNorm: x has 6 features .* gamma is \[5\]/);
  tf.dispose([x, g, b]);
}

test('layer norm matches the composed ops on cpu', async () => check('cpu'));
test('layer norm matches the composed ops on native', { skip: skipWithoutNative }, async () => check('native'));

// superpose(): any trunk in superposition. Its output equals a naive-loop oracle of SPEC §1.4's
// bind → sum → trunk → unbind → average → head; it runs a function trunk and a tf.LayersModel,
// with and without a stem, at every n; a user's own tf.train loop teaches it a task on the native
// and on the pure-JS cpu backend; bad input gets errors that name the fix; nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/index.js';
import { superpose } from '../../../src/models/superpose/index.js';
import { rand, skipWithoutNative } from '../../helpers/oracle.js';

/** Naive SPEC §1.4 with an identity trunk on [B, C] inputs: plain loops over slots and channels. */
function naive(x: Float32Array, B: number, C: number, n: number, keys: Float32Array, N: number, w: Float32Array, b: Float32Array, hw: Float32Array, hb: Float32Array, K: number): Float32Array {
  const G = B / n, out = new Float32Array(B * K);
  for (let g = 0; g < G; g++) {
    const bundle = new Float64Array(C);
    for (let s = 0; s < N; s++) {
      const img = g * n + (s % n);
      // circular convolution: y[m] = Σ_j k_s[(m − j) mod C] · x[j]
      for (let m = 0; m < C; m++) for (let j = 0; j < C; j++) bundle[m] += keys[s * C + ((m - j + C) % C)] * x[img * C + j];
    }
    for (let i = 0; i < n; i++) {
      const feat = new Float64Array(C);
      for (let s = i; s < N; s += n) {
        for (let f = 0; f < C; f++) {
          let u = b[s * C + f];
          for (let j = 0; j < C; j++) u += bundle[j] * w[j * N * C + s * C + f];
          feat[f] += Math.max(0, u) / (N / n);
        }
      }
      for (let k = 0; k < K; k++) {
        let v = hb[k];
        for (let f = 0; f < C; f++) v += feat[f] * hw[f * K + k];
        out[(g * n + i) * K + k] = v;
      }
    }
  }
  return out;
}

test('superpose with an identity trunk equals the naive oracle at every n (HRR, N=4)', async () => {
  await initBackend({});
  const B = 8, C = 6, N = 4, K = 3;
  const net = superpose({ trunk: (t) => t, capacity: N, channels: C, features: C, classes: K, seed: 3 });
  const x = rand(B * C, 5);
  const v = (k: string) => net.variables[k].dataSync() as Float32Array;
  for (const n of net.operatingPoints()) {
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => net.forward(tf.tensor2d(x, [B, C]), n).logits!.dataSync());
    assert.equal(tf.memory().numTensors, before, 'tensors left');
    const want = naive(x, B, C, n, v('bind.keys'), N, v('unbind.weight'), v('unbind.bias'), v('head.weight'), v('head.bias'), K);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-4, `n=${n} [${i}]: ${got[i]} vs ${want[i]}`);
  }
  net.dispose();
});

test('a LayersModel trunk on images with a stem, every binding, every n: shapes, and n must divide N', async () => {
  await initBackend({});
  const stem = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' })] });
  const trunk = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 4], filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' })] });
  for (const binding of ['hrr', 'mbat', 'none'] as const) {
    const net = superpose({ stem, trunk, binding, capacity: 4, channels: 4, features: 16, classes: 10 });
    for (const n of [1, 2, 4]) {
      const { logits, features } = net.forward(tf.zeros([8, 8, 8, 1]), n);
      assert.deepEqual(logits!.shape, [8, 10]);
      assert.deepEqual(features.shape, [8, 16]);
      tf.dispose([logits!, features]);
    }
    assert.throws(() => net.forward(tf.zeros([6, 8, 8, 1]), 3), /n=3 inputs per superposition must divide the capacity N=4 \(use one of 1, 2, 4\)/);
    assert.throws(() => net.forward(tf.zeros([6, 8, 8, 1]), 4), /batch of 6 inputs is not a multiple of n=4/);
    assert.equal(net.trainableVariables().length, Object.keys(net.variables).length + 4, 'own variables plus the two conv layers\' kernels and biases');
    net.dispose();
  }
  stem.dispose();
  trunk.dispose();
});

test('superpose errors name the fix', async () => {
  await initBackend({});
  assert.throws(() => superpose({ trunk: (t) => t, capacity: 0, channels: 4, features: 4 }), /capacity must be a whole number >= 1, got 0/);
  assert.throws(() => superpose({ trunk: (t) => t, capacity: 2, channels: 4, features: 4, binding: 'xor' as 'hrr' }), /binding must be hrr, mbat or none, got 'xor'/);
  assert.throws(() => superpose({ trunk: 3 as unknown as (t: tf.Tensor) => tf.Tensor, capacity: 2, channels: 4, features: 4 }), /trunk must be a function of tensors or a tf.LayersModel/);
  const net = superpose({ trunk: (t) => t, capacity: 2, channels: 4, features: 5 });
  assert.throws(() => net.forward(tf.zeros([2, 3]), 2), /the input is \[2,3\], its last axis must have channels=4/);
  assert.throws(() => net.forward(tf.zeros([2, 4]), 2), /the trunk returned \[1,4\] for 1 bundles; expected \[1, \.\.\., features=5\]/);
  assert.throws(() => net.loss(tf.zeros([2, 4]), tf.tensor1d([0, 1], 'int32'), 2), /loss needs a head; give classes > 0/);
  net.dispose();
});

/** Four Gaussian blobs in 16 dimensions: labels 0..3. */
function blobs(count: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const noise = rand(count * 16, seed), D = 16;
  const centres = Array.from({ length: 4 }, (_, k) => Array.from({ length: D }, (_, d) => (((k * 7 + d * 3) % 5) - 2) * 0.8));
  const xs = new Float32Array(count * D), ys = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    ys[i] = i % 4;
    for (let d = 0; d < D; d++) xs[i * D + d] = centres[ys[i]][d] + noise[i * D + d] * 0.4;
  }
  return { x: tf.tensor2d(xs, [count, D]), y: tf.tensor1d(ys, 'int32') };
}

for (const backend of ['native', 'cpu'] as const) {
  test(`a user's own tf.train loop teaches a superposed MLP two inputs at once (${backend} backend)`, { skip: backend === 'native' && skipWithoutNative }, async () => {
    assert.equal((await initBackend({ backend })).backend, backend);
    const trunk = tf.sequential({ layers: [tf.layers.dense({ inputShape: [16], units: 64, activation: 'relu' }), tf.layers.dense({ units: 32, activation: 'relu' })] });
    const net = superpose({ trunk, capacity: 2, channels: 16, features: 32, classes: 4, seed: 1 });
    const train = blobs(256, 1), testSet = blobs(256, 2);
    const opt = tf.train.adam(0.01);
    const accuracy = (n: number) => tf.tidy(() => net.forward(testSet.x, n).logits!.argMax(1).equal(testSet.y).mean().dataSync()[0]);
    const start = accuracy(2);
    const before = tf.memory().numTensors;
    for (let step = 0; step < 150; step++) {
      // Alternate n = 2 and n = 1: one set of weights for both operating points.
      const n = step % 2 === 0 ? 2 : 1;
      opt.minimize(() => net.loss(train.x, train.y, n), false, net.trainableVariables())?.dispose();
    }
    assert.ok(tf.memory().numTensors <= before + 4 * net.trainableVariables().length, 'only the optimizer\'s slots may remain');
    const acc2 = accuracy(2), acc1 = accuracy(1);
    assert.ok(start < 0.6, `untrained accuracy ${start} should be near chance (0.25)`);
    assert.ok(acc2 > 0.9 && acc1 > 0.9, `after training: n=2 ${acc2}, n=1 ${acc1}`);
    opt.dispose();
    net.dispose();
    trunk.dispose();
    tf.dispose([train.x, train.y, testSet.x, testSet.y]);
  });
}

// The hashed-mask dropout: the same mask bit for bit on cpu (JS loop) and native (addon),
// against the reference mask function; kept fraction, scaling, determinism per seed,
// independence across seeds; the gradient is dy·m/keep; bad arguments; no leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { dropout, dropoutKey, hash32, kept } from '../../src/ops/dropout.js';
import { rand, skipWithoutNative } from '../helpers/oracle.js';

test('lowbias32 equals the C implementation (uint32 arithmetic)', () => {
  // Values printed by the C function (gcc, uint32_t) that the addon compiles.
  const want = [[0x0, 0x0], [0x1, 0x688990c0], [0x2, 0xd1132181], [0x3039, 0x912efcf7], [0xdeadbeef, 0xe628c683], [0xffffffff, 0x6768824a]];
  for (const [x, h] of want) assert.equal(hash32(x), h, `hash32(0x${x.toString(16)})`);
});

async function maskOf(backend: string, n: number, rate: number, seed: number): Promise<Float32Array> {
  await initBackend({ backend });
  return tf.tidy(() => dropout(tf.ones([n]), rate, seed).dataSync() as Float32Array);
}

test('dropout mask equals the reference function; kept fraction and scale', async () => {
  // 100 003 values: past the addon's threshold for threads, and not a multiple of the SIMD width.
  const n = 100_003, rate = 0.1, seed = 12345;
  const y = await maskOf('cpu', n, rate, seed);
  const key = dropoutKey(seed), thr = Math.round(0.9 * 2 ** 24);
  let keptCount = 0;
  for (let i = 0; i < n; i++) {
    const k = kept(i, key, thr);
    assert.equal(y[i], k ? Math.fround(1 / 0.9) : 0, `element ${i}`);
    keptCount += Number(k);
  }
  // Binomial(n, 0.9): standard deviation ~95; 5σ.
  assert.ok(Math.abs(keptCount - 0.9 * n) < 5 * Math.sqrt(n * 0.09), `kept ${keptCount} of ${n}`);
});

test('dropout is the same bit for bit on native and cpu', { skip: skipWithoutNative }, async () => {
  for (const [n, rate, seed] of [[100_003, 0.1, 7], [37, 0.5, -3], [70_000, 0.9, 2 ** 40 + 5]]) {
    const a = await maskOf('cpu', n, rate, seed), b = await maskOf('native', n, rate, seed);
    assert.deepEqual(Array.from(b), Array.from(a), `n=${n} rate=${rate} seed=${seed}`);
  }
  await initBackend({});
});

test('dropout: deterministic per seed, independent across seeds, values scaled by 1/keep', async () => {
  await initBackend({});
  const n = 50_000;
  const x = tf.tensor1d(rand(n, 3));
  const [a, a2, b] = tf.tidy(() => [dropout(x, 0.3, 1).dataSync(), dropout(x, 0.3, 1).dataSync(), dropout(x, 0.3, 2).dataSync()]);
  assert.deepEqual(Array.from(a2), Array.from(a), 'same seed, same mask');
  const xv = x.dataSync();
  let both = 0, ka = 0;
  for (let i = 0; i < n; i++) {
    if (a[i] !== 0) {
      ka++;
      assert.ok(Math.abs(a[i] - xv[i] / 0.7) < 1e-6, `kept value ${i} scaled by 1/keep`);
    }
    if (a[i] !== 0 && b[i] !== 0) both++;
  }
  // Adjacent seeds: overlap ~keep² = 0.49 of the elements if the masks are independent.
  assert.ok(Math.abs(both / n - 0.49) < 0.015, `overlap ${both / n}`);
  assert.ok(Math.abs(ka / n - 0.7) < 0.015, `kept ${ka / n}`);
  // Neighbouring elements are not correlated.
  let pairs = 0;
  for (let i = 1; i < n; i++) if (a[i] !== 0 && a[i - 1] !== 0) pairs++;
  assert.ok(Math.abs(pairs / (n - 1) - 0.49) < 0.015, `neighbour pairs ${pairs / (n - 1)}`);
  x.dispose();
});

test('dropout gradient is dy·m/keep, rate 0 is the identity, bad arguments are rejected, no leaks', async () => {
  await initBackend({});
  const x = tf.tensor2d(rand(6 * 50, 4), [6, 50]), w = tf.tensor2d(rand(6 * 50, 5), [6, 50]);
  const [y, g] = tf.tidy(() => [dropout(x, 0.25, 9).dataSync(), tf.grad((a: tf.Tensor) => dropout(a, 0.25, 9).mul(w).sum())(x).dataSync()]);
  const wv = w.dataSync();
  for (let i = 0; i < y.length; i++) assert.ok(Math.abs(g[i] - (y[i] === 0 ? 0 : wv[i] / 0.75)) < 1e-6, `grad ${i}`);
  tf.tidy(() => assert.deepEqual(Array.from(dropout(x, 0).dataSync()), Array.from(x.dataSync())));
  assert.throws(() => dropout(x, 1), /rate must be in \[0, 1\), got 1/);
  assert.throws(() => dropout(x, NaN), /rate must be in \[0, 1\), got NaN/);
  assert.throws(() => dropout(x, 0.1, 1.5), /seed must be a whole number, got 1.5/);
  assert.throws(() => dropout(tf.tensor1d([1, 2], 'int32'), 0.1), /x must be float32, got int32/);
  const step = () => tf.tidy(() => { tf.grad((a: tf.Tensor) => dropout(a, 0.1, 3).sum())(x).dataSync(); });
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) step();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, w]);
});

// Output-buffer reuse on the native backend: buffers come back only when nothing outside the
// backend can see them (read values, views made by cpu kernels, shared holders), reuse
// happens for plain intermediates, results stay right, and the pool respects its cap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { BufferPool, bufferPool } from '../../src/backend/buffer_pool.js';
import { skipWithoutNative } from '../helpers/oracle.js';

test('BufferPool: reuse, escape, aliasing and cap (unit)', () => {
  const pool = new BufferPool(64);
  const a = pool.take(4);
  pool.registered(a);
  pool.released(a);
  assert.equal(pool.take(4), a, 'a released buffer is handed out again');
  assert.notEqual(pool.take(4), a, 'but only once');

  const b = pool.take(4);
  pool.registered(b);
  pool.escaped(b);
  pool.released(b);
  assert.notEqual(pool.take(4), b, 'read values never come back');

  const c = pool.take(4);
  pool.registered(c);
  pool.registered(c.subarray(1, 3)); // a cpu Slice's view
  pool.released(c);
  assert.notEqual(pool.take(4), c, 'a buffer with a view never comes back');

  const d = pool.take(4);
  pool.registered(d);
  pool.registered(d); // a second holder
  pool.released(d);
  pool.released(d);
  assert.notEqual(pool.take(4), d, 'a shared buffer never comes back');

  const big = pool.take(32); // 128 bytes > cap 64
  pool.registered(big);
  pool.released(big);
  assert.equal(pool.bytes, 0, 'over the cap the GC frees it');
  assert.notEqual(pool.take(32), big);

  const off = new BufferPool(0);
  const e = off.take(4);
  off.registered(e);
  off.released(e);
  assert.notEqual(off.take(4), e, 'cap 0 turns reuse off');
});

test('native backend: reused buffers never change values a caller holds', { skip: skipWithoutNative }, async () => {
  await initBackend({ backend: 'native' });
  const pool = bufferPool();
  const x = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
  // Values read from a tensor stay valid after it is disposed and its length is reused.
  const y = tf.add(x, 1);
  const held = y.dataSync();
  const snapshot = Array.from(held);
  y.dispose();
  for (let i = 0; i < 5; i++) tf.tidy(() => tf.mul(x, 100 + i));
  assert.deepEqual(Array.from(held), snapshot, 'dataSync values survive reuse');

  // A cpu-kernel view (simple slice = subarray) of a native output outlives its source.
  const src = tf.add(x, 10); // native output, eligible
  const view = tf.slice(src, [1, 0], [1, 4]); // cpu Slice: subarray of src's buffer
  src.dispose();
  for (let i = 0; i < 5; i++) tf.tidy(() => tf.mul(x, -1));
  assert.deepEqual(Array.from(view.dataSync()), [15, 16, 17, 18], 'a slice keeps its values after the source is disposed');
  view.dispose();

  // Plain intermediates are reused: a repeated computation takes buffers back from the pool.
  const step = () => tf.tidy(() => tf.relu(tf.add(x, 1).mul(2)).sum().dataSync()[0]);
  const first = step();
  const before = pool.stats.reused;
  const mem = tf.memory().numTensors;
  for (let i = 0; i < 10; i++) assert.equal(step(), first, 'same result every time');
  assert.ok(pool.stats.reused > before, `buffers are reused (reused ${pool.stats.reused - before})`);
  assert.equal(tf.memory().numTensors, mem, 'no tensors leak');
  x.dispose();
});

test('native backend: a gradient step gives the same numbers with and without reuse', { skip: skipWithoutNative }, async () => {
  await initBackend({ backend: 'native' });
  const w = tf.variable(tf.randomNormal([3, 3, 4, 8], 0, 0.3, 'float32', 1));
  const img = tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
  const loss = () => tf.conv2d(img, w as tf.Tensor4D, 1, 'same').relu().square().mean() as tf.Scalar;
  const run = () => tf.tidy(() => {
    const { value, grads } = tf.variableGrads(loss);
    return [value.dataSync()[0], ...Array.from(grads[w.name].dataSync())];
  });
  const first = run();
  for (let i = 0; i < 4; i++) assert.deepEqual(run(), first, `step ${i + 2} equals step 1`);
  w.dispose();
  img.dispose();
});

// The VSA core against naive loops, plus its algebraic properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import {
  bindBundle, bindingRegularizer, bundle, circulant, cosineSimilarity, hrrBind, hrrUnbind, mapBind, mapUnbind,
  randomBipolarKeys, randomHrrKeys, unitaryHrrKeys,
} from '../../src/vsa/index.js';
import { assertClose, rand } from '../helpers/oracle.js';

/** Naive circular convolution (a ⊛ b)[i] = Σ_j a[j] b[(i − j) mod d]. */
function naiveCconv(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const d = a.length;
  return Array.from({ length: d }, (_, i) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += a[j] * b[(((i - j) % d) + d) % d];
    return s;
  });
}

test('circulant(k) · x is k ⊛ x', async () => {
  await initBackend({});
  const k = rand(7, 1), x = rand(7, 2);
  const got = tf.tidy(() => circulant(tf.tensor2d(k, [1, 7])).reshape([7, 7]).matMul(tf.tensor2d(x, [7, 1])).dataSync());
  assertClose(got, naiveCconv(k, x), 1e-6, 'circulant');
});

test('hrrBind matches naive circular convolution, with broadcasting', async () => {
  await initBackend({});
  const a = rand(3 * 8, 3), b = rand(8, 4);
  const got = tf.tidy(() => hrrBind(tf.tensor2d(a, [3, 8]), tf.tensor1d(b)).dataSync());
  const want = [0, 1, 2].flatMap((r) => naiveCconv(a.slice(r * 8, r * 8 + 8), b));
  assertClose(got, want, 1e-6, 'hrrBind');
});

test('unbinding recovers bound vectors exactly for unitary keys, approximately for random ones', async () => {
  await initBackend({});
  tf.tidy(() => {
    const d = 256;
    const x = tf.randomNormal([5, d], 0, 1, 'float32', 9);
    const ku = unitaryHrrKeys(5, d, 3);
    assertClose(hrrUnbind(hrrBind(x, ku), ku).dataSync(), x.dataSync(), 1e-4, 'unitary round trip');
    const kr = randomHrrKeys(5, d, 4);
    const sim = cosineSimilarity(hrrUnbind(hrrBind(x, kr), kr), x).dataSync();
    for (const s of sim) assert.ok(s > 0.5, `random-key round trip similarity ${s}`);
    // Unbinding with another slot's key recovers nothing.
    const wrong = cosineSimilarity(hrrUnbind(hrrBind(x, kr), kr.reverse(0)), x).dataSync();
    for (const [i, s] of Array.from(wrong).entries()) if (i !== 2) assert.ok(Math.abs(s) < 0.25, `wrong-key similarity ${s}`);
  });
});

test('random keys are near-orthogonal; MAP unbinding is exact', async () => {
  await initBackend({});
  tf.tidy(() => {
    const k = randomHrrKeys(8, 1024, 5);
    const g = tf.matMul(k, k, false, true).div(tf.outerProduct(k.norm('euclidean', 1) as tf.Tensor1D, k.norm('euclidean', 1) as tf.Tensor1D));
    const off = g.sub(tf.eye(8)).abs().max().dataSync()[0];
    assert.ok(off < 0.15, `max |cos| between random keys ${off}`);
    const b = randomBipolarKeys(3, 64, 6);
    assert.deepEqual(Array.from(new Set(b.dataSync())).sort(), [-1, 1]);
    const x = tf.randomNormal([3, 64], 0, 1, 'float32', 7);
    assertClose(mapUnbind(mapBind(x, b), b).dataSync(), x.dataSync(), 0, 'MAP round trip');
  });
});

/** Naive bind-and-bundle: slot s holds image (s mod n) of its group. */
function naiveBindBundle(x: Float32Array, [b, h, w, c]: number[], mats: Float32Array, nSlots: number, n: number): number[] {
  const out = new Array((b / n) * h * w * c).fill(0);
  for (let g = 0; g < b / n; g++) for (let p = 0; p < h * w; p++) for (let s = 0; s < nSlots; s++) {
    const img = g * n + (s % n);
    for (let o = 0; o < c; o++) {
      let acc = 0;
      for (let j = 0; j < c; j++) acc += mats[(s * c + o) * c + j] * x[(img * h * w + p) * c + j];
      out[(g * h * w + p) * c + o] += acc;
    }
  }
  return out;
}

for (const [nSlots, n] of [[1, 1], [2, 2], [2, 1], [4, 4], [4, 2], [4, 1]]) {
  test(`bindBundle N=${nSlots} n=${n} matches the per-slot loop (replication for n < N)`, async () => {
    await initBackend({});
    const shape = [4, 3, 2, 6], c = 6;
    const x = rand(4 * 3 * 2 * 6, 11), mats = rand(nSlots * c * c, 12);
    const got = tf.tidy(() => bindBundle(tf.tensor4d(x, shape as [number, number, number, number]), tf.tensor3d(mats, [nSlots, c, c]), n).dataSync());
    assertClose(got, naiveBindBundle(x, shape, mats, nSlots, n), 1e-5, 'bindBundle');
  });
}

// The native kernel's paths: compile-time widths (16, 32, 64) in blocks of four pixels with an
// edge block (3x3 = 9 pixels), and any other width; values against the naive loop, gradients
// against the tfjs formulation on the cpu backend.
for (const [c, n, nSlots] of [[16, 4, 4], [32, 2, 4], [64, 2, 2], [5, 3, 3]]) {
  test(`bindBundle C=${c} n=${n} N=${nSlots}: values and gradients on every backend agree`, async () => {
    const shape = [2 * n, 3, 3, c];
    const x = rand(shape.reduce((a, b) => a * b), 21 + c), mats = rand(nSlots * c * c, 22 + c), wts = rand(2 * 9 * c, 23);
    const run = () => tf.tidy(() => {
      const xt = tf.tensor4d(x, shape as [number, number, number, number]), mt = tf.tensor3d(mats, [nSlots, c, c]);
      const f = (a: tf.Tensor, m: tf.Tensor) => bindBundle(a as tf.Tensor4D, m as tf.Tensor3D, n).mul(tf.tensor(wts, [2, 3, 3, c])).sum();
      return [bindBundle(xt, mt, n).dataSync(), ...tf.grads(f)([xt, mt]).map((g) => g.dataSync())];
    });
    await initBackend({});
    const got = run();
    assertClose(got[0], naiveBindBundle(x, shape, mats, nSlots, n), 1e-4, `bindBundle on ${tf.getBackend()}`);
    await initBackend({ backend: 'cpu' });
    const want = run();
    await initBackend({});
    assertClose(got[1], want[1], 1e-4, 'dx');
    assertClose(got[2], want[2], 1e-4, 'dM');
  });
}

test('bindBundle gradients match the naive loop written in tf ops, and inputs are validated', async () => {
  await initBackend({});
  const x = tf.tensor4d(rand(4 * 2 * 2 * 4, 1), [4, 2, 2, 4]), m = tf.tensor3d(rand(4 * 16, 2), [4, 4, 4]);
  const viaLoop = (xx: tf.Tensor, mm: tf.Tensor) => {
    // Slot s of group g: image g·n + (s mod n), n = 2.
    const imgs = xx.reshape([2, 2, 2, 2, 4]); // [G, n, H, W, C]
    let acc: tf.Tensor = tf.zeros([2, 2, 2, 4]);
    for (let s = 0; s < 4; s++) {
      const xi = imgs.gather([s % 2], 1).reshape([8, 4]);
      acc = acc.add(xi.matMul(mm.gather([s], 0).reshape([4, 4]), false, true).reshape([2, 2, 2, 4]));
    }
    return acc.mul(tf.tensor(rand(32, 3), [2, 2, 2, 4])).sum();
  };
  const viaGemm = (xx: tf.Tensor, mm: tf.Tensor) => bindBundle(xx as tf.Tensor4D, mm as tf.Tensor3D, 2).mul(tf.tensor(rand(32, 3), [2, 2, 2, 4])).sum();
  const [a, b] = tf.tidy(() => [tf.grads(viaLoop)([x, m]), tf.grads(viaGemm)([x, m])].map((gs) => gs.map((g) => g.dataSync())));
  assertClose(b[0], a[0], 1e-5, 'dx');
  assertClose(b[1], a[1], 1e-5, 'dM');
  assert.throws(() => bindBundle(x, m, 3), /n=3 superposed inputs must divide the capacity N=4/);
  assert.throws(() => bindBundle(x.slice(0, 3), m, 2), /batch of 3 images is not a multiple of n=2/);
  assert.throws(() => bindBundle(x, tf.zeros([4, 3, 3]) as tf.Tensor3D, 2), /expected \[N, 4, 4\]/);
  const before = tf.memory().numTensors;
  tf.dispose(tf.grads(viaGemm)([x, m]));
  tf.dispose(tf.grads(viaGemm)([x, m]));
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, m]);
});

test('replicated inputs give the same bundle as explicit slot replication (None binding)', async () => {
  await initBackend({});
  tf.tidy(() => {
    const x = tf.tensor4d(rand(4 * 2 * 2 * 3, 5), [4, 2, 2, 3]);
    const eye = tf.stack([tf.eye(3), tf.eye(3), tf.eye(3), tf.eye(3)]) as tf.Tensor3D;
    assertClose(bundle(x, 2, 4).dataSync(), bindBundle(x, eye, 2).dataSync(), 1e-6, 'bundle vs identity binding');
  });
});

test('binding regulariser: naive formula, zero for orthonormal keys, norm term only at N=1', async () => {
  await initBackend({});
  const k = rand(3 * 5, 8);
  const rows = [0, 1, 2].map((r) => Array.from(k.slice(r * 5, r * 5 + 5)));
  const norm = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  let cross = 0;
  for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) {
    const dot = rows[i].reduce((a, x, t) => a + x * rows[j][t], 0) / (norm(rows[i]) * norm(rows[j]));
    cross += dot * dot;
  }
  const want = cross / 3 + rows.reduce((a, r) => a + (norm(r) - 1) ** 2, 0) / 3;
  const got = tf.tidy(() => bindingRegularizer(tf.tensor2d(k, [3, 5])).dataSync()[0]);
  assert.ok(Math.abs(got - want) < 1e-6, `R_bind ${got} vs ${want}`);
  assert.ok(tf.tidy(() => bindingRegularizer(tf.eye(4, 6) as tf.Tensor2D).dataSync()[0]) < 1e-12);
  const one = tf.tidy(() => bindingRegularizer(tf.tensor2d([[3, 4]])).dataSync()[0]);
  assert.ok(Math.abs(one - 16) < 1e-6, `N=1: (‖[3,4]‖ − 1)² = 16, got ${one}`);
});

// The single-pass bind/bundle/unbind kernels behind MIMOFormer attention: superposedAttention
// equals the op-by-op mimoAttention, mimoAttentionBundled and favorAttention (which the
// attention tests check against loops from SPEC) in values and gradients, on cpu (JS loops)
// and native (C++); bad shapes are refused; nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/index.js';
import { favorAttention, orthogonalRandomFeatures } from '../../../src/models/mimoformer/favor.js';
import { bundledProjections, mimoAttention, mimoAttentionBundled, superposedAttention, type Linear } from '../../../src/models/mimoformer/mimo_attention.js';
import { arrangeGrid, bundleGrid, unbindGrid } from '../../../src/models/mimoformer/superpose_ops.js';
import { randomBipolarKeys } from '../../../src/vsa/index.js';
import { assertClose, rand, skipWithoutNative } from '../../helpers/oracle.js';

const [B, L, H, D, R] = [16, 7, 2, 8, 12];
const T = (t: tf.Tensor) => t.transpose([0, 2, 1, 3]) as tf.Tensor4D; // [B, L, H, D] <-> [B, H, L, D]

function check(backendName: string): void {
  const t = (seed: number) => tf.tensor4d(rand(B * L * H * D, seed), [B, L, H, D]);
  // Padding at the ends of some sequences, one fully padded.
  const mask = tf.tensor2d(Array.from({ length: B * L }, (_, i) => (Math.floor(i / L) === 5 ? 0 : i % L < L - (Math.floor(i / L) % 3) ? 1 : 0)), [B, L]);
  const p = tf.tensor2d(orthogonalRandomFeatures(R, D, 3), [R, D]);
  const keys = randomBipolarKeys(16, D, 5).reshape([4, 4, D]) as tf.Tensor3D;
  const cases: ['performer' | 'att' | 'attmlp', number][] = [['performer', 1], ['att', 2], ['att', 4], ['attmlp', 2], ['attmlp', 4]];
  for (const [scheme, M] of cases) {
    const g = { m: M, n: M };
    const beta = scheme === 'performer' ? (tf.ones([1, 1, D]) as tf.Tensor3D) : keys;
    const ref = (q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D) => scheme === 'performer' ? T(favorAttention(T(q), T(k), T(v), mask, p))
      : scheme === 'att' ? T(mimoAttention(T(q), T(k), T(v), mask, beta, p, g)) : T(mimoAttentionBundled(T(q), T(k), T(v), mask, beta, p, g));
    const fused = (q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D) => superposedAttention(q, k, v, mask, beta, p, g, scheme === 'attmlp' ? 'attmlp' : 'att');
    const [q, k, v] = [t(1), t(2), t(3)];
    const a = ref(q, k, v), b = fused(q, k, v);
    assert.deepEqual(b.shape, a.shape, `${backendName} ${scheme} M=N=${M}: shape`);
    assertClose(b.dataSync(), a.dataSync(), 1e-5, `${backendName} ${scheme} M=N=${M}: values`);
    const w = tf.tensor(rand(a.size, 9), a.shape);
    const loss = (f: typeof ref) => (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => f(x as tf.Tensor4D, y as tf.Tensor4D, z as tf.Tensor4D).mul(w).sum() as tf.Scalar;
    const ga = tf.grads(loss(ref))([q, k, v]), gb = tf.grads(loss(fused))([q, k, v]);
    ['q', 'k', 'v'].forEach((name, i) => assertClose(gb[i].dataSync(), ga[i].dataSync(), 1e-5, `${backendName} ${scheme} M=N=${M}: d${name}`));
    tf.dispose([q, k, v, a, b, w, ...ga, ...gb, ...(scheme === 'performer' ? [beta] : [])]);
  }
  tf.dispose([mask, p, keys]);
}

test('superposed attention (single-pass kernels) equals the op-by-op schemes, cpu JS loops', async () => {
  await initBackend({ backend: 'cpu' });
  check('cpu');
});

test('superposed attention (single-pass kernels) equals the op-by-op schemes, native C++', { skip: skipWithoutNative }, async () => {
  await initBackend({ backend: 'native' });
  check('native');
  const q = tf.tensor4d(rand(B * L * H * D, 4), [B, L, H, D]);
  const keys = randomBipolarKeys(4, D, 6).reshape([2, 2, D]) as tf.Tensor3D;
  const mask = tf.ones([B, L]) as tf.Tensor2D;
  const step = () => tf.tidy(() => {
    tf.grad((x: tf.Tensor) => bundleGrid(x as tf.Tensor4D, keys, mask, true, 0.5).sum())(q).dataSync();
  });
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) step();
  assert.equal(tf.memory().numTensors, before, 'tensor count must stay flat');
  tf.dispose([q, keys, mask]);
});

// Binding inside the projection: bundledProjections(a) equals bundleGrid of the per-sequence
// projections a W + b, for q (columns, unmasked), k (rows, masked, scaled) and v, at M=N=2, 4
// and at a 2x2 corner of 4x4 keys (the warm-up curriculum); gradients of a, W and b too.
function checkBundledProjections(backendName: string): void {
  const d = 6, hd = H * D;
  const a = tf.tensor3d(rand(B * L * d, 11), [B, L, d]);
  const mask = tf.tensor2d(Array.from({ length: B * L }, (_, i) => (Math.floor(i / L) === 5 ? 0 : i % L < L - (Math.floor(i / L) % 3) ? 1 : 0)), [B, L]);
  const lin = (seed: number): Linear => ({ w: tf.tensor2d(rand(d * hd, seed), [d, hd]), b: tf.tensor1d(rand(hd, seed + 1)) });
  const [q, k, v] = [lin(20), lin(22), lin(24)];
  const keys = randomBipolarKeys(16, D, 5).reshape([4, 4, D]) as tf.Tensor3D;
  for (const [M, beta] of [[2, keys.slice([0, 0, 0], [2, 2, D]) as tf.Tensor3D], [4, keys], [2, keys]] as [number, tf.Tensor3D][]) {
    const g = { m: M, n: M }, s = Math.sqrt(Math.sqrt(D) * M * M);
    const bt = beta.slice([0, 0, 0], [M, M, D]) as tf.Tensor3D;
    const proj = (x: tf.Tensor, p: Linear) => x.reshape([B * L, d]).matMul(p.w).add(p.b).reshape([B, L, H, D]) as tf.Tensor4D;
    const ref = (x: tf.Tensor, ps: Linear[]) => [bundleGrid(proj(x, ps[0]), bt, null, false, 1 / s), bundleGrid(proj(x, ps[1]), bt, mask, true, 1 / s), bundleGrid(proj(x, ps[2]), bt, mask, true, 1)];
    const got = (x: tf.Tensor, ps: Linear[]) => { const r = bundledProjections(x as tf.Tensor3D, mask, ps[0], ps[1], ps[2], beta, g, H); return [r.qb, r.kb, r.vb]; };
    const what = `${backendName} M=N=${M} keys [${beta.shape}]`;
    const want = ref(a, [q, k, v]), have = got(a, [q, k, v]);
    ['q', 'k', 'v'].forEach((n, i) => {
      assert.deepEqual(have[i].shape, want[i].shape, `${what}: ${n} bundle shape`);
      assertClose(have[i].dataSync(), want[i].dataSync(), 1e-5, `${what}: ${n} bundles`);
    });
    const w = want.map((t, i) => tf.tensor(rand(t.size, 30 + i), t.shape));
    const loss = (f: typeof ref) => (x: tf.Tensor, ...ws: tf.Tensor[]) => {
      const ps = [0, 1, 2].map((i) => ({ w: ws[2 * i] as tf.Tensor2D, b: ws[2 * i + 1] as tf.Tensor1D }));
      return f(x, ps).map((t, i) => t.mul(w[i]).sum()).reduce((u, z) => u.add(z)) as tf.Scalar;
    };
    const args = [a, q.w, q.b, k.w, k.b, v.w, v.b];
    const gw = tf.grads(loss(ref))(args), gh = tf.grads(loss(got))(args);
    ['a', 'Wq', 'bq', 'Wk', 'bk', 'Wv', 'bv'].forEach((n, i) => assertClose(gh[i].dataSync(), gw[i].dataSync(), 1e-4, `${what}: d${n}`));
    tf.dispose([...want, ...have, ...w, ...gw, ...gh, bt]);
  }
  // att.+MLP's skip connection S_n = Σ_m γ_mn ⊙ X_mn as a column bundle of x viewed as one head.
  const gk = randomBipolarKeys(4, d, 8).reshape([2, 2, d]) as tf.Tensor3D;
  const skip = bundleGrid(a.reshape([B, L, 1, d]) as tf.Tensor4D, gk, null, false, 1).reshape([B / 2, L, d]);
  const skipRef = a.reshape([B / 4, 2, 2, L, d]).mul(gk.reshape([1, 2, 2, 1, d])).sum(1).reshape([B / 2, L, d]);
  assertClose(skip.dataSync(), skipRef.dataSync(), 1e-6, `${backendName}: skip bundle`);
  tf.dispose([gk, skip, skipRef]);
  assert.throws(() => arrangeGrid(tf.zeros([6, 2, 3]) as tf.Tensor3D, null, 2, 2, true), /arrangeGrid: batch 6 is not a multiple of M·N = 4/);
  tf.dispose([a, mask, keys, q.w, q.b, k.w, k.b, v.w, v.b]);
}

test('bundled projections equal projecting then bundling, cpu JS loops', async () => {
  await initBackend({ backend: 'cpu' });
  checkBundledProjections('cpu');
});

test('bundled projections equal projecting then bundling, native C++, no leaks', { skip: skipWithoutNative }, async () => {
  await initBackend({ backend: 'native' });
  checkBundledProjections('native');
  const a = tf.tensor3d(rand(B * L * 6, 3), [B, L, 6]);
  const mask = tf.ones([B, L]) as tf.Tensor2D;
  const step = () => tf.tidy(() => { tf.grad((x: tf.Tensor) => arrangeGrid(x as tf.Tensor3D, mask, 2, 2, true).square().sum())(a).dataSync(); });
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) step();
  assert.equal(tf.memory().numTensors, before, 'tensor count must stay flat');
  tf.dispose([a, mask]);
});

test('bundle and unbind refuse shapes that do not fit, naming them', async () => {
  await initBackend({});
  const keys = tf.ones([2, 2, 4]) as tf.Tensor3D;
  assert.throws(() => bundleGrid(tf.zeros([6, 3, 1, 4]) as tf.Tensor4D, keys, null, true, 1), /bundleGrid: x \[6,3,1,4\] does not fit keys \[2,2,4\] \(batch a multiple of 4/);
  assert.throws(() => bundleGrid(tf.zeros([4, 3, 1, 4]) as tf.Tensor4D, keys, tf.ones([4, 2]) as tf.Tensor2D, true, 1), /mask \[4,2\] does not match x \[4,3,1,4\]/);
  assert.throws(() => unbindGrid(tf.zeros([1, 1, 2, 3, 4]) as tf.Tensor5D, tf.ones([1, 1, 2, 3, 3]) as tf.Tensor5D, keys), /want den \[1,1,2,3,2\]/);
  keys.dispose();
});

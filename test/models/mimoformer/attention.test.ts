// FAVOR+ and MIMOFormer attention against naive loops written from SPEC §3.2–3.4, the
// M=N=1 identity, grouping order, and the batch-size check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/index.js';
import { favorAttention, orthogonalRandomFeatures } from '../../../src/models/mimoformer/favor.js';
import { groupsOf, mimoAttention, mimoAttentionBundled } from '../../../src/models/mimoformer/mimo_attention.js';
import { assertClose, rand } from '../../helpers/oracle.js';

type Arr = Float32Array;
const B = 8, H = 2, L = 5, DH = 4, R = 6;
const idx = (b: number, h: number, l: number, d: number) => ((b * H + h) * L + l) * DH + d;

function phi(x: number[], p: Arr): number[] {
  return Array.from({ length: R }, (_, r) => {
    let s = 0;
    for (let d = 0; d < DH; d++) s += p[r * DH + d] * x[d];
    return Math.max(0, s * DH ** -0.25) + 0.001;
  });
}
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const vec = (a: Arr, b: number, h: number, l: number) => Array.from({ length: DH }, (_, d) => a[idx(b, h, l, d)]);

/** Naive "att." / "att.+MLP" from the SPEC's formulas, loop by loop. */
function naiveMimo(q: Arr, k: Arr, v: Arr, mask: Arr, beta: Arr, p: Arr, M: number, N: number, bundledOut: boolean): number[] {
  const G = B / (M * N), s = Math.sqrt(Math.sqrt(DH) * M * N);
  const seq = (g: number, m: number, n: number) => (g * M + m) * N + n;
  const bet = (m: number, n: number) => Array.from({ length: DH }, (_, d) => beta[(m * N + n) * DH + d]);
  const out: number[] = new Array(bundledOut ? G * N * H * L * DH : B * H * L * DH).fill(0);
  for (let g = 0; g < G; g++) for (let h = 0; h < H; h++) {
    const qt = (n: number, l: number) => { const r = new Array(DH).fill(0); for (let m = 0; m < M; m++) { const x = vec(q, seq(g, m, n), h, l), bb = bet(m, n); for (let d = 0; d < DH; d++) r[d] += bb[d] * x[d] / s; } return r; };
    const kt = (m: number, l: number) => { const r = new Array(DH).fill(0); for (let n = 0; n < N; n++) { const b = seq(g, m, n), x = vec(k, b, h, l), bb = bet(m, n); for (let d = 0; d < DH; d++) r[d] += bb[d] * mask[b * L + l] * x[d] / s; } return r; };
    const vt = (m: number, l: number) => { const r = new Array(DH).fill(0); for (let n = 0; n < N; n++) { const b = seq(g, m, n), x = vec(v, b, h, l), bb = bet(m, n); for (let d = 0; d < DH; d++) r[d] += bb[d] * mask[b * L + l] * x[d]; } return r; };
    const A = Array.from({ length: R }, () => new Array(DH).fill(0)), z = Array.from({ length: M }, () => new Array(R).fill(0));
    for (let m = 0; m < M; m++) for (let l = 0; l < L; l++) {
      const f = phi(kt(m, l), p), vv = vt(m, l);
      for (let r = 0; r < R; r++) { z[m][r] += f[r]; for (let d = 0; d < DH; d++) A[r][d] += f[r] * vv[d]; }
    }
    for (let n = 0; n < N; n++) for (let l = 0; l < L; l++) {
      const f = phi(qt(n, l), p);
      const num = Array.from({ length: DH }, (_, d) => f.reduce((acc, fr, r) => acc + fr * A[r][d], 0));
      if (bundledOut) {
        const den = dot(f, z.reduce((acc, zm) => acc.map((a, r) => a + zm[r]), new Array(R).fill(0)));
        for (let d = 0; d < DH; d++) out[(((g * N + n) * H + h) * L + l) * DH + d] = num[d] / den;
      } else {
        for (let m = 0; m < M; m++) {
          const den = dot(f, z[m]), bb = bet(m, n);
          for (let d = 0; d < DH; d++) out[idx(seq(g, m, n), h, l, d)] = bb[d] * num[d] / den;
        }
      }
    }
  }
  return out;
}

function inputs() {
  const q = rand(B * H * L * DH, 1), k = rand(B * H * L * DH, 2), v = rand(B * H * L * DH, 3);
  const mask = Float32Array.from({ length: B * L }, (_, i) => (i % L === L - 1 && i % 3 === 0 ? 0 : 1)); // some padding
  const beta = rand(4 * 4 * DH, 4).map((x) => (x < 0 ? -1 : 1));
  const p = orthogonalRandomFeatures(R, DH, 5);
  return { q, k, v, mask, beta, p };
}
const t4 = (a: Arr) => tf.tensor4d(a, [B, H, L, DH]);

test('orthogonal random features: deterministic, orthogonal within each Dh block', () => {
  const a = orthogonalRandomFeatures(10, 4, 1), b = orthogonalRandomFeatures(10, 4, 1);
  assert.deepEqual(Array.from(a), Array.from(b));
  const row = (i: number) => Array.from(a.slice(i * 4, i * 4 + 4));
  for (const [i, j] of [[0, 1], [1, 3], [4, 7], [8, 9]]) assert.ok(Math.abs(dot(row(i), row(j))) < 1e-4, `rows ${i}, ${j}`);
});

test('MIMO att. matches the naive formulas at M=N=2 (grouping (g·M+m)·N+n) and M=2,N=1; att.+MLP too', async () => {
  await initBackend({});
  const x = inputs();
  for (const [M, N] of [[2, 2], [2, 1], [1, 2]]) {
    const betaMN = Float32Array.from({ length: M * N * DH }, (_, i) => x.beta[i]);
    const got = tf.tidy(() => mimoAttention(t4(x.q), t4(x.k), t4(x.v), tf.tensor2d(x.mask, [B, L]), tf.tensor3d(betaMN, [M, N, DH]), tf.tensor2d(x.p, [R, DH]), { m: M, n: N }).dataSync());
    assertClose(got, naiveMimo(x.q, x.k, x.v, x.mask, betaMN, x.p, M, N, false), 1e-5, `att. M=${M} N=${N}`);
    const gotB = tf.tidy(() => mimoAttentionBundled(t4(x.q), t4(x.k), t4(x.v), tf.tensor2d(x.mask, [B, L]), tf.tensor3d(betaMN, [M, N, DH]), tf.tensor2d(x.p, [R, DH]), { m: M, n: N }).dataSync());
    assertClose(gotB, naiveMimo(x.q, x.k, x.v, x.mask, betaMN, x.p, M, N, true), 1e-5, `att.+MLP M=${M} N=${N}`);
  }
});

test('att. at M=N=1 is Performer with the key folded into Q, K, V and the output', async () => {
  await initBackend({});
  const x = inputs();
  tf.tidy(() => {
    const beta = tf.tensor3d(x.beta.slice(0, DH), [1, 1, DH]), bvec = tf.tensor1d(x.beta.slice(0, DH));
    const mask = tf.tensor2d(x.mask, [B, L]), p = tf.tensor2d(x.p, [R, DH]);
    const mimo = mimoAttention(t4(x.q), t4(x.k), t4(x.v), mask, beta, p, { m: 1, n: 1 });
    const perf = favorAttention(t4(x.q).mul(bvec) as tf.Tensor4D, t4(x.k).mul(bvec) as tf.Tensor4D, t4(x.v).mul(bvec) as tf.Tensor4D, mask, p).mul(bvec);
    assertClose(mimo.dataSync(), perf.dataSync(), 1e-5, 'M=N=1');
  });
});

test('batch sizes that are not multiples of M·N are rejected with the fix', () => {
  assert.equal(groupsOf(16, { m: 2, n: 2 }), 4);
  assert.throws(() => groupsOf(10, { m: 2, n: 2 }), /batch of 10 sequences is not a multiple of M·N = 2·2 = 4; use a batch size divisible by 4/);
});

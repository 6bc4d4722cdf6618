// Every native kernel against the tfjs cpu backend (the oracle) on a grid of shapes,
// gradients against central differences, and tensor-leak checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { compareBackends, rand, skipWithoutNative } from '../helpers/oracle.js';

const skip = skipWithoutNative;
const compare = compareBackends;

interface ConvCase { n: number; h: number; w: number; c: number; k: number; kw?: number; o: number; s: number; pad: 'same' | 'valid'; d?: number }
const convCases: ConvCase[] = [
  { n: 1, h: 8, w: 8, c: 3, k: 3, o: 4, s: 1, pad: 'same' },
  { n: 3, h: 7, w: 9, c: 5, k: 3, o: 6, s: 2, pad: 'same' },
  { n: 2, h: 9, w: 6, c: 4, k: 3, o: 3, s: 2, pad: 'valid' },
  { n: 5, h: 8, w: 8, c: 16, k: 1, o: 32, s: 2, pad: 'same' },
  { n: 1, h: 5, w: 7, c: 7, k: 1, o: 5, s: 1, pad: 'valid' },
  { n: 2, h: 10, w: 11, c: 8, k: 3, kw: 1, o: 8, s: 1, pad: 'same' },
  { n: 2, h: 12, w: 12, c: 3, k: 3, o: 5, s: 1, pad: 'same', d: 2 },
  { n: 4, h: 16, w: 16, c: 32, k: 3, o: 64, s: 1, pad: 'same' },
  // Winograd (3x3, stride 1, >= 32 channels in and out): partial 4x4 tiles at the edges, valid padding.
  { n: 2, h: 13, w: 11, c: 32, k: 3, o: 48, s: 1, pad: 'same' },
  { n: 3, h: 10, w: 9, c: 40, k: 3, o: 32, s: 1, pad: 'valid' },
  // Output above the addon's parallel threshold with an odd channel count (PReLU epilogue slices start mid-row).
  { n: 3, h: 31, w: 29, c: 5, k: 3, o: 13, s: 1, pad: 'same' },
];

// Winograd F(4x4, 3x3) (oneDNN's on AVX-512, the addon's own elsewhere) rounds differently from
// the direct loops: up to ~2e-5 of these outputs' scale (~6), and the per-channel PReLU case
// multiplies negative outputs by slopes of up to 3 (measured: 1.4e-4).
const winograd = (cc: ConvCase) => cc.k === 3 && (cc.kw ?? cc.k) === 3 && cc.s === 1 && (cc.d ?? 1) === 1 && cc.c >= 32 && cc.o >= 32;

for (const cc of convCases) {
  const kw = cc.kw ?? cc.k;
  const title = `conv n${cc.n} ${cc.h}x${cc.w}x${cc.c} k${cc.k}x${kw} o${cc.o} s${cc.s} ${cc.pad} d${cc.d ?? 1}${winograd(cc) ? ' [winograd]' : ''}`;
  const tol = winograd(cc) ? 3e-4 : 1e-4;
  test(`${title}: forward, fused and gradients match cpu`, { skip }, async () => {
    await initBackend({ backend: 'native' });
    const xv = rand(cc.n * cc.h * cc.w * cc.c, 1), fv = rand(cc.k * kw * cc.c * cc.o, 2), bv = rand(cc.o, 3);
    const x = () => tf.tensor4d(xv, [cc.n, cc.h, cc.w, cc.c]);
    const f = () => tf.tensor4d(fv, [cc.k, kw, cc.c, cc.o]);
    const conv = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.conv2d(a, b, cc.s, cc.pad, 'NHWC', cc.d ?? 1);
    await compare(`${title} fwd`, () => conv(x(), f()), tol);
    await compare(`${title} fused relu`, () => tf.fused.conv2d({ x: x(), filter: f(), strides: cc.s, pad: cc.pad,
      dilations: cc.d ?? 1, bias: tf.tensor1d(bv), activation: 'relu' }), tol);
    // PReLU epilogue: one slope per output channel (some negative, some above 1), and one shared slope.
    await compare(`${title} fused prelu per channel`, () => tf.fused.conv2d({ x: x(), filter: f(), strides: cc.s, pad: cc.pad,
      dilations: cc.d ?? 1, bias: tf.tensor1d(bv), activation: 'prelu', preluActivationWeights: tf.tensor1d(rand(cc.o, 5).map((v) => 3 * v)) }), tol);
    await compare(`${title} fused prelu shared`, () => tf.fused.conv2d({ x: x(), filter: f(), strides: cc.s, pad: cc.pad,
      dilations: cc.d ?? 1, activation: 'prelu', preluActivationWeights: tf.scalar(0.25) }), tol);
    if ((cc.d ?? 1) === 1) {
      // Gradients of a weighted sum, so every output element's gradient differs.
      await compare(`${title} grads`, () => {
        const wts = tf.tensor(rand(cc.n * Math.ceil(cc.h / cc.s) * Math.ceil(cc.w / cc.s) * cc.o, 4));
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
          const y = conv(a as tf.Tensor4D, b as tf.Tensor4D);
          return y.mul(wts.slice(0, y.size).reshape(y.shape)).sum();
        });
        return g([x(), f()]);
      }, 2e-4);
    }
  });
}

// tfjs itself (on cpu too) cannot differentiate rank-mismatched batch matmuls nor run fused
// general broadcasts; those cases check values only.
interface MmCase { a: number[]; b: number[]; ta: boolean; tb: boolean; valuesOnly?: boolean; noGrad?: boolean }
const mmCases: MmCase[] = [
  { a: [1, 1], b: [1, 1], ta: false, tb: false },
  { a: [7, 5], b: [5, 3], ta: false, tb: false },
  { a: [5, 7], b: [5, 3], ta: true, tb: false },
  { a: [7, 5], b: [3, 5], ta: false, tb: true },
  { a: [5, 7], b: [3, 5], ta: true, tb: true },
  { a: [4, 6, 5], b: [4, 5, 3], ta: false, tb: false },
  { a: [4, 6, 5], b: [5, 3], ta: false, tb: false, noGrad: true },
  { a: [6, 5], b: [3, 5, 2], ta: false, tb: false, noGrad: true },
  { a: [2, 3, 5, 6], b: [2, 3, 5, 4], ta: true, tb: false },
  { a: [2, 1, 5, 6], b: [1, 3, 6, 4], ta: false, tb: false, valuesOnly: true }, // general broadcast: cpu fallback
  { a: [65, 130], b: [130, 33], ta: false, tb: false },
  // Aᵀ·B with N < M runs turned around, (Bᵀ·A)ᵀ: batch broadcasts on either side, N = 1, N = 64 (the limit).
  { a: [1, 300, 40], b: [3, 300, 2], ta: true, tb: false, noGrad: true },
  { a: [3, 300, 40], b: [300, 1], ta: true, tb: false, noGrad: true },
  { a: [2, 200, 70], b: [2, 200, 64], ta: true, tb: false },
  { a: [2, 200, 30], b: [2, 200, 64], ta: true, tb: false },
];

for (const mc of mmCases) {
  const title = `matmul ${mc.a}${mc.ta ? 'ᵀ' : ''} x ${mc.b}${mc.tb ? 'ᵀ' : ''}`;
  test(`${title}: values, fused and gradients match cpu`, { skip }, async () => {
    await initBackend({ backend: 'native' });
    const av = rand(tf.util.sizeFromShape(mc.a), 5), bv = rand(tf.util.sizeFromShape(mc.b), 6);
    const A = () => tf.tensor(av, mc.a), B = () => tf.tensor(bv, mc.b);
    const nOut = mc.tb ? mc.b[mc.b.length - 2] : mc.b[mc.b.length - 1];
    const bias = rand(nOut, 7);
    await compare(`${title} value`, () => tf.matMul(A(), B(), mc.ta, mc.tb));
    if (mc.valuesOnly) return;
    for (const activation of ['linear', 'relu', 'elu', 'sigmoid', 'leakyrelu', 'relu6', 'prelu'] as const) {
      await compare(`${title} fused ${activation}`, () => tf.fused.matMul({ a: A(), b: B(), transposeA: mc.ta, transposeB: mc.tb,
        bias: tf.tensor1d(bias), activation, preluActivationWeights: activation === 'prelu' ? tf.scalar(0.25) : undefined }));
    }
    if (mc.noGrad) return;
    await compare(`${title} grads`, () => tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.matMul(a, b, mc.ta, mc.tb).square().sum())([A(), B()]), 2e-4);
  });
}

test('conv gradients agree with central differences (float64 reference)', { skip }, async () => {
  await initBackend({ backend: 'native' });
  const shape = [2, 5, 5, 3], fshape = [3, 3, 3, 2];
  const xv = rand(150, 11), fv = rand(54, 12);
  const loss = (x: tf.Tensor, f: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same').square().sum();
  const [gx, gf] = tf.tidy(() => tf.grads(loss)([tf.tensor(xv, shape), tf.tensor(fv, fshape)]).map((t) => t.dataSync()));
  // Central differences in float32 with a large-ish step; quadratic loss so the error is O(h^2) rounding only.
  const h = 1e-2;
  const probe = (vals: Float32Array, idx: number, isX: boolean) => {
    const up = vals.slice(); up[idx] += h;
    const dn = vals.slice(); dn[idx] -= h;
    const l = (v: Float32Array) => tf.tidy(() => (isX ? loss(tf.tensor(v, shape), tf.tensor(fv, fshape))
      : loss(tf.tensor(xv, shape), tf.tensor(v, fshape))).dataSync()[0]);
    return (l(up) - l(dn)) / (2 * h);
  };
  for (const i of [0, 17, 63, 149]) {
    const num = probe(xv, i, true);
    assert.ok(Math.abs(num - gx[i]) <= 2e-2 * (1 + Math.abs(num)), `dx[${i}]: analytic ${gx[i]} numeric ${num}`);
  }
  for (const i of [0, 9, 30, 53]) {
    const num = probe(fv, i, false);
    assert.ok(Math.abs(num - gf[i]) <= 2e-2 * (1 + Math.abs(num)), `dw[${i}]: analytic ${gf[i]} numeric ${num}`);
  }
});

test('native kernels leak no tensors across repeated calls', { skip }, async () => {
  await initBackend({ backend: 'native' });
  const x = tf.tensor4d(rand(2 * 6 * 6 * 4, 1), [2, 6, 6, 4]);
  const f = tf.tensor4d(rand(3 * 3 * 4 * 5, 2), [3, 3, 4, 5]);
  const a = tf.tensor2d(rand(12, 3), [3, 4]);
  const bias = tf.tensor1d([1, 2, 3]), alpha = tf.scalar(0.1);
  const step = () => {
    const g = tf.grads((xx: tf.Tensor, ff: tf.Tensor) => tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, 1, 'same').sum())([x, f]);
    const m = tf.fused.matMul({ a, b: a, transposeB: true, bias, activation: 'prelu', preluActivationWeights: alpha });
    tf.dispose([...g, m]);
  };
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) step();
  assert.equal(tf.memory().numTensors, before, 'tensor count must stay flat');
  tf.dispose([bias, alpha]);
  tf.dispose([x, f, a]);
});

test('the native backend is selected by default and runs cpu kernels it does not override', { skip }, async () => {
  const info = await initBackend({});
  assert.equal(info.backend, 'native');
  assert.equal(tf.getBackend(), 'native');
  assert.ok(info.threads >= 1);
  const y = tf.tidy(() => tf.tensor([1, -2, 3]).relu().add(1).dataSync());
  assert.deepEqual(Array.from(y), [2, 1, 4]);
});

test('convolutions of different sizes share the per-thread working memory and still agree', { skip }, async () => {
  // The scratchpad and the blocked copies around Winograd come from buffers each thread grows
  // to its largest request: a small call between two large ones must leave them usable.
  await initBackend({ backend: 'native' });
  const fv = rand(3 * 3 * 32 * 48, 2);
  const run = (n: number) => {
    let out: Float32Array[] = [];
    tf.tidy(() => { // not returned from tidy, which would walk the arrays element by element
      const x = tf.tensor4d(rand(n * 12 * 12 * 32, 1), [n, 12, 12, 32]), f = tf.tensor4d(fv, [3, 3, 32, 48]);
      const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same').square().sum())([x, f]);
      out = [tf.conv2d(x, f, 1, 'same'), dx, df].map((t) => t.dataSync() as Float32Array);
    });
    return out;
  };
  const big = run(6);
  await compare('small conv between large ones', () => {
    const x = tf.tensor4d(rand(1 * 12 * 12 * 32, 1), [1, 12, 12, 32]), f = tf.tensor4d(fv, [3, 3, 32, 48]);
    return [tf.conv2d(x, f, 1, 'same'), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same').square().sum())([x, f])];
  }, 1e-3); // Winograd's rounding on the squared loss's larger gradients; a stale buffer would be far off
  assert.deepEqual(run(6), big);
});

// A conv forward's signature at 2x16x16, 3x3, 'same' (n h w c kh kw o oh ow sh sw dh dw pt pl pb pr).
const convSig = (c: number, o: number, s: number) => Int32Array.from([2, 16, 16, c, 3, 3, o, 16 / s, 16 / s, s, s, 1, 1, 1, 1, s === 1 ? 1 : 0, s === 1 ? 1 : 0]);

/** convImplInfo(sig) in a fresh process with MIMO_CONV_WINOGRAD=mode (the addon reads it once). */
async function convImplInChild(mode: string, sig: Int32Array): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const { spawnSync } = await import('node:child_process');
  const addonPath = new URL('../../src/backend/addon.js', import.meta.url).href;
  return spawnSync(process.execPath, ['--input-type=module', '-e',
    `const { loadAddon } = await import(${JSON.stringify(addonPath)}); console.log(loadAddon().addon.convImplInfo(Int32Array.from([${[...sig]}])));`],
  { encoding: 'utf8', env: { ...process.env, MIMO_CONV_WINOGRAD: mode } });
}

test('3x3 stride-1 convolutions with >= 32 channels use Winograd (oneDNN\'s on AVX-512, the addon\'s own elsewhere), unless MIMO_CONV_WINOGRAD=0', { skip }, async () => {
  const { loadAddon } = await import('../../src/backend/addon.js');
  const { cpuInfo } = await import('../../src/util/machine.js');
  const impl = loadAddon().addon!.convImplInfo;
  // oneDNN 2.6 implements f32 Winograd for AVX-512 only; elsewhere the addon runs its own.
  assert.match(impl(convSig(32, 64, 1)), cpuInfo().vector === 'AVX-512' ? /wino/ : /^mimo_wino_4x3$/);
  assert.doesNotMatch(impl(convSig(16, 16, 1)), /wino/); // too few channels: slower than direct
  assert.doesNotMatch(impl(convSig(32, 64, 2)), /wino/); // strided
  const r = await convImplInChild('0', convSig(32, 64, 1));
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /wino/);
  assert.match(r.stdout, /avx|brg|jit/);
});

test('the addon\'s own Winograd (MIMO_CONV_WINOGRAD=own, also on AVX-512 machines) passes the conv cases tagged winograd, also in tiny blocks of tiles on 2 threads',
  { skip: skip || (process.env.MIMO_CONV_WINOGRAD === 'own' && 'in the child this test spawns') }, async () => {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  // Without NODE_TEST_CONTEXT, which would make the child report to this runner, not as TAP.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  // Default blocks (one or two per case), then 5 and 7 tiles per block: many blocks, a partial
  // last one, both threads adding filter-gradient blocks into their own sums.
  for (const blocks of [{}, { MIMO_WG_TILES: '5', MIMO_WG_TILES_BW: '7', MIMO_THREADS: '2' }]) {
    const r = spawnSync(process.execPath, ['--test', '--test-name-pattern=\\[winograd\\]', fileURLToPath(import.meta.url)],
      { encoding: 'utf8', env: { ...env, MIMO_CONV_WINOGRAD: 'own', ...blocks } });
    assert.equal(r.status, 0, JSON.stringify(blocks) + r.stdout.slice(-3000) + r.stderr);
    const passed = Number(/^# pass (\d+)/m.exec(r.stdout)?.[1]);
    assert.equal(passed, convCases.filter(winograd).length, JSON.stringify(blocks) + r.stdout.slice(-2000));
  }
  const info = await convImplInChild('own', convSig(32, 64, 1));
  assert.equal(info.stdout.trim(), 'mimo_wino_4x3', info.stderr);
});

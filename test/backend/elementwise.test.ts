// The native elementwise, reduction, Tile and FusedBatchNorm kernels against the tfjs cpu
// backend (the oracle): broadcast patterns, NaN semantics, dtype fallbacks, gradients
// of batch-norm expressions, and tensor leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, loadAddon } from '../../src/backend/index.js';
import { reduceGeometry } from '../../src/backend/reduce_kernels.js';
import { compareBackends, rand } from '../helpers/oracle.js';

const addon = loadAddon().addon;
const skip = addon ? false : 'native addon not built (npm run build:native)';

const T = (shape: number[], seed: number, lo = -1, hi = 1) =>
  tf.tensor(rand(tf.util.sizeFromShape(shape), seed).map((v) => lo + (v + 1) / 2 * (hi - lo)), shape);

const compare = (what: string, fn: () => tf.Tensor | tf.Tensor[], tol = 1e-5) => compareBackends(what, fn, tol);

async function setup(): Promise<void> {
  await initBackend({ backend: 'native' });
}

// Same shape, scalars, row broadcasts ([..., C] vs [C] / [1,1,1,C]), per-sample
// broadcasts, general two-sided broadcasts, size-1 dims, odd and empty sizes, and
// sizes above the addon's 32k-element parallel threshold.
const pairs: [number[], number[]][] = [
  [[5], [5]],
  [[3, 7], [3, 7]],
  [[], []],
  [[4, 5], []],
  [[], [2, 3, 4]],
  [[2, 5, 5, 6], [6]],
  [[6], [2, 5, 5, 6]],
  [[2, 5, 5, 6], [1, 1, 1, 6]],
  [[3, 1, 1, 4], [3, 5, 7, 4]],
  [[3, 5, 7, 4], [3, 5, 7, 1]],
  [[2, 1, 3], [1, 4, 1]],
  [[1, 3, 1, 5], [2, 1, 4, 1]],
  [[7, 1, 9], [7, 9, 1]],
  [[1, 1, 1], [1, 1]],
  [[0, 3], [3]],
  [[2, 0, 3], [1, 1, 3]],
  [[8, 32, 32, 16], [16]],
  [[8, 32, 32, 16], [8, 32, 32, 16]],
  [[8, 1, 1, 16], [8, 32, 32, 16]],
  [[40000], []],
  [[3, 100, 1, 120], [1, 1, 110, 120]],
  // Short channel vectors against large arrays (the tiled per-channel path), with odd
  // channel counts so the threads' slices start mid-row.
  [[5, 61, 67, 11], [11]],
  [[11], [5, 61, 67, 11]],
  [[2, 150, 150, 3], [1, 1, 1, 3]],
  [[70000, 1], [1]],
];

const binaries: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', tf.div], ['maximum', tf.maximum],
  ['minimum', tf.minimum], ['squaredDifference', tf.squaredDifference], ['pow', tf.pow],
];

test('binary ops match cpu on every broadcast pattern', { skip }, async () => {
  await setup();
  for (const [sa, sb] of pairs) {
    for (const [name, op] of binaries) {
      // pow needs a positive base to stay real-valued on random inputs.
      const a = () => name === 'pow' ? T(sa, 1, 0.1, 2) : T(sa, 1);
      await compare(`${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, () => op(a(), T(sb, 2)), 2e-5);
    }
  }
});

test('prelu matches cpu with scalar, per-channel and broadcast alphas', { skip }, async () => {
  await setup();
  for (const [xs, as] of [[[2, 5, 5, 6], [6]], [[2, 5, 5, 6], []], [[3, 4, 6], [1, 4, 6]], [[8, 32, 32, 16], [16]], [[5, 61, 67, 11], [11]]]) {
    await compare(`prelu ${xs} alpha ${as}`, () => tf.prelu(T(xs, 3), T(as, 4, 0, 0.5)));
  }
});

test('unary ops match cpu, including NaN, infinities and signed zeros', { skip }, async () => {
  await setup();
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-30, 88.7, -88.7, 100, -100, 1, -1, 6, 7];
  const ops: [string, (x: tf.Tensor) => tf.Tensor, number?][] = [
    ['relu', tf.relu], ['relu6', tf.relu6], ['step', (x) => tf.step(x)], ['step alpha', (x) => tf.step(x, 0.3)],
    ['neg', tf.neg], ['square', tf.square], ['sqrt', tf.sqrt], ['rsqrt', tf.rsqrt], ['exp', tf.exp, 1e-6],
    ['log', tf.log], ['abs', tf.abs], ['sigmoid', tf.sigmoid], ['tanh', tf.tanh], ['reciprocal', tf.reciprocal],
    ['leakyRelu', (x) => tf.leakyRelu(x, 0.1)], ['elu', tf.elu],
  ];
  for (const [name, op, tol] of ops) {
    await compare(`${name} specials`, () => op(tf.tensor(specials)), tol ?? 1e-6);
    for (const shape of [[], [7], [3, 1, 5], [0, 4], [8, 32, 32, 16]]) {
      const scaleUp = name === 'exp' ? 10 : 1; // exp of large values checks relative error, not just |x| <= 1
      await compare(`${name} ${JSON.stringify(shape)}`, () => op(T(shape, 5).mul(scaleUp)), tol ?? 1e-6);
    }
  }
});

test('maximum, minimum and pow follow Math.max/min/pow on NaN and infinities', { skip }, async () => {
  await setup();
  const a = [NaN, 1, NaN, -Infinity, 2, 1, -1, 1, 0, -8];
  const b = [1, NaN, NaN, 3, Infinity, NaN, Infinity, -Infinity, 0, 1 / 3];
  for (const [name, op] of binaries) await compare(`${name} specials`, () => op(tf.tensor(a), tf.tensor(b)), 1e-6);
});

interface RedCase { shape: number[]; axis: number | number[] | undefined; keepDims?: boolean }
const redCases: RedCase[] = [
  { shape: [4, 3, 3, 5], axis: [0, 1, 2] },
  { shape: [4, 3, 3, 5], axis: [1, 2], keepDims: true },
  { shape: [4, 3, 3, 5], axis: -1 },
  { shape: [4, 3, 3, 5], axis: 0 },
  { shape: [4, 3, 3, 5], axis: [-4, -3], keepDims: true },
  { shape: [4, 3, 3, 5], axis: undefined },
  { shape: [4, 3, 3, 5], axis: [0, 2] }, // not contiguous: cpu fallback
  { shape: [4, 1, 3, 5], axis: [0, 1, 2] },
  { shape: [4, 1, 3, 5], axis: [0, 2] }, // contiguous once the size-1 dim is ignored
  { shape: [1, 1, 7], axis: [0, 1] },
  { shape: [7], axis: 0 },
  { shape: [], axis: undefined },
  { shape: [2, 3], axis: [] },
  { shape: [0, 3], axis: 0 },
  { shape: [16, 32, 32, 8], axis: [0, 1, 2] },
  { shape: [16, 32, 32, 8], axis: [1, 2] },
  { shape: [2, 70000], axis: 0 },
  { shape: [3, 70000], axis: 1, keepDims: true },
  { shape: [300000], axis: undefined },
];

test('sum, mean, max and min match cpu for every axis pattern', { skip }, async () => {
  await setup();
  type Axis = number | number[] | undefined;
  const ops: [string, (x: tf.Tensor, axis: Axis, k?: boolean) => tf.Tensor][] = [
    ['sum', (x, a, k) => tf.sum(x, a, k)], ['mean', (x, a, k) => tf.mean(x, a, k)],
    ['max', (x, a, k) => tf.max(x, a, k)], ['min', (x, a, k) => tf.min(x, a, k)],
  ];
  for (const rc of redCases) {
    for (const [name, op] of ops) {
      if (rc.shape.includes(0) && name !== 'sum') continue; // tfjs's own answers for empty max/mean are not meaningful
      await compare(`${name} ${JSON.stringify(rc)}`, () => op(T(rc.shape, 7), rc.axis, rc.keepDims), 1e-5);
    }
  }
});

test('reductions keep NaN like the cpu kernels', { skip }, async () => {
  await setup();
  const x = () => tf.tensor([1, NaN, 3, 4, 5, -6, 7, 8], [2, 2, 2]);
  for (const axis of [0, 1, 2, [0, 1], [1, 2], undefined]) {
    await compare(`NaN reductions axis ${JSON.stringify(axis)}`, () => [tf.sum(x(), axis), tf.mean(x(), axis), tf.max(x(), axis), tf.min(x(), axis)]);
  }
});

test('large sums stay accurate against a float64 reference', { skip }, async () => {
  await setup();
  const shape = [128, 32, 32, 4];
  const xv = rand(tf.util.sizeFromShape(shape), 9).map((v) => v + 1); // all positive: rounding drift would accumulate
  const ref = new Float64Array(4);
  for (let i = 0; i < xv.length; i++) ref[i % 4] += xv[i];
  const [s, m] = tf.tidy(() => {
    const x = tf.tensor(xv, shape);
    return [tf.sum(x, [0, 1, 2]).dataSync(), tf.mean(x, [0, 1, 2]).dataSync()];
  });
  for (let c = 0; c < 4; c++) {
    assert.ok(Math.abs(s[c] - ref[c]) <= 1e-6 * ref[c], `sum[${c}]: ${s[c]} vs ${ref[c]}`);
    assert.ok(Math.abs(m[c] - ref[c] / 131072) <= 1e-6 * ref[c] / 131072, `mean[${c}]`);
  }
});

test('reduceGeometry collapses contiguous axis blocks and rejects split ones', () => {
  assert.deepEqual(reduceGeometry([128, 32, 32, 64], [0, 1, 2]), [1, 131072, 64]);
  assert.deepEqual(reduceGeometry([128, 32, 32, 64], [1, 2]), [128, 1024, 64]);
  assert.deepEqual(reduceGeometry([128, 32, 32, 64], [3]), [131072, 64, 1]);
  assert.deepEqual(reduceGeometry([5, 1, 3], [0, 2]), [1, 15, 1]);
  assert.deepEqual(reduceGeometry([2, 3], []), [6, 1, 1]);
  assert.equal(reduceGeometry([2, 3, 4], [0, 2]), null);
});

test('tile matches cpu', { skip }, async () => {
  await setup();
  const cases: [number[], number[]][] = [
    [[1, 1, 1, 6], [4, 5, 5, 1]], [[2, 1, 3], [2, 3, 4]], [[3], [5]], [[2, 3], [1, 1]], [[1], [40000]],
    [[4, 1], [1, 9]], [[2, 3, 1, 2, 1, 2], [2, 1, 3, 1, 2, 2]], [[2, 3], [0, 2]], [[1, 1, 1, 16], [8, 32, 32, 1]], [[], []],
  ];
  for (const [xs, reps] of cases) await compare(`tile ${xs} x ${reps}`, () => tf.tile(T(xs, 11), reps));
});

test('fused batch norm matches cpu with and without scale/offset', { skip }, async () => {
  await setup();
  const C = 6;
  const x = () => T([3, 4, 5, C], 12, -2, 3);
  const mean = () => T([C], 13), variance = () => T([C], 14, 0.1, 2);
  await compare('batchNorm full', () => tf.batchNorm(x(), mean(), variance(), T([C], 15), T([C], 16), 1e-3));
  await compare('batchNorm no scale/offset', () => tf.batchNorm(x(), mean(), variance()));
  await compare('batchNorm length-1 offset', () => tf.batchNorm(x(), mean(), variance(), tf.tensor1d([0.5]), T([C], 16)));
  await compare('batchNorm scalar params', () => tf.batchNorm(x(), tf.scalar(0.2), tf.scalar(1.5), tf.scalar(-1), tf.scalar(2)));
  await compare('batchNorm 4-d params', () => tf.batchNorm(x(), mean().reshape([1, 1, 1, C]), variance().reshape([1, 1, 1, C]),
    T([1, 1, 1, C], 15), T([1, 1, 1, C], 16), 1e-5));
  await compare('batchNorm large', () => tf.batchNorm(T([8, 32, 32, 16], 17), T([16], 13), T([16], 14, 0.1, 2), T([16], 15), T([16], 16)));
});

test('gradients of batch-norm expressions match cpu', { skip }, async () => {
  await setup();
  const shape = [4, 5, 5, 8];
  const wts = () => T(shape, 21);
  const manual = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const m = tf.moments(x, [0, 1, 2], true);
    const y = x.sub(m.mean).div(m.variance.add(1e-5).sqrt()).mul(g).add(b);
    return tf.relu(y).mul(wts()).sum();
  };
  const fused = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const m = tf.moments(x, [0, 1, 2]);
    const y = tf.batchNorm(x, m.mean, m.variance, b as tf.Tensor1D, g as tf.Tensor1D, 1e-5);
    return tf.sigmoid(y).add(tf.tanh(y)).mul(wts()).mean();
  };
  const inputs = () => [T(shape, 22, -2, 3), T([8], 23, 0.5, 1.5), T([8], 24)];
  await compare('manual batch norm grads', () => tf.grads(manual)(inputs()), 1e-4);
  await compare('tf.batchNorm grads', () => tf.grads(fused)(inputs()), 1e-4);
  // Per-sample statistics over [1, 2], a residual add and maximum/minimum clipping.
  await compare('instance-norm-like grads', () => tf.grads((x: tf.Tensor, s: tf.Tensor) => {
    const m = tf.moments(x, [1, 2], true);
    // (tfjs cannot differentiate a broadcasting squaredDifference, so sub + square here.)
    const y = x.sub(m.mean).square().mul(tf.rsqrt(m.variance.add(1e-3))).mul(s).add(x);
    return tf.minimum(tf.maximum(y, -1), 1).mul(wts()).sum();
  })([T(shape, 25), T([1, 1, 1, 8], 26)]), 1e-4);
});

test('int32, bool and mixed inputs fall back to the cpu kernels with cpu dtypes', { skip }, async () => {
  await setup();
  const i = () => tf.tensor([[1, -2, 3], [4, 5, -6]], [2, 3], 'int32');
  const j = () => tf.tensor([2, 3, -1], [3], 'int32');
  await compare('int32 binaries', () => [tf.add(i(), j()), tf.sub(i(), j()), tf.mul(i(), j()), tf.maximum(i(), j()),
    tf.minimum(i(), j()), tf.squaredDifference(i(), j()), tf.div(i(), j())]);
  await compare('int32 unaries', () => [tf.relu(i()), tf.neg(i()), tf.abs(i()), tf.square(i()), tf.step(i())]);
  await compare('int32 reductions', () => [tf.sum(i(), 0), tf.sum(i()), tf.max(i(), 1), tf.min(i(), [0, 1]), tf.mean(i(), 0)]);
  await compare('int32 tile', () => tf.tile(i(), [2, 1]));
  await compare('bool sum and tile', () => [tf.sum(tf.tensor([true, false, true], [3], 'bool')), tf.tile(tf.tensor([true, false], [2], 'bool'), [3])]);
  await compare('mixed float32 + int32', () => tf.add(T([2, 3], 27), i()));
});

test('bool and int32 cast to float32 store real Float32Arrays, so the native kernels serve them', { skip }, async () => {
  await setup();
  const tokens = tf.tensor([[3, 0, 5], [0, 0, 7]], [2, 3], 'int32');
  await compare('casts', () => [tokens.notEqual(0).cast('float32'), tokens.cast('float32'), tokens.cast('bool').cast('int32')]);
  await setup();
  const b = tf.backend() as unknown as { data: { get(id: object): { values: unknown } } };
  const mask = tokens.notEqual(0).cast('float32');
  assert.ok(b.data.get(mask.dataId).values instanceof Float32Array, 'a cast mask is backed by a Float32Array');
  // A masked multiply with the cast mask (MIMOFormer's [B, H, L, Dh] x [B, 1, L, 1]) matches cpu.
  await compare('masked multiply', () => tf.mul(T([2, 4, 3, 5], 41), tokens.notEqual(0).cast('float32').reshape([2, 1, 3, 1])));
  tf.dispose([tokens, mask]);
});

test('the addon rejects mismatched arguments with errors that name them', { skip }, () => {
  const a = addon!;
  const f = (n: number) => new Float32Array(n);
  assert.throws(() => a.binary(0, f(6), Int32Array.from([2, 3]), f(4), Int32Array.from([4]), f(6)), /binary: shapes \[2,3\] and \[4\] do not broadcast/);
  assert.throws(() => a.binary(0, f(6), Int32Array.from([2, 3]), f(3), Int32Array.from([3]), f(5)), /binary out: expected 6 floats/);
  assert.throws(() => a.binary(99, f(1), Int32Array.from([1]), f(1), Int32Array.from([1]), f(1)), /unknown op code 99/);
  assert.throws(() => a.unary(0, f(3), new Float64Array(3) as unknown as Float32Array, 0), /unary out: expected a Float32Array/);
  assert.throws(() => a.reduce(0, f(6), 2, 0, 3, f(6)), /reduce: bad geometry/);
  assert.throws(() => a.tile(f(6), Int32Array.from([2, 3]), Int32Array.from([2]), f(12)), /tile: reps \[2\] do not match/);
  assert.throws(() => a.batchNorm(f(12), f(4), f(3), null, null, f(12), 1e-3), /batchNorm variance: has 3 values, expected 1 or 4/);
});

test('the elementwise overrides are registered and leak no tensors', { skip }, async () => {
  await setup();
  for (const k of [tf.Add, tf.Multiply, tf.Sum, tf.Mean, tf.Relu, tf.Step, tf.Tile, tf.FusedBatchNorm, tf.Prelu]) {
    assert.notEqual(tf.getKernel(k, 'native')!.kernelFunc, tf.getKernel(k, 'cpu')!.kernelFunc, `${k} must be overridden`);
  }
  const x = T([2, 3, 3, 4], 31), g = T([4], 32), i = tf.tensor([1, 2, 3], [3], 'int32');
  const step = () => {
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
      const m = tf.moments(a, [0, 1, 2]);
      return tf.batchNorm(a, m.mean, m.variance, b as tf.Tensor1D, b as tf.Tensor1D).relu().sum();
    })([x, g]);
    const others = [tf.tile(x, [1, 2, 1, 1]), tf.sum(x, [0, 2]), tf.max(x, -1, true), tf.prelu(x, g), tf.add(i, i), tf.sum(i)];
    tf.dispose([...grads, ...others]);
  };
  step();
  const before = tf.memory().numTensors;
  for (let k = 0; k < 5; k++) step();
  assert.equal(tf.memory().numTensors, before, 'tensor count must stay flat');
  tf.dispose([x, g, i]);
});

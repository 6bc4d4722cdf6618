// Shared by the kernel tests: run the same computation on the cpu backend (the oracle)
// and on native, and compare.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadAddon } from '../../src/backend/index.js';

/** node:test `skip` value: false when the addon is built, else the reason. */
export const skipWithoutNative: string | false = loadAddon().addon ? false : 'native addon not built (npm run build:native)';

/** Deterministic pseudo-random floats in [-1, 1) (xorshift32). */
export function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

/** Every a[i] within tol of b[i], relative to 1 + |b[i]|. */
export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  let worst = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i]));
    if (!(err <= worst)) { worst = err; at = i; }
  }
  assert.ok(worst <= tol, `${what}: max rel error ${worst} at ${at} (got ${a[at]}, want ${b[at]})`);
}

/** A tensor's outputs as plain data. */
export interface Out { values: number[]; shape: number[]; dtype: string }

/** Runs fn on a backend and returns its outputs as plain data. */
export async function on(backend: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<Out[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(fn);
  const list = Array.isArray(outs) ? outs : [outs];
  const res = list.map((t) => ({ values: Array.from(t.dataSync() as ArrayLike<number>), shape: t.shape, dtype: t.dtype }));
  tf.dispose(list);
  return res;
}

/** Equal shapes and dtypes; values within tol of 1 + |cpu|; NaN and infinities must match exactly. */
export function assertSame(got: Out, ref: Out, tol: number, what: string): void {
  assert.deepEqual(got.shape, ref.shape, `${what}: shape`);
  assert.equal(got.dtype, ref.dtype, `${what}: dtype`);
  assert.equal(got.values.length, ref.values.length, `${what}: length`);
  let worst = 0, at = -1;
  for (let i = 0; i < ref.values.length; i++) {
    const a = got.values[i], b = ref.values[i];
    if (Number.isNaN(b) || !Number.isFinite(b)) {
      assert.ok(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)), `${what}[${i}]: native ${a}, cpu ${b}`);
      continue;
    }
    const err = Math.abs(a - b) / (1 + Math.abs(b));
    if (!(err <= worst)) { worst = err; at = i; }
  }
  assert.ok(worst <= tol, `${what}: max rel error ${worst} at ${at} (native ${got.values[at]}, cpu ${ref.values[at]})`);
}

/** fn on cpu and on native: same shapes, dtypes, NaNs, and values within tol (relative to 1 + |cpu value|). */
export async function compareBackends(what: string, fn: () => tf.Tensor | tf.Tensor[], tol = 1e-4): Promise<void> {
  const ref = await on('cpu', fn);
  const got = await on('native', fn);
  assert.equal(got.length, ref.length, `${what}: output count`);
  for (let i = 0; i < ref.length; i++) assertSame(got[i], ref[i], tol, `${what} output ${i}`);
}

/**
 * Checks tf.grads of `loss` against central differences at a few probed coordinates of
 * each input, on the active backend. `loss` should be a weighted sum of the op's outputs
 * so that the float32 loss stays well conditioned.
 */
export function checkNumericGrads(what: string, loss: (...xs: tf.Tensor[]) => tf.Scalar,
  inputs: { values: Float32Array; shape: number[] }[], opts: { probes?: number; h?: number; tol?: number } = {}): void {
  const h = opts.h ?? 1e-2, tol = opts.tol ?? 1e-2, probes = opts.probes ?? 4;
  const analytic = tf.tidy(() => tf.grads(loss)(inputs.map((i) => tf.tensor(i.values, i.shape))).map((g) => g.dataSync()));
  const at = (vals: Float32Array[]) => tf.tidy(() => loss(...vals.map((v, i) => tf.tensor(v, inputs[i].shape))).dataSync()[0]);
  inputs.forEach((inp, k) => {
    for (let p = 0; p < probes; p++) {
      const idx = Math.floor(((p + 0.5) / probes) * inp.values.length);
      const up = inputs.map((i) => i.values.slice()), dn = inputs.map((i) => i.values.slice());
      up[k][idx] += h;
      dn[k][idx] -= h;
      const num = (at(up) - at(dn)) / (2 * h);
      const got = analytic[k][idx];
      assert.ok(Math.abs(num - got) <= tol * (1 + Math.abs(num)), `${what}: d/dinput${k}[${idx}] analytic ${got} vs numeric ${num}`);
    }
  });
}

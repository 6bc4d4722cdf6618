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

/** Runs fn on a backend and returns its outputs as plain arrays. */
export async function on(backend: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(fn);
  const list = Array.isArray(outs) ? outs : [outs];
  const vals = list.map((t) => t.dataSync() as Float32Array);
  tf.dispose(list);
  return vals;
}

export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  let worst = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i]));
    if (!(err <= worst)) { worst = err; at = i; }
  }
  assert.ok(worst <= tol, `${what}: max rel error ${worst} at ${at} (native ${a[at]}, cpu ${b[at]})`);
}

/** fn on cpu and on native, every output within tol (relative to 1 + |cpu value|). */
export async function compareBackends(what: string, fn: () => tf.Tensor | tf.Tensor[], tol = 1e-4): Promise<void> {
  const ref = await on('cpu', fn);
  const got = await on('native', fn);
  assert.equal(got.length, ref.length);
  for (let i = 0; i < ref.length; i++) assertClose(got[i], ref[i], tol, `${what} output ${i}`);
}

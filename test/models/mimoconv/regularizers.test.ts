// The isometry regulariser is zero exactly where SPEC §1.7 says (Dirac kernels, orthogonal
// 1x1 convs) and positive otherwise; it agrees with the direct ½‖G − T‖² on small cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/index.js';
import { isometryPenalty } from '../../../src/models/mimoconv/index.js';
import { rand } from '../../helpers/oracle.js';

/** Direct ½‖G − T‖² from the SPEC definition with explicit loops (PyTorch layout reasoning). */
function naivePenalty(w: Float32Array, [k, , cin, cout]: number[], stride: number): number {
  const at = (h: number, x: number, i: number, o: number) => w[((h * k + x) * cin + i) * cout + o];
  const swap = cin < cout, cs = swap ? cin : cout, cl = swap ? cout : cin;
  // K'[a][l][y][x]
  const kp = (a: number, l: number, y: number, x: number) => (swap ? at(y, x, a, l) : at(y, x, l, a));
  const s = Math.floor((2 * (k - 1)) / stride) + 1, mid = Math.floor(s / 2);
  let total = 0;
  for (let b = 0; b < cs; b++) for (let a = 0; a < cs; a++) for (let oy = 0; oy < s; oy++) for (let ox = 0; ox < s; ox++) {
    let g = 0;
    for (let l = 0; l < cl; l++) for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) {
      const iy = oy * stride - (k - 1) + y, ix = ox * stride - (k - 1) + x;
      if (iy < 0 || iy >= k || ix < 0 || ix >= k) continue;
      g += kp(b, l, iy, ix) * kp(a, l, y, x);
    }
    const t = a === b && oy === mid && ox === mid ? 1 : 0;
    total += 0.5 * (g - t) ** 2;
  }
  return total;
}

test('isometry penalty: zero for Dirac and orthogonal kernels, the SPEC formula otherwise', async () => {
  await initBackend({});
  tf.tidy(() => {
    const dirac = tf.buffer([3, 3, 4, 4]);
    for (let i = 0; i < 4; i++) dirac.set(1, 1, 1, i, i);
    assert.ok(Math.abs(isometryPenalty(dirac.toTensor() as tf.Tensor4D, 1).dataSync()[0]) < 1e-6, 'Dirac 3x3');
    // An orthogonal 1x1 conv (a rotation), and one with more outputs than inputs (the swap branch).
    const c = Math.cos(0.3), s = Math.sin(0.3);
    assert.ok(Math.abs(isometryPenalty(tf.tensor4d([c, -s, s, c], [1, 1, 2, 2]), 2).dataSync()[0]) < 1e-6, 'rotation 1x1');
    const tall = tf.tensor4d([1, 0, 0, 0, 1, 0], [1, 1, 2, 3]); // rows orthonormal
    assert.ok(Math.abs(isometryPenalty(tall, 1).dataSync()[0]) < 1e-6, '2->3 isometry');
    // Half of G where its shifts include 0 (3x3 and 5x5 at stride 1, 3x3 at stride 2; 1x1 has the zero shift only).
    for (const [shape, stride] of [[[3, 3, 3, 5], 1], [[3, 3, 5, 3], 2], [[1, 1, 4, 6], 2], [[3, 3, 4, 4], 2], [[5, 5, 3, 4], 1]] as [number[], number][]) {
      const w = rand(shape.reduce((a, b) => a * b, 1), shape[3] + stride);
      const got = isometryPenalty(tf.tensor4d(w, shape as [number, number, number, number]), stride).dataSync()[0];
      const want = naivePenalty(w, shape, stride);
      assert.ok(Math.abs(got - want) <= 1e-4 * (1 + want), `[${shape}] stride ${stride}: ${got} vs naive ${want}`);
    }
  });
});

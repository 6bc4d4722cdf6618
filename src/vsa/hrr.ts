/**
 * Holographic reduced representations on the last axis of tensors: binding is circular
 * convolution, unbinding convolves with the key's involution (its approximate inverse,
 * exact for unitary keys), similarity is the cosine.
 *
 * @example
 * import * as tf from '@tensorflow/tfjs';
 * import { cosineSimilarity, hrrBind, hrrUnbind, unitaryHrrKeys } from 'mimonets';
 * const [k] = unitaryHrrKeys(1, 64, 7).unstack();
 * const x = tf.randomNormal([64]);
 * const back = hrrUnbind(hrrBind(x, k), k); // equals x up to rounding (k is unitary)
 * console.log(cosineSimilarity(back, x).dataSync()[0].toFixed(4)); // 1.0000
 */
import * as tf from '@tensorflow/tfjs';
import { circulant } from './circulant.js';

/** a ⊛ b along the last axis; a and b broadcast over the leading axes. Exact, O(D²). */
export function hrrBind(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const d = a.shape[a.rank - 1];
  if (b.shape[b.rank - 1] !== d) throw new Error(`hrrBind: vectors of length ${d} and ${b.shape[b.rank - 1]}; both must have the same last axis`);
  return tf.tidy(() => {
    const lead = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -1), b.shape.slice(0, -1));
    const m = tf.util.sizeFromShape(lead);
    const bb = tf.broadcastTo(b, [...lead, d]).reshape([m, d]) as tf.Tensor2D;
    const aa = tf.broadcastTo(a, [...lead, d]).reshape([m, 1, d]);
    // (a ⊛ b)[i] = Σ_j C(b)[i, j] a[j]
    return tf.matMul(aa, circulant(bb), false, true).reshape([...lead, d]); // [..., D]
  });
}

/** The involution a*[i] = a[−i mod D], HRR's approximate inverse. */
export function hrrInvolution(a: tf.Tensor): tf.Tensor {
  const d = a.shape[a.rank - 1];
  return tf.tidy(() => tf.gather(a, tf.tensor1d(Array.from({ length: d }, (_, i) => (d - i) % d), 'int32'), a.rank - 1));
}

/** Recovers x from c = x ⊛ key (exactly when key is unitary, approximately otherwise). */
export function hrrUnbind(c: tf.Tensor, key: tf.Tensor): tf.Tensor {
  return tf.tidy(() => hrrBind(c, hrrInvolution(key)));
}

/** Cosine similarity along the last axis. */
export function cosineSimilarity(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => a.mul(b).sum(-1).div(a.norm('euclidean', -1).mul(b.norm('euclidean', -1)).add(1e-12)));
}

/** n i.i.d. keys with entries N(0, 1/d): near-orthogonal for large d. */
export function randomHrrKeys(n: number, d: number, seed: number): tf.Tensor2D {
  return tf.randomNormal([n, d], 0, 1 / Math.sqrt(d), 'float32', seed) as tf.Tensor2D;
}

/**
 * n unitary keys (every Fourier coefficient of modulus 1), for which the involution is
 * the exact inverse. Built from random phases with the conjugate symmetry of a real signal.
 */
export function unitaryHrrKeys(n: number, d: number, seed: number): tf.Tensor2D {
  const out = new Float32Array(n * d);
  let s = seed >>> 0 || 1;
  const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
  for (let r = 0; r < n; r++) {
    const phase = new Float64Array(d);
    for (let f = 1; f < d; f++) phase[f] = f < d - f ? 2 * Math.PI * rnd() : f === d - f ? (rnd() < 0.5 ? 0 : Math.PI) : -phase[d - f];
    phase[0] = rnd() < 0.5 ? 0 : Math.PI;
    for (let t = 0; t < d; t++) {
      let v = 0;
      for (let f = 0; f < d; f++) v += Math.cos(phase[f] + (2 * Math.PI * f * t) / d);
      out[r * d + t] = v / d;
    }
  }
  return tf.tensor2d(out, [n, d]);
}

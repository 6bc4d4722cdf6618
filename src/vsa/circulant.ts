/**
 * Circulant matrices of HRR keys. Circular convolution with a key k is the linear map
 * C(k) with C(k)[m, j] = k[(m − j) mod D], so binding becomes a matrix product and its
 * gradient with respect to the key comes for free from the product's weight gradient.
 */
import * as tf from '@tensorflow/tfjs';

const indexCache = new Map<number, Int32Array>();

/** idx[m, j] = (m − j) mod d, row-major [d, d]. */
export function circulantIndex(d: number): Int32Array {
  let idx = indexCache.get(d);
  if (!idx) {
    idx = new Int32Array(d * d);
    for (let m = 0; m < d; m++) for (let j = 0; j < d; j++) idx[m * d + j] = (((m - j) % d) + d) % d;
    indexCache.set(d, idx);
  }
  return idx;
}

const selectorCache = new Map<number, Float32Array>();

/** P [D, D·D] with P[t, m·D + j] = 1 when (m − j) mod D = t: keys @ P lays out the circulants. */
function circulantSelector(d: number): Float32Array {
  let p = selectorCache.get(d);
  if (!p) {
    p = new Float32Array(d * d * d);
    const idx = circulantIndex(d);
    for (let q = 0; q < d * d; q++) p[idx[q] * d * d + q] = 1;
    selectorCache.set(d, p);
  }
  return p;
}

/**
 * C(k) for each key: keys [N, D] -> [N, D, D] with out[s, m, j] = keys[s, (m − j) mod D],
 * so that C(k_s) · x = k_s ⊛ x (circular convolution). Built as a product with a fixed 0/1
 * selector rather than a gather, so the key gradient is one small matmul instead of a
 * scatter-add.
 *
 * @example
 * const c = circulant(tf.tensor2d([[1, 2, 3]])); // [[[1,3,2],[2,1,3],[3,2,1]]]
 */
export function circulant(keys: tf.Tensor2D): tf.Tensor3D {
  const [n, d] = keys.shape;
  return tf.tidy(() => {
    const sel = tf.tensor2d(circulantSelector(d), [d, d * d]);
    return tf.matMul(keys, sel).reshape([n, d, d]) as tf.Tensor3D; // [N, D(m), D(j)]
  });
}

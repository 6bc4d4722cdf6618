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

/**
 * C(k) for each key: keys [N, D] -> [N, D, D] with out[s, m, j] = keys[s, (m − j) mod D],
 * so that C(k_s) · x = k_s ⊛ x (circular convolution).
 *
 * @example
 * const c = circulant(tf.tensor2d([[1, 2, 3]])); // [[[1,3,2],[2,1,3],[3,2,1]]]
 */
export function circulant(keys: tf.Tensor2D): tf.Tensor3D {
  const [n, d] = keys.shape;
  return tf.tidy(() => {
    const idx = tf.tensor2d(circulantIndex(d), [d, d], 'int32');
    return tf.gather(keys, idx, 1).reshape([n, d, d]) as tf.Tensor3D; // [N, D(m), D(j)]
  });
}

/**
 * Multiply-add-permute (MAP) with bipolar keys: binding is elementwise multiplication,
 * which is its own inverse for ±1 keys; bundling is the sum. MIMOFormer's 2-D key grid
 * uses this algebra.
 */
import * as tf from '@tensorflow/tfjs';

/** n bipolar (±1) keys of length d, seeded. */
export function randomBipolarKeys(n: number, d: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => tf.randomUniform([n, d], 0, 1, 'float32', seed).less(0.5).cast('float32').mul(2).sub(1) as tf.Tensor2D);
}

/** x ⊙ key (broadcasting). */
export function mapBind(x: tf.Tensor, key: tf.Tensor): tf.Tensor {
  return tf.mul(x, key);
}

/** Inverse of mapBind for bipolar keys (the same product). */
export function mapUnbind(c: tf.Tensor, key: tf.Tensor): tf.Tensor {
  return tf.mul(c, key);
}

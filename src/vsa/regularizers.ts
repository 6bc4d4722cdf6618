/**
 * The HRR binding regulariser (SPEC §1.7): pushes keys towards unit norm and mutual
 * orthogonality, so that unbinding by the (learned) unbinding head stays well posed.
 *
 *   R = mean_{i<j} (ŵ_i·ŵ_j)²  +  mean_i (‖w_i‖ − 1)²      (first term dropped when N = 1)
 */
import * as tf from '@tensorflow/tfjs';

/** R_bind of a key matrix [N, D]. Invariant to permuting all keys' entries alike. */
export function bindingRegularizer(keys: tf.Tensor2D): tf.Scalar {
  const n = keys.shape[0];
  return tf.tidy(() => {
    const norms = keys.norm('euclidean', 1); // [N]
    const normTerm = norms.sub(1).square().mean();
    if (n === 1) return normTerm as tf.Scalar;
    const unit = keys.div(norms.expandDims(1)); // [N, D]
    const gram = unit.matMul(unit, false, true); // [N, N]
    // Sum over i<j of squares = (sum over all off-diagonal) / 2.
    const off = gram.square().sum().sub(gram.square().mul(tf.eye(n)).sum()).div(2);
    return off.div((n * (n - 1)) / 2).add(normTerm) as tf.Scalar;
  });
}

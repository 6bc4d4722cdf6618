/**
 * The isometry (orthogonality) regulariser of ISONet as the reference applies it
 * (SPEC §1.7): for each regularised conv K, the self-correlation G of K with itself at
 * the layer's stride should be the identity at the centre tap and zero elsewhere.
 *
 *   penalty = ½ ‖G − T‖²_F,   G = conv2d(K', K', padding k−1, stride),  K' the conv with
 *   the smaller channel count first.
 */
import * as tf from '@tensorflow/tfjs';

/** ½‖G − T‖² of one conv weight in tfjs HWIO layout [k, k, cin, cout]. */
export function isometryPenalty(w: tf.Tensor4D, stride: number): tf.Scalar {
  const [k, , cin, cout] = w.shape;
  return tf.tidy(() => {
    // K' as PyTorch sees it: (c_s, c_l, k, k) with c_s <= c_l.
    const oihw = w.transpose([3, 2, 0, 1]); // [cout, cin, k, k]
    const kp = cin < cout ? oihw.transpose([1, 0, 2, 3]) : oihw; // [c_s, c_l, k, k]
    const cs = kp.shape[0];
    // Treated as c_s images of k×k with c_l channels, correlated with K' itself as the filter.
    const images = kp.transpose([0, 2, 3, 1]) as tf.Tensor4D; // [c_s, k, k, c_l]  (NHWC)
    const filter = kp.transpose([2, 3, 1, 0]) as tf.Tensor4D; // [k, k, c_l, c_s]  (HWIO)
    const pad = k - 1;
    const g = tf.conv2d(images, filter, stride, [[0, 0], [pad, pad], [pad, pad], [0, 0]]); // [c_s, S, S, c_s]
    const s = g.shape[1], mid = Math.floor(s / 2);
    // T: the identity at the centre tap. G[b, y, x, a] here is PyTorch's G[b, a, y, x].
    const t = tf.buffer([cs, s, s, cs]);
    for (let a = 0; a < cs; a++) t.set(1, a, mid, mid, a);
    return g.sub(t.toTensor()).square().sum().mul(0.5) as tf.Scalar;
  });
}

/** Σ of the penalties of the given convs. */
export function isometryRegularizer(convs: { weight: tf.Tensor4D; stride: number }[]): tf.Scalar {
  return tf.tidy(() => convs.reduce((acc: tf.Scalar, c) => acc.add(isometryPenalty(c.weight, c.stride)), tf.scalar(0)));
}

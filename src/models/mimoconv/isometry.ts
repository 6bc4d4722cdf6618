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
    // K' = the conv with its smaller channel count first, (c_s, c_l, k, k) in PyTorch terms,
    // correlated with itself: c_s "images" of k×k with c_l channels, K' as the filter.
    // Both are read straight from HWIO: no swap (cin >= cout) means images = w as [cout, k, k, cin]
    // and filter = w itself; a swap means images = [cin, k, k, cout] and filter = [k, k, cout, cin].
    const swap = cin < cout;
    const cs = swap ? cin : cout;
    const images = (swap ? w.transpose([2, 0, 1, 3]) : w.transpose([3, 0, 1, 2])) as tf.Tensor4D; // [c_s, k, k, c_l]
    const filter = (swap ? w.transpose([0, 1, 3, 2]) : w) as tf.Tensor4D; // [k, k, c_l, c_s]
    const pad = k - 1;
    // ½‖G − T‖² = ½‖G‖² − Σ_a G_centre[a, a] + ½·c_s  (T: the identity at the centre tap), and the
    // centre tap is the zero shift, whose diagonal Σ_a ‖K'_a‖² is simply ‖w‖²_F.
    const trace = w.square().sum();
    return halfNormSquared(images, filter, stride, pad).sub(trace).add(0.5 * cs) as tf.Scalar;
  });
}

/**
 * ½‖G‖² of the self-correlation G = conv2d(images, filter, padding `pad`, stride), G of shape
 * [c_s, S, S, c_s] with shifts −pad, −pad + stride, …, pad along each axis.
 *
 * G is symmetric under negating the shift and swapping its channel axes (G[a, −s, b] = G[b, s, a]),
 * so the rows of negative vertical shift hold the same sum of squares as those of positive shift.
 * When the shifts include 0 (stride divides pad) only the rows up to shift 0 are computed (no
 * bottom padding): ½‖G‖² = Σ(rows above 0) + ½·Σ(row 0), the row weights a broadcast mask (a
 * non-contiguous slice would run in the cpu backend's per-element loop); otherwise all of G is
 * computed, every row weighted ½. For a 3×3 conv that is
 * 15 of 25 shifts at stride 1 and 6 of 9 at stride 2. On one AVX2 core the regulariser of a
 * MIMONet-16-4 (forward and gradient) went from ~1.0 to ~0.74 s, its training step (`mimo bench
 * conv --capacity 1 --n 1 --threads 1`) from 8.49 to 8.02 s; most of it is the 256-channel convs.
 */
function halfNormSquared(images: tf.Tensor4D, filter: tf.Tensor4D, stride: number, pad: number): tf.Scalar {
  const half = pad % stride === 0; // the shifts include 0 (always for 1×1: pad 0, one shift)
  const g = tf.conv2d(images, filter, stride, [[0, 0], [pad, half ? 0 : pad], [pad, pad], [0, 0]]); // [c_s, R, S, c_s]: R = pad/stride + 1 (shifts −pad … 0) if half, else S
  const rows = g.shape[1];
  const weights = Array.from({ length: rows }, (_, r) => (half && r < rows - 1 ? 1 : 0.5));
  return g.square().mul(tf.tensor4d(weights, [1, rows, 1, 1])).sum() as tf.Scalar;
}

/** Σ of the penalties of the given convs. */
export function isometryRegularizer(convs: { weight: tf.Tensor4D; stride: number }[]): tf.Scalar {
  return tf.tidy(() => convs.reduce((acc: tf.Scalar, c) => acc.add(isometryPenalty(c.weight, c.stride)), tf.scalar(0)));
}

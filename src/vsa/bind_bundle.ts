/**
 * Binding and bundling of images in superposition, as one GEMM.
 *
 * Slot s of a superposition holds image (s mod n) of its group (n images per group,
 * N slots): each image fills N/n slots when n < N. The bundle at every pixel is
 *
 *   out[g, p] = Σ_s M_s · x[g·n + (s mod n), p]  =  Σ_i (Σ_{s ≡ i (mod n)} M_s) · x[g·n + i, p]
 *
 * with M_s the slot's binding matrix (HRR: the circulant of its key; MBAT: a dense
 * matrix). Stacking each pixel's n channel vectors side by side turns the whole
 * bind-and-sum into a single [G·H·W, n·C] × [n·C, C] product, and the gradients of the
 * keys come from that product's weight gradient. The reference does this as a grouped
 * Conv1d per slot, its main CPU bottleneck.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeBindBundle, stackPixels } from './bind_bundle_kernel.js';

/**
 * Binds every image with its slots' matrices and sums each group of n images.
 *
 * @param x images after the stem, [B, H, W, C], B divisible by n (consecutive images form a group)
 * @param slotMatrices [N, C, C], M_s[out, in]
 * @param n images per superposition, dividing N
 * @returns the superpositions, [B/n, H, W, C]
 *
 * @example
 * import * as tf from '@tensorflow/tfjs';
 * import { bindBundle, circulant } from 'mimonets';
 * const keys = tf.randomNormal([4, 16]) as tf.Tensor2D;       // N = 4 HRR keys of 16 channels
 * const stemOut = tf.randomNormal([8, 6, 6, 16]) as tf.Tensor4D; // 8 images, NHWC
 * const s = bindBundle(stemOut, circulant(keys), 4);           // 2 superpositions of 4 images
 * console.log(s.shape); // [2, 6, 6, 16]
 */
export function bindBundle(x: tf.Tensor4D, slotMatrices: tf.Tensor3D, n: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const [nSlots, mo, mi] = slotMatrices.shape;
  if (mo !== c || mi !== c) throw new Error(`bindBundle: binding matrices are [${slotMatrices.shape}] but the input has ${c} channels; expected [N, ${c}, ${c}]`);
  if (!Number.isInteger(n) || n < 1 || nSlots % n !== 0) throw new Error(`bindBundle: n=${n} superposed inputs must divide the capacity N=${nSlots}`);
  if (b % n !== 0) throw new Error(`bindBundle: batch of ${b} images is not a multiple of n=${n}; drop the remainder or pad the batch`);
  const g = b / n;
  return tf.tidy(() => {
    // An image's effective matrix is the sum over the N/n slots it fills.
    const perImage = nSlots === n ? slotMatrices : slotMatrices.reshape([nSlots / n, n, c, c]).sum(0); // [n, C_out, C_in]
    const wmat = perImage.transpose([0, 2, 1]).reshape([n * c, c]); // [n·C_in, C_out]
    if (n === 1) return x.reshape([b * h * w, c]).matMul(wmat).reshape([b, h, w, c]) as tf.Tensor4D; // [B·H·W, C] → [B, H, W, C]
    // The native kernel skips the stacked copy; elsewhere the one product on stacked pixels.
    return nativeBindBundle(x, wmat as tf.Tensor2D, n) ?? (stackPixels(x, n).matMul(wmat).reshape([g, h, w, c]) as tf.Tensor4D); // [G, H, W, C]
  });
}

/**
 * Plain bundling (no binding): sums each group of n consecutive images. This is the
 * "None" binding of the no-binding ablation with n = N; with n < N each image is
 * counted N/n times.
 */
export function bundle(x: tf.Tensor4D, n: number, capacity = n): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (capacity % n !== 0) throw new Error(`bundle: n=${n} must divide the capacity N=${capacity}`);
  if (b % n !== 0) throw new Error(`bundle: batch of ${b} images is not a multiple of n=${n}`);
  return tf.tidy(() => {
    const s = x.reshape([b / n, n, h, w, c]).sum(1) as tf.Tensor4D; // [B/n, H, W, C]
    return capacity === n ? s : (s.mul(capacity / n) as tf.Tensor4D);
  });
}

/**
 * Unbinding after the trunk (SPEC §1.4 steps 10–12): a learned linear map plus ReLU reads N
 * slot features from each superposition's pooled vector, and the N/n copies of every image
 * (slot s holds image s mod n) are averaged. No binding key is reused for unbinding.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * @param pooled one feature vector per superposition, [G, F]
 * @param weight [F, N·F] (slot s reads columns s·F .. s·F + F − 1)
 * @param bias [N·F]
 * @param n images per superposition, dividing N
 * @returns one feature vector per image, [G·n, F], in input order (row g·n + i is image i of superposition g)
 *
 * @example
 * import * as tf from '@tensorflow/tfjs';
 * import { unbindSlots } from 'mimonets';
 * const pooled = tf.randomNormal([8, 64]) as tf.Tensor2D;    // 8 superpositions, 64 features
 * const weight = tf.randomNormal([64, 256]) as tf.Tensor2D;  // N = 4 slots of 64
 * const f = unbindSlots(pooled, weight, tf.zeros([256]) as tf.Tensor1D, 2); // n = 2 images each
 * console.log(f.shape); // [16, 64]: one feature vector per image
 */
export function unbindSlots(pooled: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D, n: number): tf.Tensor2D {
  const [g, f] = pooled.shape;
  const [wf, nf] = weight.shape;
  if (wf !== f || nf % f !== 0) throw new Error(`unbindSlots: weight is [${weight.shape}], the pooled features need [${f}, N·${f}]`);
  const capacity = nf / f;
  if (bias.shape[0] !== nf) throw new Error(`unbindSlots: bias has ${bias.shape[0]} values, expected N·F = ${nf}`);
  if (!Number.isInteger(n) || n < 1 || capacity % n !== 0) throw new Error(`unbindSlots: n=${n} superposed inputs must divide the capacity N=${capacity}`);
  return tf.tidy(() => {
    const u = tf.relu(tf.matMul(pooled, weight).add(bias)); // [G, N·F]
    // Slot s = k·n + i holds image i: channels read as [N/n, n, F], averaged over the N/n copies.
    return u.reshape([g, capacity / n, n, f]).mean(1).reshape([g * n, f]) as tf.Tensor2D; // [G·n, F]
  });
}

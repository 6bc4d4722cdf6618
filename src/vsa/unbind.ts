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
 * const f = unbindSlots(pooled, weight, bias, 2); // pooled [8, 64], weight [64, 256] (N = 4): f is [16, 64]
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

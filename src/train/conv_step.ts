/**
 * One MIMOConv training step (SPEC §2.5): forward at n with batch statistics, mixup
 * cross-entropy (label-smoothed, and mixed with a teacher's soft targets when given) plus the
 * weighted regularisers, gradients, clip_grad_norm_, the
 * gradient-norm filter, and the SGD update. Shared by the trainer and the benchmark.
 */
import * as tf from '@tensorflow/tfjs';
import type { MimoConvNet } from '../models/mimoconv/index.js';
import { clipGradNorm, type Sgd } from './sgd.js';

export interface StepInput {
  /** Images [B, H, W, C] (already mixed), B a multiple of n. */
  x: Float32Array;
  shape: [number, number, number, number];
  y: Int32Array;
  /** Mixup partner labels and weight (lambda = 1: no mixup). */
  yPerm: Int32Array;
  lambda: number;
  n: number;
  /** Distillation: the teacher's logits for these (mixed) images, [B·classes] row-major. */
  teacherLogits?: Float32Array;
}

export interface StepWeights {
  bindingReg: number;
  isometryReg: number;
  clipNorm: number;
  /** Updates are skipped when the gradient norm is not below this (Infinity: never). */
  normLimit: number;
  lr: number;
  momentum: number;
  /** Label smoothing ε (0: plain cross-entropy). */
  labelSmoothing?: number;
  /** Distillation weight α and temperature T (used when the input has teacher logits). */
  distill?: { weight: number; temperature: number };
}

// A type alias (not an interface) so tf.tidy accepts it as a tensor container of numbers.
export type StepResult = {
  loss: number;
  /** Mixup-weighted accuracy on the batch. */
  accuracy: number;
  /** Gradient norm before clipping. */
  norm: number;
  /** Whether the update was applied (the filter let it through). */
  applied: boolean;
  rBind: number;
  rIso: number;
};

export function convTrainStep(net: MimoConvNet, sgd: Sgd, s: StepInput, w: StepWeights): StepResult {
  const names = Object.keys(net.params);
  const classes = net.config.classes;
  return tf.tidy(() => {
    const x = tf.tensor4d(s.x, s.shape);
    const teacher = s.teacherLogits ? tf.tensor2d(s.teacherLogits, [s.shape[0], classes]) : null;
    const ya = tf.oneHot(tf.tensor1d(s.y, 'int32'), classes), yb = tf.oneHot(tf.tensor1d(s.yPerm, 'int32'), classes);
    let pred: tf.Tensor | null = null;
    let regs: tf.Tensor[] = [];
    const lossFn = (...ps: tf.Tensor[]) => {
      const params = Object.fromEntries(names.map((nm, i) => [nm, ps[i]]));
      const logits = net.forward(x, s.n, { training: true, params }).logits;
      pred = tf.keep(logits.argMax(1));
      const reg = net.regularizers(params);
      regs = [tf.keep(reg.bind), tf.keep(reg.iso)];
      const eps = w.labelSmoothing ?? 0;
      const xent = (y: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, logits, undefined, eps);
      let ce: tf.Tensor = s.lambda === 1 ? xent(ya) : xent(ya).mul(s.lambda).add(xent(yb).mul(1 - s.lambda));
      if (s.teacherLogits && w.distill) ce = distillLoss(ce, logits, teacher as tf.Tensor2D, w.distill.weight, w.distill.temperature);
      return ce.add(reg.bind.mul(w.bindingReg)).add(reg.iso.mul(w.isometryReg)) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(lossFn)(names.map((nm) => net.params[nm]));
    const clipped = clipGradNorm(Object.fromEntries(names.map((nm, i) => [nm, grads[i]])), w.clipNorm);
    // NaN and infinite norms fail the comparison and are skipped, as in the reference.
    const applied = clipped.norm < w.normLimit;
    if (applied) sgd.step(clipped.grads, w.lr, w.momentum);
    const p = (pred as unknown as tf.Tensor).dataSync();
    let acc = 0;
    for (let i = 0; i < s.y.length; i++) acc += s.lambda * Number(p[i] === s.y[i]) + (1 - s.lambda) * Number(p[i] === s.yPerm[i]);
    const out: StepResult = {
      loss: value.dataSync()[0], accuracy: acc / s.y.length, norm: clipped.norm, applied,
      rBind: regs[0].dataSync()[0], rIso: regs[1].dataSync()[0],
    };
    tf.dispose([pred as unknown as tf.Tensor, ...regs]);
    return out;
  });
}

/**
 * (1 − α)·CE + α·T²·KL(softmax(t/T) ‖ softmax(s/T)), the KL averaged over the batch (Hinton et
 * al. 2015): every image of a superposition gets its own soft target from the teacher.
 */
export function distillLoss(ce: tf.Tensor, student: tf.Tensor2D, teacher: tf.Tensor2D, alpha: number, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const logP = tf.logSoftmax(teacher.div(temperature)), logQ = tf.logSoftmax(student.div(temperature));
    const kl = logP.exp().mul(logP.sub(logQ)).sum(1).mean(); // [B] -> scalar
    return ce.mul(1 - alpha).add(kl.mul(alpha * temperature * temperature)) as tf.Scalar;
  });
}

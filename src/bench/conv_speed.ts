/**
 * End-to-end speed of a MIMOConv network per number of superposed inputs n: inference
 * images/s (batches of `batch` superpositions, evaluation mode) and training-step
 * seconds (one step over `batch` superpositions: forward, regularisers, backward,
 * clipping, SGD), with the analytic FLOPs per image (SPEC §1.8). Weights are random:
 * speed does not depend on them.
 */
import * as tf from '@tensorflow/tfjs';
import { macsPerImage, MimoConvNet, modelName, type MimoConvConfig } from '../models/mimoconv/index.js';
import { convTrainStep } from '../train/conv_step.js';
import { Sgd } from '../train/sgd.js';
import { profileKernels, type Profile } from './profile.js';
import { interleavedMedians, medianSeconds } from './timing.js';

export interface ConvSpeedRow {
  n: number;
  images_per_s: number;
  train_step_s: number;
  flops_per_image: number;
}

export interface ConvSpeedOptions {
  batch?: number;
  imageSize?: number;
  /** Timed repetitions (median reported). */
  reps?: number;
  /** Time inference at each n for at least this long (more calls for fast models; default 0). */
  minSeconds?: number;
  /** Skip the training-step measurement. */
  inferenceOnly?: boolean;
  /** Fold conv → batch norm pairs at inference (the default; false measures the unfolded pass). */
  fold?: boolean;
  /** Also time the model's inference without folding, in the same interleaved rounds. */
  compareUnfolded?: boolean;
  onProgress?: () => void;
}

/** Random inputs of `count` images. */
function images(count: number, size: number, seed: number): { x: Float32Array; y: Int32Array } {
  // Not returned from tf.tidy: tidy walks a returned typed array element by element.
  const t = tf.randomNormal([count, size, size, 3], 0, 1, 'float32', seed);
  const x = t.dataSync() as Float32Array;
  t.dispose();
  return { x, y: Int32Array.from({ length: count }, (_, i) => i % 10) };
}

export interface ConvSpeedResult {
  model: string;
  config: MimoConvConfig;
  rows: ConvSpeedRow[];
  /** The baseline network at n = 1, when one was asked for. */
  baseline?: { model: string; config: MimoConvConfig; row: ConvSpeedRow };
  /** With compareUnfolded: the model's inference at each n without folding. */
  unfolded?: { n: number; images_per_s: number }[];
}

/**
 * Measures one model at each n, and optionally a baseline network at n = 1. Inference for all
 * of them is timed in interleaved rounds (their ratios are what the targets compare), then
 * the training steps one after the other.
 */
export function benchConvSpeed(config: Partial<MimoConvConfig>, ns: number[], o: ConvSpeedOptions = {}, baselineConfig?: Partial<MimoConvConfig>): ConvSpeedResult {
  const batch = o.batch ?? 128, size = o.imageSize ?? 32, reps = o.reps ?? 3;
  const nets: MimoConvNet[] = [];
  const tensors: tf.Tensor[] = [];
  try {
    const net = new MimoConvNet(config, 1);
    nets.push(net);
    for (const n of ns) if (net.config.capacity % n !== 0) throw new Error(`bench conv: n=${n} does not divide the capacity N=${net.config.capacity}`);
    const base = baselineConfig ? new MimoConvNet(baselineConfig, 1) : null;
    if (base) nets.push(base);
    // (network, n) pairs: the model at each n, then the baseline at n = 1; these get training
    // steps. With compareUnfolded, the model at each n again without folding (inference only).
    const cases = [...ns.map((n) => ({ net, n })), ...(base ? [{ net: base, n: 1 }] : [])];
    const unfolded = o.compareUnfolded ? ns.map((n) => ({ net, n, fold: false })) : [];
    const inputs = cases.map((c, i) => images(batch * c.n, size, i === ns.length ? 1 : c.n));
    // Inference first, then the training steps: a training step leaves the heap and caches in
    // another state, and timing inference after one made it about 20% slower (n=4: 607 vs 777 images/s).
    const xts = cases.map((c, i) => {
      const xt = tf.tensor4d(inputs[i].x, [batch * c.n, size, size, 3]);
      tensors.push(xt);
      // Evaluation needs running statistics for n: one calibration batch.
      c.net.calibrate(c.n, [xt]);
      return xt;
    });
    const pass = (c: { net: MimoConvNet; n: number }, xt: tf.Tensor4D, fold: boolean | undefined) =>
      () => tf.tidy(() => { c.net.forward(xt, c.n, { training: false, fold }).logits.dataSync(); });
    const calls = [...cases.map((c, i) => pass(c, xts[i], o.fold)), ...unfolded.map((c, i) => pass(c, xts[i], false))];
    const infer = interleavedMedians(calls, reps, (o.minSeconds ?? 0) * calls.length);
    calls.forEach(() => o.onProgress?.());
    const rows = cases.map((c, i) => {
      let trainStep = NaN;
      if (!o.inferenceOnly) {
        const sgd = new Sgd(c.net.params, { weightDecay: 1e-5, noDecay: c.net.noDecay() });
        try {
          const { x, y } = inputs[i];
          trainStep = medianSeconds(() => {
            convTrainStep(c.net, sgd, { x, shape: [batch * c.n, size, size, 3], y, yPerm: y, lambda: 1, n: c.n },
              { bindingReg: 0.1, isometryReg: c.net.config.arch === 'mimonet' ? 1e-4 : 0, clipNorm: 1000, normLimit: Infinity, lr: 1e-4, momentum: 0.9 });
          }, reps);
        } finally {
          sgd.dispose();
        }
        o.onProgress?.();
      }
      return { n: c.n, images_per_s: Math.round((batch * c.n) / infer[i] * 10) / 10, train_step_s: Math.round(trainStep * 1000) / 1000, flops_per_image: Math.round(2 * macsPerImage(c.net.config, c.n, size)) };
    });
    return {
      model: modelName(net.config), config: net.config, rows: rows.slice(0, ns.length),
      ...(base ? { baseline: { model: modelName(base.config), config: base.config, row: rows[ns.length] } } : {}),
      ...(o.compareUnfolded ? { unfolded: ns.map((n, i) => ({ n, images_per_s: Math.round((batch * n) / infer[cases.length + i] * 10) / 10 })) } : {}),
    };
  } finally {
    tf.dispose(tensors);
    for (const n of nets) n.dispose();
  }
}

/** Per-kernel profile of one training step at n. */
export async function profileConvStep(config: Partial<MimoConvConfig>, n: number, batch = 128, size = 32): Promise<Profile> {
  const net = new MimoConvNet(config, 1);
  const sgd = new Sgd(net.params, { weightDecay: 1e-5, noDecay: net.noDecay() });
  try {
    const { x, y } = images(batch * n, size, 7);
    const step = () => {
      convTrainStep(net, sgd, { x, shape: [batch * n, size, size, 3], y, yPerm: y, lambda: 1, n },
        { bindingReg: 0.1, isometryReg: net.config.arch === 'mimonet' ? 1e-4 : 0, clipNorm: 1000, normLimit: Infinity, lr: 1e-4, momentum: 0.9 });
    };
    step();
    return await profileKernels(step);
  } finally {
    sgd.dispose();
    net.dispose();
  }
}

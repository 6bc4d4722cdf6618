/**
 * A small plain CNN and a minimal SGD loop: the foundation's end-to-end smoke run
 * (data pipeline -> tensors -> native kernels -> gradients -> optimizer), until the
 * MIMOConv trainer gives `mimo demo` its real job.
 */
import * as tf from '@tensorflow/tfjs';
import { disposeMomentum } from '../util/tf_fixes.js';
import { evalPipeline, trainPipeline, type ImageDataset } from '../data/index.js';

export interface TinyCnnConfig {
  /** Channels of the three 3x3 conv stages. */
  widths: [number, number, number];
  batchSize: number;
  epochs: number;
  lr: number;
  momentum: number;
  seed: number;
  /** Train on the first `trainImages` of the shuffled train set (0: all). */
  trainImages: number;
  /** Evaluate on the first `testImages` test images (0: all). */
  testImages: number;
}

export const TINY_CNN_DEFAULTS: TinyCnnConfig = {
  widths: [32, 64, 128], batchSize: 128, epochs: 1, lr: 0.05, momentum: 0.9, seed: 0, trainImages: 10000, testImages: 2000,
};

export interface TinyCnnResult {
  config: TinyCnnConfig;
  steps: number;
  /** Mean training loss per tenth of the run. */
  loss_curve: number[];
  test_accuracy: number;
  train_seconds: number;
  images_per_s: number;
}

function he(shape: number[], fanIn: number, seed: number): tf.Variable {
  return tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed)));
}

const zeros = (n: number): tf.Variable => tf.tidy(() => tf.variable(tf.zeros([n])));

/** Trains the tiny CNN; `onStep(i, total, loss)` reports progress. */
export async function trainTinyCnn(train: ImageDataset, test: ImageDataset, partial: Partial<TinyCnnConfig> = {},
  onStep?: (step: number, total: number, loss: number) => void): Promise<TinyCnnResult> {
  const cfg: TinyCnnConfig = { ...TINY_CNN_DEFAULTS, ...partial };
  const [w1, w2, w3] = cfg.widths;
  const c = train.channels;
  const params = {
    k1: he([3, 3, c, w1], 9 * c, cfg.seed + 1), b1: zeros(w1),
    k2: he([3, 3, w1, w2], 9 * w1, cfg.seed + 2), b2: zeros(w2),
    k3: he([3, 3, w2, w3], 9 * w2, cfg.seed + 3), b3: zeros(w3),
    fc: he([w3, train.numClasses], w3, cfg.seed + 4), fcb: zeros(train.numClasses),
  };
  const forward = (x: tf.Tensor4D): tf.Tensor2D => {
    let h = tf.fused.conv2d({ x, filter: params.k1 as tf.Tensor4D, strides: 1, pad: 'same', bias: params.b1, activation: 'relu' }); // [B,H,W,w1]
    h = tf.maxPool(h, 2, 2, 'valid'); // [B,H/2,W/2,w1]
    h = tf.fused.conv2d({ x: h, filter: params.k2 as tf.Tensor4D, strides: 1, pad: 'same', bias: params.b2, activation: 'relu' });
    h = tf.maxPool(h, 2, 2, 'valid'); // [B,H/4,W/4,w2]
    h = tf.fused.conv2d({ x: h, filter: params.k3 as tf.Tensor4D, strides: 1, pad: 'same', bias: params.b3, activation: 'relu' });
    const pooled = h.mean([1, 2]) as tf.Tensor2D; // [B,w3]
    return tf.fused.matMul({ a: pooled, b: params.fc as tf.Tensor2D, bias: params.fcb }) as tf.Tensor2D; // [B,classes]
  };
  const opt = tf.train.momentum(cfg.lr, cfg.momentum);
  const subset = cfg.trainImages > 0 ? Int32Array.from({ length: Math.min(cfg.trainImages, train.count) }, (_, i) => i) : undefined;
  const pipe = trainPipeline(train, { batchSize: cfg.batchSize, seed: cfg.seed, augment: true, indices: subset });
  const total = pipe.batchesPerEpoch * cfg.epochs;
  const losses: number[] = [];
  const t0 = performance.now();
  let step = 0;
  for (let e = 0; e < cfg.epochs; e++) {
    for (const b of pipe.batches(e)) {
      const loss = tf.tidy(() => {
        const x = tf.tensor4d(b.x, [b.size, train.height, train.width, c]);
        const y = tf.oneHot(tf.tensor1d(b.y, 'int32'), train.numClasses);
        return opt.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)) as tf.Scalar, true)!;
      });
      const l = (await loss.data())[0];
      loss.dispose();
      if (!Number.isFinite(l)) throw new Error(`tiny CNN: loss became ${l} at step ${step}; lower --lr`);
      losses.push(l);
      step++;
      onStep?.(step, total, l);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const testIdx = cfg.testImages > 0 ? Int32Array.from({ length: Math.min(cfg.testImages, test.count) }, (_, i) => i) : undefined;
  let correct = 0, seen = 0;
  for (const b of evalPipeline(test, { batchSize: 256, indices: testIdx }).batches(0)) {
    const pred = tf.tidy(() => forward(tf.tensor4d(b.x, [b.size, test.height, test.width, c])).argMax(1).dataSync());
    for (let i = 0; i < b.size; i++) if (pred[i] === b.y[i]) correct++;
    seen += b.size;
  }
  tf.dispose(Object.values(params));
  disposeMomentum(opt);
  // Ten equal slices of the run (fewer when there are fewer steps).
  const slices = Math.min(10, losses.length);
  const curve = Array.from({ length: slices }, (_, i) => {
    const chunk = losses.slice(Math.floor((i * losses.length) / slices), Math.floor(((i + 1) * losses.length) / slices));
    return Math.round((chunk.reduce((a, v) => a + v, 0) / chunk.length) * 1000) / 1000;
  });
  return {
    config: cfg, steps: step, loss_curve: curve, test_accuracy: correct / seen,
    train_seconds: Math.round(seconds * 100) / 100, images_per_s: Math.round((step * cfg.batchSize) / seconds),
  };
}

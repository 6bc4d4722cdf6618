/**
 * Accuracy and throughput of a MIMOConv network per operating point n on an image set,
 * with the running batch-norm statistics of that n (so results do not depend on the
 * evaluation batch size).
 */
import * as tf from '@tensorflow/tfjs';
import { evalPipeline, type ImageDataset } from '../data/index.js';
import type { MimoConvNet } from '../models/mimoconv/index.js';

export interface EvalResult {
  n: number;
  accuracy: number;
  images: number;
  /** Forward-pass images per second (data preparation excluded). */
  images_per_s: number;
  loss: number;
}

export interface EvalOptions {
  /** Superpositions per forward pass (batch·n images). Default 128. */
  batch?: number;
  /** Evaluate the first `images` images only (0: all). */
  images?: number;
  onBatch?: () => void;
}

/**
 * Evaluates at one n. Images beyond a multiple of n are dropped, as the reference does.
 *
 * @example
 * import * as tf from '@tensorflow/tfjs';
 * import { evalPipeline, evaluateConv, initBackend, loadImageDataset, MimoConvNet, resolveDataDir } from 'mimonets';
 * await initBackend();
 * const test = loadImageDataset(resolveDataDir(), 'cifar10', 'test'); // official files, `npm run setup` unpacks them
 * const net = new MimoConvNet({ depth: 10, width: 1, initialWidth: 1, capacity: 2 });
 * const { x } = [...evalPipeline(test, { batchSize: 64 }).batches(0)][0];
 * net.calibrate(2, [tf.tensor4d(x, [64, 32, 32, 3])]);                 // an untrained net: ~10%
 * const r = evaluateConv(net, test, 2, { images: 256 });
 * console.log(r.images, r.accuracy, r.images_per_s > 0); // 256 … true
 */
export function evaluateConv(net: MimoConvNet, ds: ImageDataset, n: number, opts: EvalOptions = {}): EvalResult {
  const batch = (opts.batch ?? 128) * n;
  const count = Math.floor(Math.min(opts.images || ds.count, ds.count) / n) * n;
  const indices = Int32Array.from({ length: count }, (_, i) => i);
  let correct = 0, seen = 0, lossSum = 0, seconds = 0;
  for (const b of evalPipeline(ds, { batchSize: batch, indices }).batches(0)) {
    const size = b.size - (b.size % n);
    if (size === 0) continue;
    const t0 = performance.now();
    const [pred, loss] = tf.tidy(() => {
      const x = tf.tensor4d(b.x.subarray(0, size * ds.height * ds.width * ds.channels), [size, ds.height, ds.width, ds.channels]);
      const logits = net.forward(x, n, { training: false }).logits;
      const y = tf.oneHot(tf.tensor1d(b.y.subarray(0, size), 'int32'), ds.numClasses);
      return [logits.argMax(1).dataSync(), tf.losses.softmaxCrossEntropy(y, logits).dataSync()[0]];
    });
    seconds += (performance.now() - t0) / 1000;
    for (let i = 0; i < size; i++) if (pred[i] === b.y[i]) correct++;
    lossSum += (loss as number) * size;
    seen += size;
    opts.onBatch?.();
  }
  return { n, accuracy: correct / seen, images: seen, images_per_s: seen / seconds, loss: lossSum / seen };
}

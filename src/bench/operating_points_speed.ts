/**
 * Images/s of a trained MIMOConv network at each operating point n, on real images: one batch
 * of `batch` superpositions (batch·n images) per n, every n timed in the same interleaved
 * rounds (see interleavedMedians), as `mimo bench conv` times its models, so a slow spell on a
 * shared machine lands on every n alike and the speed-ups stay comparable.
 */
import * as tf from '@tensorflow/tfjs';
import { evalPipeline, type ImageDataset } from '../data/index.js';
import type { MimoConvNet } from '../models/mimoconv/index.js';
import { interleavedMedians } from './timing.js';

export interface OperatingPointSpeed {
  n: number;
  images_per_s: number;
}

export interface OperatingPointSpeedOptions {
  /** Superpositions per forward pass (default 128, as `mimo bench conv`). */
  batch?: number;
  /** Timed seconds per n, at least (default 2). */
  minSeconds?: number;
  /** Timed passes per n, at least (default 3). */
  reps?: number;
}

/** Times the evaluation forward pass (stored batch-norm statistics) at each n. */
export function operatingPointSpeeds(net: MimoConvNet, ds: ImageDataset, ns: number[], o: OperatingPointSpeedOptions = {}): OperatingPointSpeed[] {
  const batch = o.batch ?? 128;
  const tensors: tf.Tensor4D[] = [];
  try {
    for (const n of ns) {
      const images = batch * n;
      if (images > ds.count) throw new Error(`timing n=${n} needs ${images} images (${batch} superpositions), the set has ${ds.count}`);
      const indices = Int32Array.from({ length: images }, (_, i) => i);
      const [b] = evalPipeline(ds, { batchSize: images, indices }).batches(0);
      tensors.push(tf.tensor4d(b.x.subarray(0, images * ds.height * ds.width * ds.channels), [images, ds.height, ds.width, ds.channels])); // [batch·n, H, W, C]
    }
    const calls = ns.map((n, i) => () => tf.tidy(() => { net.forward(tensors[i], n, { training: false }).logits.dataSync(); }));
    const seconds = interleavedMedians(calls, o.reps ?? 3, (o.minSeconds ?? 2) * ns.length);
    return ns.map((n, i) => ({ n, images_per_s: Math.round((batch * n) / seconds[i] * 10) / 10 }));
  } finally {
    tf.dispose(tensors);
  }
}

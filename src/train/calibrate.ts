/**
 * Batch-norm statistics for an operating point n from augmented training batches of
 * 128·n images (see MimoConvNet.calibrate): used at the end of training for the n never
 * trained at, and by `mimo calibrate` for older checkpoints.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed, trainPipeline, type ImageDataset } from '../data/index.js';
import type { MimoConvNet } from '../models/mimoconv/index.js';

export function calibrateFromTraining(net: MimoConvNet, ds: ImageDataset, n: number, o: { seed: number; batches: number; batch?: number; indices?: ArrayLike<number> }): void {
  const pipe = trainPipeline(ds, { batchSize: (o.batch ?? 128) * n, seed: deriveSeed(o.seed, 11, n), augment: true, indices: o.indices });
  const gen = (function* () {
    let i = 0;
    for (const b of pipe.batches(0)) {
      if (i++ >= o.batches) return;
      const t = tf.tensor4d(b.x, [b.size, ds.height, ds.width, ds.channels]);
      try {
        yield t;
      } finally {
        t.dispose();
      }
    }
  })();
  net.calibrate(n, gen);
}

// A tiny MIMOConv checkpoint for serving tests: mimonet-10-1, HRR, N=4, batch-norm statistics
// calibrated for n = 1, 2, 4 on random images, and a recorded evaluation (fixture values).
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { MimoConvNet } from '../../src/models/mimoconv/index.js';
import { saveConvCheckpoint } from '../../src/checkpoint/conv.js';
import { resolveTrainConfig } from '../../src/train/conv_config.js';

export const TINY_POINTS = [
  { n: 1, accuracy: 0.62, images_per_s: 900 },
  { n: 2, accuracy: 0.6, images_per_s: 1700 },
  { n: 4, accuracy: 0.55, images_per_s: 3000 },
];

/** Writes the checkpoint into `dir` and returns its path. `points`: the n with statistics. */
export function tinyServeCheckpoint(dir: string, points = [1, 2, 4]): string {
  const net = new MimoConvNet({ arch: 'mimonet', depth: 10, width: 1, initialWidth: 1, binding: 'hrr', capacity: 4 }, 3);
  for (const n of points) {
    net.calibrate(n, (function* () {
      for (let i = 0; i < 2; i++) {
        const x = tf.randomNormal([8 * n, 32, 32, 3], 0, 1, 'float32', 100 * n + i) as tf.Tensor4D;
        yield x;
        x.dispose();
      }
    })());
  }
  const path = join(dir, 'tiny.ckpt');
  saveConvCheckpoint(path, net, {
    train: resolveTrainConfig({ epochs: 1 }, 4),
    state: { epoch: 1, step: 1, avgNormPrev: null, trainSeconds: 1, done: true },
    history: [],
    operatingPoints: TINY_POINTS.filter((p) => points.includes(p.n)),
  });
  net.dispose();
  return path;
}

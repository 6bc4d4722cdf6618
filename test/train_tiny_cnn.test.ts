// The demo's end-to-end path: real CIFAR-10 batches through the pipeline, native
// kernels, gradients and the optimizer. Loss must fall and no tensor may be left over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.js';
import { loadCifar10, resolveDataDir } from '../src/data/index.js';
import { trainTinyCnn } from '../src/train/tiny_cnn.js';

const dir = resolveDataDir();
const skip = existsSync(join(dir, 'cifar-10-batches-bin', 'test_batch.bin')) ? false : `CIFAR-10 not in ${dir} (npm run setup)`;

test('tiny CNN on 1024 CIFAR-10 images: loss falls, accuracy beats chance, no leaks', { skip }, async () => {
  await initBackend({});
  const train = loadCifar10(dir, 'train'), testSet = loadCifar10(dir, 'test');
  const before = tf.memory().numTensors;
  const r = await trainTinyCnn(train, testSet, { widths: [16, 32, 64], batchSize: 64, trainImages: 1024, testImages: 1000, epochs: 3, lr: 0.05 });
  assert.equal(tf.memory().numTensors, before, 'tensors left after training');
  assert.equal(r.steps, 48);
  assert.equal(r.loss_curve.length, 10);
  assert.ok(r.loss_curve[9] < r.loss_curve[0] - 0.1, `loss did not fall: ${r.loss_curve}`);
  assert.ok(r.test_accuracy > 0.15, `test accuracy ${r.test_accuracy} is near chance (0.1)`);
});

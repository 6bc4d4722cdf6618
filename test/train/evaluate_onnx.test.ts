// Evaluation through ONNX Runtime against evaluateConv on the same images: the same accuracy
// and loss at every n (the graph is the model's to 1e-4, test/models/mimoconv/onnx_export).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { MimoConvNet, operatingPoints } from '../../src/models/mimoconv/index.js';
import { evaluateConv } from '../../src/train/evaluate_conv.js';
import { evaluateConvOnnx } from '../../src/train/evaluate_onnx.js';
import { synthetic } from '../helpers/synthetic.js';

test('ONNX Runtime and mimonets agree on accuracy and loss at every n', async () => {
  await initBackend({});
  const ds = synthetic(40, 8, 3, 'test');
  const net = new MimoConvNet({ depth: 10, width: 1, initialWidth: 1, binding: 'hrr', capacity: 4, classes: ds.numClasses }, 5);
  for (const n of operatingPoints(net.config)) net.calibrate(n, [tf.randomNormal([8 * n, 8, 8, 3], 0, 1, 'float32', n) as tf.Tensor4D]);
  const before = tf.memory().numTensors;
  for (const n of operatingPoints(net.config)) {
    const ours = evaluateConv(net, ds, n, { batch: 3 });
    const ort = await evaluateConvOnnx(net, ds, n, { batch: 3, threads: 1 });
    assert.equal(ort.images, ours.images, `n=${n}: the same images`);
    assert.equal(ort.images, Math.floor(40 / n) * n);
    assert.equal(ort.accuracy, ours.accuracy, `n=${n} accuracy`);
    assert.ok(Math.abs(ort.loss - ours.loss) < 1e-4, `n=${n} loss ${ort.loss} vs ${ours.loss}`);
    assert.ok(ort.images_per_s > 0);
  }
  assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  net.dispose();
});

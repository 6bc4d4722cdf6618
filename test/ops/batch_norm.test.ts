// The fused training batch norm against tfjs's composed one (moments + batchNorm,
// differentiated op by op) as the oracle, on cpu and native.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, loadAddon } from '../../src/backend/index.js';
import { batchNormTrain } from '../../src/ops/batch_norm.js';

const backends = ['cpu', ...(loadAddon().addon ? ['native'] : [])];

function composed(x: tf.Tensor, g: tf.Tensor1D, b: tf.Tensor1D, eps: number): tf.Tensor {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const m = tf.moments(x, axes);
  return tf.batchNorm(x, m.mean, m.variance, b, g, eps);
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return w;
}

for (const backend of backends) {
  for (const shape of [[4, 5, 6, 3], [2, 1, 1, 7], [33, 16], [8, 8, 8, 64]]) {
    test(`${backend}: batchNormTrain on [${shape}] matches moments+batchNorm, values and gradients`, async () => {
      await initBackend({ backend });
      const c = shape[shape.length - 1];
      tf.tidy(() => {
        const x = tf.randomNormal(shape, 0.7, 2, 'float32', 1);
        const g = tf.randomUniform([c], 0.5, 1.5, 'float32', 2) as tf.Tensor1D;
        const b = tf.randomNormal([c], 0, 1, 'float32', 3) as tf.Tensor1D;
        const w = tf.randomNormal(shape, 0, 1, 'float32', 4); // weights the loss so gradients are not trivial
        const ours = batchNormTrain(x, g, b, 1e-5);
        const ref = composed(x, g, b, 1e-5);
        assert.ok(maxRel(ours.y.dataSync(), ref.dataSync()) < 1e-4, 'y');
        const m = tf.moments(x, shape.slice(0, -1).map((_, i) => i));
        assert.ok(maxRel(ours.mean.dataSync(), m.mean.dataSync()) < 1e-5, 'mean');
        assert.ok(maxRel(ours.variance.dataSync(), m.variance.dataSync()) < 1e-4, 'variance');
        const lossOurs = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => batchNormTrain(xx, gg as tf.Tensor1D, bb as tf.Tensor1D).y.mul(w).sum();
        const lossRef = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => composed(xx, gg as tf.Tensor1D, bb as tf.Tensor1D, 1e-5).mul(w).sum();
        const go = tf.grads(lossOurs)([x, g, b]), gr = tf.grads(lossRef)([x, g, b]);
        for (const [i, name] of ['dx', 'dgamma', 'dbeta'].entries()) {
          const err = maxRel(go[i].dataSync(), gr[i].dataSync());
          assert.ok(err < 2e-3, `${name}: max rel error ${err}`);
        }
      });
    });
  }

  test(`${backend}: batchNormTrain leaks no tensors and rejects bad shapes`, async () => {
    await initBackend({ backend });
    const x = tf.randomNormal([3, 4, 4, 5]), g = tf.ones([5]) as tf.Tensor1D, b = tf.zeros([5]) as tf.Tensor1D;
    const step = () => tf.dispose(tf.grads((xx: tf.Tensor) => batchNormTrain(xx, g, b).y.square().sum())([x]));
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 4; i++) step();
    assert.equal(tf.memory().numTensors, before);
    assert.throws(() => batchNormTrain(x, tf.ones([4]) as tf.Tensor1D, b), /x has 5 channels .* both must be \[5\]/);
    assert.throws(() => batchNormTrain(tf.ones([1, 5]), g, b), /more than one value per channel/);
    tf.dispose([x, g, b]);
  });
}

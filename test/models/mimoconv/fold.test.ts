// Evaluation with stored batch-norm statistics folds every conv → BN pair into one fused
// convolution (and the stem's ReLU into it). It must equal the unfolded computation, for every
// architecture, binding and n, on both backends, and leak no tensors.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/index.js';
import { forward, MimoConvNet, operatingPoints, type MimoConvConfig } from '../../../src/models/mimoconv/index.js';

before(async () => { await initBackend(); });

/** A network with non-trivial running statistics for every n (calibrated on random images). */
function calibrated(cfg: Partial<MimoConvConfig>): MimoConvNet {
  const net = new MimoConvNet(cfg, 11);
  // Non-trivial affine batch norm: γ and β away from 1 and 0.
  for (const [k, v] of Object.entries(net.params)) {
    if (k.endsWith('.gamma') || k.endsWith('.beta')) v.assign(tf.randomUniform(v.shape, 0.5, 1.5, 'float32', k.length));
  }
  for (const n of operatingPoints(net.config)) {
    net.calibrate(n, [tf.randomNormal([4 * n, 16, 16, 3], 0, 1, 'float32', n) as tf.Tensor4D]);
  }
  return net;
}

for (const cfg of [
  { arch: 'mimonet', depth: 10, width: 1, initialWidth: 1, binding: 'hrr', capacity: 4 },
  { arch: 'mimonet', depth: 16, width: 2, initialWidth: 2, binding: 'mbat', capacity: 2 },
  { arch: 'wrn', depth: 10, width: 2, initialWidth: 1, binding: 'none', capacity: 1 },
] as Partial<MimoConvConfig>[]) {
  test(`folded evaluation equals batch norm after each conv: ${cfg.arch}-${cfg.depth}-${cfg.width} ${cfg.binding} N=${cfg.capacity}`, () => {
    const net = calibrated(cfg);
    try {
      for (const n of operatingPoints(net.config)) {
        const x = tf.randomNormal([2 * n, 16, 16, 3], 0, 1, 'float32', 7 + n) as tf.Tensor4D;
        const stats = net.bnStats.get(n)!;
        const start = tf.memory().numTensors;
        for (let rep = 0; rep < 2; rep++) {
          const [folded, plain] = tf.tidy(() => [
            forward(net.config, net.params, x, n, { kind: 'running', stats }).logits.dataSync(),
            forward(net.config, net.params, x, n, { kind: 'running', stats, fold: false }).logits.dataSync(),
          ]);
          const scale = Math.max(...plain.map(Math.abs));
          folded.forEach((v, i) => assert.ok(Math.abs(v - plain[i]) <= 1e-4 * Math.max(1, scale), `n=${n} logit ${i}: ${v} vs ${plain[i]}`));
          assert.equal(tf.memory().numTensors, start, 'no tensors leak');
        }
        // The model's own evaluation path is the folded one.
        const viaNet = tf.tidy(() => net.forward(x, n, { training: false }).logits.dataSync());
        const folded = tf.tidy(() => forward(net.config, net.params, x, n, { kind: 'running', stats }).logits.dataSync());
        assert.deepEqual(viaNet, folded);
        x.dispose();
      }
    } finally {
      net.dispose();
    }
  });
}

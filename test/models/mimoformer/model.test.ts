// The MIMOFormer encoder-classifier: every scheme runs, fits a batch, leaks nothing, and
// rejects batches that do not fill the grid; a dual head for two-document tasks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/index.js';
import { generateListOps, LISTOPS_VOCAB_SIZE } from '../../../src/data/listops.js';
import { MimoFormer } from '../../../src/models/mimoformer/model.js';

const L = 64;
function batch(n: number): { tokens: tf.Tensor2D; labels: tf.Tensor2D } {
  const ex = generateListOps({ seed: 3, train: n, val: 0, test: 0, maxDepth: 4, maxArgs: 4, minLength: 8, maxLength: L }).train;
  const t = new Int32Array(n * L);
  ex.forEach((e, i) => t.set(e.tokens, i * L));
  return { tokens: tf.tensor2d(t, [n, L], 'int32'), labels: tf.oneHot(tf.tensor1d(ex.map((e) => e.label), 'int32'), 10) as tf.Tensor2D };
}

for (const [scheme, grid] of [['performer', 1], ['att', 2], ['attmlp', 2]] as const) {
  test(`${scheme} (M=N=${grid}): fits one batch with Adam, no leaks`, async () => {
    await initBackend({});
    const m = new MimoFormer({ scheme, grid, vocab: LISTOPS_VOCAB_SIZE, maxLen: L, d: 32, hid: 64, heads: 2, dh: 16, layers: 1, features: 32, dropout: 0 }, 1);
    const { tokens, labels } = batch(16);
    const opt = tf.train.adam(5e-3);
    const loss = () => tf.losses.softmaxCrossEntropy(labels, m.forward(tokens, true)) as tf.Scalar;
    const first = tf.tidy(() => loss().dataSync()[0]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 25; i++) tf.tidy(() => { opt.minimize(loss, false, Object.values(m.params)); });
    const last = tf.tidy(() => loss().dataSync()[0]);
    assert.ok(last < first * 0.7, `loss ${first} -> ${last}`);
    // Adam's moment variables are created on the first step; nothing else may accumulate.
    const after1 = tf.memory().numTensors;
    tf.tidy(() => { opt.minimize(loss, false, Object.values(m.params)); });
    assert.equal(tf.memory().numTensors, after1, 'tensors leaked per step');
    assert.ok(after1 >= before);
    assert.deepEqual(tf.tidy(() => m.forward(tokens, false).shape), [16, 10]);
    opt.dispose(); tf.dispose([tokens, labels]); m.dispose();
  });
}

test('batches that do not fill the grid are rejected; dual head takes two documents', async () => {
  await initBackend({});
  const m = new MimoFormer({ scheme: 'att', grid: 2, vocab: 16, maxLen: 16, d: 16, hid: 16, heads: 1, dh: 8, layers: 1, features: 8, dropout: 0 });
  assert.throws(() => tf.tidy(() => m.forward(tf.ones([6, 16], 'int32') as tf.Tensor2D, false)), /batch of 6 sequences is not a multiple of M·N = 2·2 = 4/);
  assert.throws(() => tf.tidy(() => m.forward(tf.ones([4, 40], 'int32') as tf.Tensor2D, false)), /exceed the 16 position embeddings/);
  m.dispose();
  const dual = new MimoFormer({ scheme: 'performer', grid: 1, dual: true, classes: 2, vocab: 16, maxLen: 16, d: 16, hid: 16, heads: 1, dh: 8, layers: 1, features: 8 });
  const out = tf.tidy(() => dual.forward(tf.ones([3, 16], 'int32') as tf.Tensor2D, false, { tokens2: tf.ones([3, 16], 'int32') as tf.Tensor2D }).shape);
  assert.deepEqual(out, [3, 2]);
  dual.dispose();
});

// MIMOConv against the PyTorch oracle (tools/torch/mimoconv_oracle.py, float64, BN with
// batch statistics): logits, unbound features, both regularisers, the loss, and the
// gradients of every parameter and of the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/index.js';
import { exportTorchParams, importTorchParams, MimoConvNet, permute, resolveConfig, type MimoConvConfig } from '../../../src/models/mimoconv/index.js';
import { assertClose } from '../../helpers/oracle.js';
import { assertMatchesFixture, fixtureValues, type FixtureTensor } from '../../helpers/torch_fixtures.js';

const DIR = fileURLToPath(new URL('../../../../test/fixtures/mimoconv/', import.meta.url));

interface Fixture {
  name: string;
  config: { model: 'wrn' | 'mimonet'; depth: number; width: number; initial_width: number; binding: 'hrr' | 'mbat' | 'none'; capacity: number; n: number; classes: number };
  params: Record<string, FixtureTensor>;
  input: FixtureTensor;
  labels: number[];
  logits: FixtureTensor;
  pooled_unbound: FixtureTensor;
  r_bind: number;
  r_iso: number;
  loss: number;
  grads: Record<string, FixtureTensor>;
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

test('the fixture set is complete', () => assert.ok(files.length >= 11, `only ${files.length} fixtures in ${DIR}`));

for (const file of files) {
  const fx = JSON.parse(readFileSync(DIR + file, 'utf8')) as Fixture;
  test(`oracle ${fx.name}: logits, features, regularisers, loss and gradients match PyTorch`, async () => {
    await initBackend({});
    const cfg: MimoConvConfig = resolveConfig({
      arch: fx.config.model, depth: fx.config.depth, width: fx.config.width, initialWidth: fx.config.initial_width,
      binding: fx.config.binding, capacity: fx.config.capacity, classes: fx.config.classes,
    });
    const state = Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, { shape: v.shape, values: fixtureValues(v) }]));
    const net = new MimoConvNet(cfg, 0, importTorchParams(cfg, state));
    const [b, c, h, w] = fx.input.shape;
    const x = tf.tensor4d(permute(fixtureValues(fx.input), fx.input.shape, [0, 2, 3, 1]), [b, h, w, c]); // NCHW -> NHWC
    const y = tf.oneHot(tf.tensor1d(fx.labels, 'int32'), fx.config.classes);
    const n = fx.config.n;
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const out = net.forwardBatchStats(x, n);
      assertClose(out.logits.dataSync(), fixtureValues(fx.logits), 1e-4, `${fx.name} logits`);
      assertClose(out.features.dataSync(), fixtureValues(fx.pooled_unbound), 1e-4, `${fx.name} features`);
      const reg = net.regularizers();
      assertClose([reg.bind.dataSync()[0], reg.iso.dataSync()[0]], [fx.r_bind, fx.r_iso], 1e-4, `${fx.name} regularisers`);
      const names = Object.keys(net.params);
      const lossFn = (xx: tf.Tensor, ...ps: tf.Tensor[]) => {
        // The same network with the differentiated tensors in place of its variables.
        const view = Object.create(net) as MimoConvNet;
        Object.defineProperty(view, 'params', { value: Object.fromEntries(names.map((k, i) => [k, ps[i]])) });
        const r = view.regularizers();
        return tf.losses.softmaxCrossEntropy(y, view.forwardBatchStats(xx as tf.Tensor4D, n).logits).add(r.bind.mul(0.1)).add(r.iso.mul(1e-4)) as tf.Scalar;
      };
      const { value, grads } = tf.valueAndGrads(lossFn)([x, ...names.map((k) => net.params[k])]);
      const loss = value.dataSync()[0];
      assert.ok(Math.abs(loss - fx.loss) < 1e-4 * (1 + Math.abs(fx.loss)), `${fx.name} loss ${loss} vs PyTorch ${fx.loss}`);
      const ours = Object.fromEntries(names.map((k, i) => [k, { shape: grads[i + 1].shape, values: grads[i + 1].dataSync() }]));
      for (const [k, g] of Object.entries(exportTorchParams(cfg, ours))) assertMatchesFixture(g.values, fx.grads[k], 1e-4, `${fx.name} d/d${k}`);
      assertMatchesFixture(permute(grads[0].dataSync(), grads[0].shape, [0, 3, 1, 2]), fx.grads.input, 1e-4, `${fx.name} d/dinput`);
    });
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    tf.dispose([x, y]);
    net.dispose();
  });
}

test('import then export is the identity on a fixture state dict', () => {
  const fx = JSON.parse(readFileSync(DIR + files.find((f) => f.includes('hrr_N4'))!, 'utf8')) as Fixture;
  const cfg = resolveConfig({ arch: 'mimonet', depth: 10, width: 1, initialWidth: 1, binding: 'hrr', capacity: 4 });
  const state = Object.fromEntries(Object.entries(fx.params).filter(([k]) => !k.endsWith('.alpha')).map(([k, v]) => [k, { shape: v.shape, values: fixtureValues(v) }]));
  const back = exportTorchParams(cfg, importTorchParams(cfg, state));
  assert.deepEqual(Object.keys(back).sort(), Object.keys(state).sort());
  for (const [k, v] of Object.entries(state)) {
    assert.deepEqual(back[k].shape, v.shape, k);
    assertClose(back[k].values, Float32Array.from(v.values), 0, k);
  }
});

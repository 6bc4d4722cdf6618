// One-cycle schedule, SGD and gradient clipping against PyTorch (tools/torch/optim_oracle.py),
// and the mixup sampler's distribution.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { Rng } from '../../src/data/index.js';
import { AdamW } from '../../src/train/adamw.js';
import { mixup, sampleBeta } from '../../src/train/mixup.js';
import { oneCycle } from '../../src/train/one_cycle.js';
import { clipGradNorm, Sgd } from '../../src/train/sgd.js';
import { assertClose } from '../helpers/oracle.js';

const fx = JSON.parse(readFileSync(fileURLToPath(new URL('../../../test/fixtures/optim.json', import.meta.url)), 'utf8'));

for (const kind of ['cos', 'linear'] as const) {
  test(`oneCycle (${kind}) equals torch OneCycleLR step by step`, () => {
    const f = fx[`one_cycle_${kind}`];
    for (let s = 0; s < f.total_steps; s++) {
      const r = oneCycle({ maxLr: f.max_lr, totalSteps: f.total_steps, anneal: kind }, s);
      assert.ok(Math.abs(r.lr - f.lr[s]) < 1e-12, `step ${s}: lr ${r.lr} vs ${f.lr[s]}`);
      assert.ok(Math.abs(r.momentum - f.momentum[s]) < 1e-12, `step ${s}: momentum ${r.momentum} vs ${f.momentum[s]}`);
    }
    assert.throws(() => oneCycle({ maxLr: 0.2, totalSteps: 10 }, 11), /step 11 outside 0..10/);
  });
}

test('oneCycle with a warm-up of one step (a phase of length 0) stays finite and peaks at step 0', () => {
  for (let s = 0; s < 4; s++) {
    const r = oneCycle({ maxLr: 1e-3, totalSteps: 4, pctStart: 0.25, anneal: 'linear' }, s);
    assert.ok(Number.isFinite(r.lr) && Number.isFinite(r.momentum), `step ${s}: ${JSON.stringify(r)}`);
  }
  assert.equal(oneCycle({ maxLr: 1e-3, totalSteps: 4, pctStart: 0.25, anneal: 'linear' }, 0).lr, 1e-3);
});

test('SGD with one-cycle momentum, weight-decay groups and clip_grad_norm_ follows torch', async () => {
  await initBackend({});
  const f = fx.sgd;
  const vars = { w: tf.variable(tf.tensor2d(f.w0, [3, 4])), a: tf.variable(tf.tensor1d(f.a0)) };
  const target = tf.tensor2d(f.target, [3, 4]);
  const sgd = new Sgd(vars, { weightDecay: f.weight_decay, noDecay: new Set(['a']) });
  for (let s = 0; s < f.total_steps; s++) {
    const { lr, momentum } = oneCycle({ maxLr: f.max_lr, totalSteps: f.total_steps }, s);
    tf.tidy(() => {
      const [gw, ga] = tf.grads((w: tf.Tensor, a: tf.Tensor) => w.mul(a).sub(target).square().sum().add(a.pow(3).sum()))([vars.w, vars.a]);
      const clipped = clipGradNorm({ w: gw, a: ga }, f.max_norm);
      assert.ok(Math.abs(clipped.norm - f.norms[s]) < 1e-4 * f.norms[s], `step ${s}: norm ${clipped.norm} vs ${f.norms[s]}`);
      sgd.step(clipped.grads, lr, momentum);
    });
    assertClose(vars.w.dataSync(), f.w[s], 1e-5, `w after step ${s}`);
    assertClose(vars.a.dataSync(), f.a[s], 1e-5, `a after step ${s}`);
  }
  // Momentum buffers survive a state round trip.
  const st = sgd.state();
  const again = new Sgd(vars, { weightDecay: f.weight_decay });
  again.load(st);
  assert.deepEqual(Object.keys(again.state()).sort(), ['a', 'w']);
  assertClose(again.state().w.values, st.w.values, 0, 'buffer round trip');
  assert.throws(() => again.load({ q: { shape: [1], values: new Float32Array(1) } }), /unknown parameter 'q'/);
  sgd.dispose(); again.dispose();
  tf.dispose([vars.w, vars.a, target]);
});

test('mixup: Beta(1,1) is uniform, Beta(0.2,0.2) is U-shaped, α=0 disables; images and labels mix consistently', () => {
  const rng = new Rng(1);
  const draws = Array.from({ length: 20000 }, () => sampleBeta(1, rng));
  const mean = draws.reduce((a, v) => a + v, 0) / draws.length;
  const below = draws.filter((v) => v < 0.25).length / draws.length;
  assert.ok(Math.abs(mean - 0.5) < 0.01 && Math.abs(below - 0.25) < 0.015, `Beta(1,1): mean ${mean}, P(<0.25) ${below}`);
  const u = Array.from({ length: 20000 }, () => sampleBeta(0.2, rng));
  const edges = u.filter((v) => v < 0.05 || v > 0.95).length / u.length;
  assert.ok(edges > 0.55, `Beta(0.2,0.2) should put most mass near 0 and 1, got ${edges}`);
  assert.equal(sampleBeta(0, rng), 1);
  const x = Float32Array.from({ length: 4 * 3 }, (_, i) => i), y = Int32Array.from([0, 1, 2, 3]);
  const m = mixup(x, y, 3, 1, new Rng(5));
  for (let i = 0; i < 4; i++) {
    const partner = y.indexOf(m.yPerm[i]);
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(m.x[i * 3 + k] - (m.lambda * x[i * 3 + k] + (1 - m.lambda) * x[partner * 3 + k])) < 1e-5);
  }
  assert.deepEqual([...m.yPerm].sort(), [0, 1, 2, 3]);
});

test('AdamW with one-cycle (linear) learning rate and β1 cycling follows torch', async () => {
  await initBackend({});
  const f = fx.adamw;
  const w = tf.variable(tf.tensor1d(f.w0));
  const coef = tf.tensor1d([1, 2, 3, 4, 5]);
  const opt = new AdamW({ w }, { eps: f.eps, weightDecay: f.weight_decay });
  for (let s = 0; s < f.total_steps; s++) {
    const { lr, momentum } = oneCycle({ maxLr: f.max_lr, totalSteps: f.total_steps, pctStart: f.pct_start, anneal: 'linear' }, s);
    assert.ok(Math.abs(lr - f.lr[s]) < 1e-12 && Math.abs(momentum - f.beta1[s]) < 1e-12, `step ${s}: lr ${lr}/${f.lr[s]} beta1 ${momentum}/${f.beta1[s]}`);
    tf.tidy(() => {
      const [g] = tf.grads((x: tf.Tensor) => x.sub(1).square().mul(coef).sum())([w]);
      opt.step({ w: g }, lr, momentum);
    });
    assertClose(w.dataSync(), f.w[s], 1e-5, `w after step ${s}`);
  }
  const st = opt.state();
  assert.equal(st.t, f.total_steps);
  assert.deepEqual(Object.keys(st.tensors).sort(), ['m/w', 'v/w']);
  opt.dispose();
  tf.dispose([w, coef]);
});

// The recipe flags of `mimo train conv` on tiny models: the validation hold-out, warm start,
// label smoothing and Nesterov momentum, each against a hand computation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { holdOut } from '../../src/data/index.js';
import { MimoConvNet } from '../../src/models/mimoconv/index.js';
import { loadConvCheckpoint } from '../../src/checkpoint/conv.js';
import { convTrainStep } from '../../src/train/conv_step.js';
import { trainConv, type TrainConvOptions } from '../../src/train/conv_trainer.js';
import { Sgd } from '../../src/train/sgd.js';
import { isSlotParam, warmStart } from '../../src/train/warm_start.js';
import { synthetic } from '../helpers/synthetic.js';

const data = { train: synthetic(96, 8, 1), test: synthetic(48, 8, 2, 'test') };
const tiny = { arch: 'mimonet', depth: 10, width: 1, initialWidth: 1, binding: 'hrr' } as const;
const run = (out: string, capacity: number, train: TrainConvOptions['train'] = {}): TrainConvOptions => ({
  model: { ...tiny, capacity }, train: { epochs: 2, batch: 8, lr: 0.05, seed: 3, calibrationBatches: 2, ...train },
  out, dataDir: '/nonexistent', resume: true, data,
});

test('holdOut: the last k images as views, the rest for training; errors name the fix', () => {
  const ds = synthetic(10, 2, 7);
  const { train, val } = holdOut(ds, 3);
  assert.equal(train.count, 7);
  assert.equal(val!.count, 3);
  assert.deepEqual([...val!.labels], [...ds.labels.subarray(7)]);
  assert.deepEqual([...val!.images], [...ds.images.subarray(7 * 12)]);
  assert.deepEqual([...train.images], [...ds.images.subarray(0, 7 * 12)]);
  assert.equal(holdOut(ds, 0).val, null);
  assert.throws(() => holdOut(ds, 10), /leaves nothing to train on .* lower --val-images/);
  assert.throws(() => holdOut(ds, -1), /whole number/);
});

test('--val-images: evaluation on the held-out training images, never the test set', async () => {
  await initBackend({});
  const dir = mkdtempSync(join(tmpdir(), 'mimo-val-'));
  const r = await trainConv(run(join(dir, 'v.ckpt'), 2, { valImages: 30 }));
  // 66 training images at a loader batch of 16: 4 steps a pass, 2 passes.
  assert.equal(r.history[0].steps, 8);
  const { net, meta } = loadConvCheckpoint(join(dir, 'v.ckpt'));
  assert.equal(meta.train.valImages, 30);
  // The recorded operating point equals an evaluation on the last 30 training images.
  const { evaluateConv } = await import('../../src/train/evaluate_conv.js');
  const val = holdOut(data.train, 30).val!;
  const e = evaluateConv(net, val, 2);
  assert.equal(e.images, 30);
  assert.equal(meta.operatingPoints!.find((p) => p.n === 2)!.accuracy, Math.round(e.accuracy * 1e5) / 1e5);
  assert.equal(r.history.at(-1)!.eval.find((x) => x.n === 2)!.accuracy, Math.round(e.accuracy * 1e5) / 1e5);
  net.dispose();
  rmSync(dir, { recursive: true });
});

test('--init-from copies exactly stem, trunk and classifier; keys and unbinding stay fresh', async () => {
  await initBackend({});
  const dir = mkdtempSync(join(tmpdir(), 'mimo-warm-'));
  await trainConv(run(join(dir, 'n1.ckpt'), 1));
  const src = loadConvCheckpoint(join(dir, 'n1.ckpt')).net;
  const fresh = new MimoConvNet({ ...tiny, capacity: 4 }, 9);
  const warm = new MimoConvNet({ ...tiny, capacity: 4 }, 9);
  const before = tf.memory().numTensors;
  const copied = warmStart(warm, join(dir, 'n1.ckpt'));
  assert.equal(tf.memory().numTensors, before, 'warm start leaks no tensors');
  const names = Object.keys(warm.params);
  assert.deepEqual(copied, names.filter((n) => !isSlotParam(n)));
  assert.deepEqual(names.filter(isSlotParam).sort(), ['bind.keys', 'unbind.bias', 'unbind.weight']);
  for (const n of names) {
    const want = isSlotParam(n) ? fresh.params[n] : src.params[n];
    assert.deepEqual([...warm.params[n].dataSync()], [...want.dataSync()], n);
  }
  // The trainer applies it to a new run (learning rate 0: the weights stay as copied), and the
  // checkpoint records where it started from.
  const r = await trainConv(run(join(dir, 'n4.ckpt'), 4, { initFrom: join(dir, 'n1.ckpt'), epochs: 1, lr: 0 }));
  assert.equal(r.train.initFrom, join(dir, 'n1.ckpt'));
  const trained = loadConvCheckpoint(join(dir, 'n4.ckpt')).net;
  for (const n of copied) assert.deepEqual([...trained.params[n].dataSync()], [...src.params[n].dataSync()], `${n} after a run with lr 0`);
  trained.dispose();
  // Another architecture is refused with the reason.
  const wide = new MimoConvNet({ ...tiny, width: 2, capacity: 2 }, 1);
  assert.throws(() => warmStart(wide, join(dir, 'n1.ckpt')), /width=1, this run 2; warm start needs the same architecture/);
  wide.dispose(); fresh.dispose(); warm.dispose(); src.dispose();
  rmSync(dir, { recursive: true });
});

test('label smoothing: the step loss is the smoothed cross-entropy of the logits plus the regularisers', async () => {
  await initBackend({});
  const net = new MimoConvNet({ ...tiny, capacity: 2 }, 5);
  const sgd = new Sgd(net.params, { weightDecay: 0 });
  const b = 4, eps = 0.2, classes = net.config.classes;
  const x = Float32Array.from({ length: b * 8 * 8 * 3 }, (_, i) => Math.sin(i));
  const y = Int32Array.from([0, 3, 7, 1]);
  // Logits with batch statistics, as the step computes them (lr 0: nothing changes before).
  const logits = tf.tidy(() => net.forwardBatchStats(tf.tensor4d(x, [b, 8, 8, 3]), 2).logits.arraySync());
  let ce = 0;
  for (let i = 0; i < b; i++) {
    const l = logits[i], max = Math.max(...l);
    const lse = max + Math.log(l.reduce((a, v) => a + Math.exp(v - max), 0));
    for (let k = 0; k < classes; k++) ce -= ((k === y[i] ? 1 - eps : 0) + eps / classes) * (l[k] - lse);
  }
  ce /= b;
  const w = { bindingReg: 0.1, isometryReg: 1e-4, clipNorm: 1000, normLimit: Infinity, lr: 0, momentum: 0.9 };
  const r = convTrainStep(net, sgd, { x, shape: [b, 8, 8, 3], y, yPerm: y, lambda: 1, n: 2 }, { ...w, labelSmoothing: eps });
  const expected = ce + 0.1 * r.rBind + 1e-4 * r.rIso;
  assert.ok(Math.abs(r.loss - expected) < 1e-4 * Math.max(1, Math.abs(expected)), `loss ${r.loss} vs hand ${expected}`);
  const plain = convTrainStep(net, sgd, { x, shape: [b, 8, 8, 3], y, yPerm: y, lambda: 1, n: 2 }, w);
  assert.ok(Math.abs(plain.loss - r.loss) > 1e-3, 'smoothing changes the loss');
  sgd.dispose(); net.dispose();
});

test('Nesterov SGD follows p ← p − lr·(g + μ·buf), buf ← μ·buf + g, with weight decay', async () => {
  await initBackend({});
  const p0 = [0.5, -1, 2], wd = 0.01;
  const v = { p: tf.variable(tf.tensor1d(p0)) };
  const sgd = new Sgd(v, { weightDecay: wd, nesterov: true });
  const p = [...p0], buf = [0, 0, 0];
  const steps = [{ lr: 0.1, m: 0.9 }, { lr: 0.05, m: 0.85 }, { lr: 0.2, m: 0.95 }];
  steps.forEach(({ lr, m }, s) => {
    const g0 = p.map((q) => Math.cos(q) + q * q); // any gradient of the current value
    tf.tidy(() => sgd.step({ p: tf.tensor1d(g0) }, lr, m));
    for (let i = 0; i < 3; i++) {
      const g = g0[i] + wd * p[i];
      buf[i] = s === 0 ? g : m * buf[i] + g;
      p[i] -= lr * (g + m * buf[i]);
    }
    const got = v.p.dataSync();
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(got[i] - p[i]) < 1e-5, `step ${s}, p[${i}]: ${got[i]} vs ${p[i]}`);
  });
  sgd.dispose(); v.p.dispose();
});

test('distillation: (1 − α)·CE + α·T²·KL(teacher_T ‖ student_T) equals a hand computation; the trainer runs with a teacher', async () => {
  await initBackend({});
  const { distillLoss } = await import('../../src/train/conv_step.js');
  const s = [[1, -2, 0.5], [0, 3, -1]], t = [[2, 0, -1], [-0.5, 1, 1.5]], alpha = 0.7, T = 3, ce = 1.25;
  const logSoftmax = (v: number[]) => {
    const m = Math.max(...v), lse = m + Math.log(v.reduce((a, x) => a + Math.exp(x - m), 0));
    return v.map((x) => x - lse);
  };
  let kl = 0;
  for (let i = 0; i < 2; i++) {
    const lp = logSoftmax(t[i].map((x) => x / T)), lq = logSoftmax(s[i].map((x) => x / T));
    kl += lp.reduce((a, l, k) => a + Math.exp(l) * (l - lq[k]), 0);
  }
  const hand = (1 - alpha) * ce + alpha * T * T * (kl / 2);
  const got = tf.tidy(() => distillLoss(tf.scalar(ce), tf.tensor2d(s), tf.tensor2d(t), alpha, T).dataSync()[0]);
  assert.ok(Math.abs(got - hand) < 1e-5, `${got} vs ${hand}`);
  // A student that matches its teacher has only the CE part left.
  const same = tf.tidy(() => distillLoss(tf.scalar(ce), tf.tensor2d(t), tf.tensor2d(t), alpha, T).dataSync()[0]);
  assert.ok(Math.abs(same - (1 - alpha) * ce) < 1e-5);

  const dir = mkdtempSync(join(tmpdir(), 'mimo-kd-'));
  await trainConv(run(join(dir, 'teacher.ckpt'), 1));
  const before = tf.memory().numTensors;
  const plain = await trainConv(run(join(dir, 'plain.ckpt'), 2, { epochs: 1 }));
  const kd = await trainConv(run(join(dir, 'kd.ckpt'), 2, { epochs: 1, teacher: join(dir, 'teacher.ckpt'), distillWeight: 0.5, distillTemperature: 2 }));
  assert.equal(tf.memory().numTensors, before, 'no tensors leaked with a teacher');
  assert.notEqual(kd.history[0].train_loss, plain.history[0].train_loss, 'the teacher changes the loss');
  await assert.rejects(trainConv(run(join(dir, 'bad.ckpt'), 2, { teacher: join(dir, 'missing.ckpt') })), /--teacher .*missing\.ckpt/);
  rmSync(dir, { recursive: true });
});

test('recipes: reference is the paper\'s defaults, the default recipe applies its values, explicit values win, old checkpoints resume as reference', async () => {
  const { resolveTrainConfig, TRAIN_CONV_DEFAULTS } = await import('../../src/train/conv_config.js');
  const { CONV_RECIPES, DEFAULT_CONV_RECIPE } = await import('../../src/train/conv_config.js');
  const ref = resolveTrainConfig({ recipe: 'reference' }, 4);
  assert.deepEqual(ref, TRAIN_CONV_DEFAULTS);
  assert.equal(ref.mixupAlpha, 1);
  assert.equal(ref.weightDecay, 1e-5);
  const def = resolveTrainConfig({}, 4);
  assert.equal(def.recipe, DEFAULT_CONV_RECIPE);
  for (const [k, v] of Object.entries(CONV_RECIPES[DEFAULT_CONV_RECIPE])) assert.equal((def as unknown as Record<string, unknown>)[k], v, k);
  assert.equal(resolveTrainConfig({ mixupAlpha: 0.3 }, 4).mixupAlpha, 0.3, 'an explicit value beats the recipe');
  assert.throws(() => resolveTrainConfig({ recipe: 'slow' as 'fast' }, 4), /recipe 'slow': expected one of reference, fast/);

  await initBackend({});
  const dir = mkdtempSync(join(tmpdir(), 'mimo-recipe-'));
  const out = join(dir, 'old.ckpt');
  await trainConv(run(out, 2, { recipe: 'reference', epochs: 1 }));
  // A checkpoint written before named recipes existed has no `recipe` in its training config.
  const { updateCheckpointMeta } = await import('../../src/checkpoint/index.js');
  updateCheckpointMeta(out, (m) => {
    const { recipe: _drop, ...train } = m.train as Record<string, unknown>;
    return { ...m, train };
  });
  const more = await trainConv({ model: {}, train: { epochs: 2 }, out, dataDir: '/nonexistent', resume: true, data });
  assert.equal(more.train.recipe, 'reference');
  assert.equal(more.train.mixupAlpha, 1, 'resumed with the values it was trained with');
  rmSync(dir, { recursive: true });
});

// MIMOFormer training end to end on a small ListOps: warm-up curriculum, dev evaluation,
// best weights, test accuracy, and a resumed run equal to an uninterrupted one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { inEvaluationOrder, loadFormerTask } from '../../src/train/former_data.js';
import { trainFormer, type TrainFormerOptions } from '../../src/train/former_trainer.js';
import { tempDirs } from '../helpers/tmp.js';

const fresh = tempDirs('mimo-former-');
// The trainer's own seed and scale, so mimo eval regenerates the same test split.
const data = loadFormerTask('listops-mini', '/nonexistent', { seed: 9, scale: 0.02 });
const opts = (out: string): TrainFormerOptions => ({
  model: { scheme: 'att', grid: 2, d: 32, hid: 32, heads: 2, dh: 16, layers: 1, features: 16 },
  train: { task: 'listops-mini', steps: 24, batch: 8, lr: 2e-3, warmup: 4, evalEvery: 8, evalBatches: 4, mimoWarmup: 8, seed: 9, scale: 0.02 },
  out, dataDir: '/nonexistent', resume: true, data,
});

test('ListOps-mini splits follow SPEC §5.2 sizes and lengths', () => {
  assert.deepEqual([data.train.count, data.dev.count, data.test.count], [400, 40, 40]);
  assert.equal(data.train.length, 128);
});

test('MIMOFormer training: curriculum, dev/best/test, exact resume, no leaks', { timeout: 300000 }, async () => {
  await initBackend({});
  const dir = fresh();
  const before = tf.memory().numTensors;
  const a = await trainFormer(opts(join(dir, 'a.ckpt')));
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  assert.deepEqual(a.history.map((h) => h.step), [8, 16, 24]);
  assert.deepEqual(a.history.map((h) => h.grid), [1, 2, 2], 'warm-up at half the grid, then the full grid');
  assert.ok(a.state.bestStep > 8, 'best weights are never taken during warm-up');
  assert.ok(a.test && a.test.sequences === 40 && a.test.accuracy >= 0);
  assert.equal(a.state.done, true);
  await trainFormer({ ...opts(join(dir, 'b.ckpt')), maxSteps: 8 });
  // --time-limit: with less time left than the last interval took, it stops at the checkpoint.
  const held = await trainFormer({ ...opts(join(dir, 'b.ckpt')), timeLimit: { deadlineMs: Date.now() + 1 } });
  assert.equal(held.stoppedByTimeLimit, true);
  assert.equal(held.state.step, 8);
  const b = await trainFormer(opts(join(dir, 'b.ckpt')));
  assert.equal(b.stoppedByTimeLimit, false);
  assert.deepEqual(b.history, a.history.map((h, i) => ({ ...h, seconds: b.history[i].seconds })));
  assert.deepEqual(b.test!.accuracy, a.test!.accuracy);
  await assert.rejects(trainFormer({ ...opts(join(dir, 'b.ckpt')), train: { lr: 1 } }), /cannot change lr on resume/);
  // mimo eval reproduces the recorded test accuracy from the checkpoint alone.
  const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  const r = spawnSync(process.execPath, [main, 'eval', '--checkpoint', join(dir, 'a.ckpt'), '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(j.dataset, 'listops-mini');
  assert.equal(j.results[0].accuracy, Math.round(a.test!.accuracy * 1e5) / 1e5);
});

test('mimo results former writes the LRA table: accuracy as recorded, deltas vs the Performer, commands', { timeout: 300000 }, async () => {
  await initBackend({});
  const dir = fresh();
  const att = await trainFormer({ ...opts(join(dir, 'att.ckpt')), train: { ...opts('').train, steps: 16 } });
  const perf = await trainFormer({ ...opts(join(dir, 'perf.ckpt')), model: { ...opts('').model, scheme: 'performer', grid: 1 }, train: { ...opts('').train, steps: 16, mimoWarmup: 0 } });
  const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  const r = spawnSync(process.execPath, [main, 'results', 'former', '--checkpoints', `${join(dir, 'perf.ckpt')},${join(dir, 'att.ckpt')}`, '--out', join(dir, 'lra'), '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(j.models.map((m: { name: string }) => m.name), ['Performer', 'MIMOFormer att. M=N=2 (first 8 steps at M=N=1)']);
  assert.equal(j.models[0].accuracy, Math.round(perf.test!.accuracy * 1e5) / 1e5);
  assert.equal(j.models[1].accuracy, Math.round(att.test!.accuracy * 1e5) / 1e5);
  assert.ok(j.models.every((m: { flops_per_sequence: number; sequences_per_s: number }) => m.flops_per_sequence > 0 && m.sequences_per_s > 0));
  assert.equal(j.deltas.length, 1);
  assert.equal(j.deltas[0].delta_pp, Math.round((j.models[1].accuracy - j.models[0].accuracy) * 1e4) / 100);
  assert.ok(j.deltas[0].flop_ratio > 1, 'superposition lowers FLOPs per sequence');
  assert.match(j.models[1].command, /^npx mimo train former --task listops-mini --scheme att --grid 2 .* --steps 16 .*--mimo-warmup 8 .*--scale 0.02 --seed 9 --out .*att.ckpt --resume$/);
  assert.equal(j.anchors.performer_lra.listops, 18);
  assert.deepEqual(j.average_deltas, [{ name: j.models[1].name, tasks: ['listops-mini'], average_delta_pp: j.deltas[0].delta_pp, paper_delta_pp: -1.07 }]);
});

test('two-class tasks train (Pathfinder: the labels are one-hot over the task\'s 2 classes, not the default 10)', { timeout: 120000 }, async () => {
  await initBackend();
  const dir = fresh();
  const pf = loadFormerTask('pathfinder', '/nonexistent', { seed: 3, scale: 0.004 }); // 80 / 10 / 10 images
  assert.equal(pf.train.numClasses, 2);
  const r = await trainFormer({
    model: { scheme: 'att', grid: 2, d: 16, hid: 16, heads: 1, dh: 16, layers: 1, features: 8 },
    train: { task: 'pathfinder', steps: 4, batch: 8, lr: 1e-3, warmup: 1, evalEvery: 2, evalBatches: 1, seed: 3, scale: 0.004 },
    out: join(dir, 'pf.ckpt'), dataDir: '/nonexistent', data: pf,
  });
  assert.equal(r.model.classes, 2);
  assert.ok(r.test && r.test.accuracy >= 0 && r.test.accuracy <= 1);
});

test('splits smaller than one batch are rejected with the fix', async () => {
  await initBackend();
  const pf = loadFormerTask('pathfinder', '/nonexistent', { seed: 3, scale: 0.002 }); // test split: 5 images
  await assert.rejects(trainFormer({
    model: { scheme: 'att', grid: 2, d: 16, hid: 16, heads: 1, dh: 16, layers: 1, features: 8 },
    train: { task: 'pathfinder', steps: 4, batch: 8, lr: 1e-3, warmup: 1, evalEvery: 2, evalBatches: 1, seed: 3, scale: 0.002 },
    out: join(fresh(), 'x.ckpt'), dataDir: '/nonexistent', data: pf,
  }), /dev split of 5 sequences is smaller than one batch of 8; use a smaller --batch or a larger --scale/);
});

test('dev and test rows come in a fixed random order, so superposition partners do not depend on labels', () => {
  // A set whose row i holds token i and label i % 2 (the pattern of Text and Pathfinder files).
  const L = 3, count = 64;
  const s = { tokens: Uint16Array.from({ length: count * L }, (_, j) => Math.floor(j / L)), labels: Uint8Array.from({ length: count }, (_, i) => i % 2), count, length: L, vocab: 100, numClasses: 2 };
  const a = inEvaluationOrder(s, 2), b = inEvaluationOrder(s, 2);
  assert.deepEqual(a.tokens, b.tokens, 'deterministic');
  const rows = Array.from({ length: count }, (_, r) => a.tokens[r * L]);
  assert.deepEqual([...rows].sort((x, y) => x - y), Array.from({ length: count }, (_, i) => i), 'a permutation of the rows');
  rows.forEach((from, r) => {
    assert.deepEqual(Array.from(a.tokens.subarray(r * L, (r + 1) * L)), [from, from, from], `row ${r} moved whole`);
    assert.equal(a.labels[r], from % 2, `row ${r} kept its label`);
  });
  assert.notDeepEqual(Array.from(a.labels), Array.from(s.labels), 'the label pattern is broken');
  assert.notDeepEqual(inEvaluationOrder(s, 1).tokens, a.tokens, 'dev and test get different orders');
  // The loaded Pathfinder splits (generated 1, 0, 1, 0, ...) no longer alternate.
  const pf = loadFormerTask('pathfinder', '/nonexistent', { seed: 3, scale: 0.004 });
  for (const split of [pf.dev, pf.test]) {
    assert.equal(split.labels.reduce((x, y) => x + y, 0), split.count / 2, 'still balanced');
    assert.ok(split.labels.some((v, i) => i > 0 && v === split.labels[i - 1]), 'no longer alternating');
  }
});

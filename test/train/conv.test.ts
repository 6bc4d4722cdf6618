// MIMOConv training end to end on a tiny model and synthetic data: it learns, resuming
// reproduces an uninterrupted run exactly, a kill -9 leaves a readable checkpoint, and
// evaluation works from the checkpoint alone at every operating point.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { loadConvCheckpoint } from '../../src/checkpoint/conv.js';
import { trainConv, type TrainConvOptions } from '../../src/train/conv_trainer.js';
import { evaluateConv } from '../../src/train/evaluate_conv.js';
import { checkpointCompact } from '../../src/cli/commands/checkpoint_compact.js';
import { synthetic } from '../helpers/synthetic.js';
import { mayStartUnit, timeLimitFromMinutes } from '../../src/train/time_limit.js';

const data = { train: synthetic(96, 8, 1), test: synthetic(48, 8, 2, 'test') };
const base = (out: string, epochs: number): TrainConvOptions => ({
  model: { arch: 'mimonet', depth: 10, width: 1, initialWidth: 1, binding: 'hrr', capacity: 2 },
  train: { epochs, batch: 8, lr: 0.05, seed: 3, calibrationBatches: 2 },
  out, dataDir: '/nonexistent', resume: true, data,
});

test('training learns, logs, checkpoints every epoch and evaluates at every n from the checkpoint', async () => {
  await initBackend({});
  const dir = mkdtempSync(join(tmpdir(), 'mimo-train-'));
  const out = join(dir, 'm.ckpt');
  const before = tf.memory().numTensors;
  const r = await trainConv({ ...base(out, 6), log: join(dir, 'm.jsonl'), train: { ...base(out, 6).train, supLow: 1, supFrequency: 0.5 } });
  assert.equal(tf.memory().numTensors, before, 'tensors leaked by training');
  assert.equal(r.history.length, 6);
  assert.equal(r.state.done, true);
  // 96 images, loader batch 8·2 = 16 -> 6 steps per pass, 2 passes per epoch.
  assert.equal(r.history[0].steps, 12);
  // Step time per n: every step counted once, under the n it ran at (a dynamic run here: both).
  for (const h of r.history) {
    const st = h.step_seconds!;
    assert.equal(st.reduce((a, t) => a + t.steps, 0), h.steps, `epoch ${h.epoch}: ${JSON.stringify(st)}`);
    assert.ok(st.every((t) => (t.n === 1 || t.n === 2) && t.mean > 0 && t.mean < h.seconds), JSON.stringify(st));
  }
  assert.deepEqual([...new Set(r.history.flatMap((h) => h.step_seconds!.map((t) => t.n)))].sort(), [1, 2]);
  assert.ok(r.history[5].train_loss < r.history[0].train_loss, `loss ${r.history.map((h) => h.train_loss)}`);
  assert.equal(readFileSync(join(dir, 'm.jsonl'), 'utf8').trim().split('\n').length, 6);
  const { net, meta } = loadConvCheckpoint(out);
  assert.deepEqual(meta.bnN.sort(), [1, 2], 'per-n batch-norm statistics (trained at 1 and 2)');
  for (const n of [1, 2]) {
    const e = evaluateConv(net, data.test, n);
    assert.equal(e.images, 48);
    assert.ok(e.accuracy > 0.5, `n=${n}: accuracy ${e.accuracy} on a 3-class rule`);
    // Batch-size independence: one image at a time gives the same predictions.
    const one = evaluateConv(net, data.test, n, { batch: 1 });
    assert.equal(one.accuracy, e.accuracy, `n=${n}: batch 1 vs batch 128`);
    // The operating points recorded at the end of training (what mimo serve reports) match.
    const rec = meta.operatingPoints?.find((p) => p.n === n);
    assert.ok(rec && rec.images_per_s > 0, `n=${n}: operating point recorded`);
    assert.equal(rec.accuracy, Math.round(e.accuracy * 1e5) / 1e5);
  }
  // A final compact copy (float16 weights, no optimizer state) classifies the same.
  await checkpointCompact.run({ _: [], in: out, out: join(dir, 'final.ckpt'), final: true });
  const small = loadConvCheckpoint(join(dir, 'final.ckpt'));
  assert.deepEqual(Object.keys(small.sgdState), []);
  for (const n of [1, 2]) {
    const a = evaluateConv(net, data.test, n), b2 = evaluateConv(small.net, data.test, n);
    assert.ok(Math.abs(a.accuracy - b2.accuracy) <= 1 / 48, `n=${n}: fp16 weights ${b2.accuracy} vs fp32 ${a.accuracy}`);
  }
  small.net.dispose();
  net.dispose();
  rmSync(dir, { recursive: true });
});

test('resuming reproduces the uninterrupted run exactly', async () => {
  await initBackend({});
  const dir = mkdtempSync(join(tmpdir(), 'mimo-resume-'));
  const a = await trainConv(base(join(dir, 'a.ckpt'), 3));
  await trainConv({ ...base(join(dir, 'b.ckpt'), 3), maxEpochs: 1 });
  const b = await trainConv(base(join(dir, 'b.ckpt'), 3));
  assert.deepEqual(b.history.map((h) => [h.train_loss, h.train_accuracy, h.grad_norm]), a.history.map((h) => [h.train_loss, h.train_accuracy, h.grad_norm]));
  // A compact copy (float16 momentum) still resumes, to nearly the same trajectory.
  await trainConv({ ...base(join(dir, 'c.ckpt'), 3), maxEpochs: 1 });
  await checkpointCompact.run({ _: [], in: join(dir, 'c.ckpt'), out: join(dir, 'c16.ckpt') });
  const c = await trainConv(base(join(dir, 'c16.ckpt'), 3));
  c.history.forEach((h, i) => assert.ok(Math.abs(h.train_loss - a.history[i].train_loss) < 1e-3, `epoch ${i + 1}: ${h.train_loss} vs ${a.history[i].train_loss}`));
  // Resuming needs only the path; changing the recipe is refused; extending epochs is allowed.
  await assert.rejects(trainConv({ ...base(join(dir, 'b.ckpt'), 3), train: { lr: 0.1 } }), /cannot change lr on resume \(checkpoint has 0.05/);
  await assert.rejects(trainConv({ ...base(join(dir, 'b.ckpt'), 3), model: { capacity: 4 } }), /checkpoint has capacity=2 but 4 was asked for/);
  const more = await trainConv({ model: {}, train: { epochs: 4 }, out: join(dir, 'b.ckpt'), dataDir: '/nonexistent', resume: true, data });
  assert.equal(more.history.length, 4);
  rmSync(dir, { recursive: true });
});

test('--time-limit: an epoch starts only if it should end in time, the run stops at its checkpoint and resumes', async () => {
  await initBackend({});
  const dir = mkdtempSync(join(tmpdir(), 'mimo-limit-'));
  const out = join(dir, 'l.ckpt');
  const one = await trainConv({ ...base(out, 3), maxEpochs: 1 });
  assert.equal(one.stoppedByTimeLimit, false);
  const epochSeconds = one.history[0].seconds;
  // Less time left than the last epoch took: nothing is started, nothing is lost.
  const stopped = await trainConv({ ...base(out, 3), timeLimit: { deadlineMs: Date.now() + epochSeconds * 500 } });
  assert.equal(stopped.stoppedByTimeLimit, true);
  assert.equal(stopped.state.epoch, 1);
  assert.equal(loadConvCheckpoint(out).meta.state.epoch, 1);
  // Enough time: it finishes.
  const rest = await trainConv({ ...base(out, 3), timeLimit: timeLimitFromMinutes(60) });
  assert.equal(rest.stoppedByTimeLimit, false);
  assert.equal(rest.state.done, true);
  rmSync(dir, { recursive: true });
});

test('time limits: the decision rule', () => {
  const now = 1_000_000;
  assert.equal(mayStartUnit(undefined, 100, now), true);
  const lim = timeLimitFromMinutes(10, now)!;
  assert.equal(lim.deadlineMs, now + 600_000);
  assert.equal(mayStartUnit(lim, undefined, now), true, 'no unit ran yet: nothing to go by');
  assert.equal(mayStartUnit(lim, undefined, now + 600_000), false, 'past the deadline');
  assert.equal(mayStartUnit(lim, 500, now), true, '500 s x 1.1 fits in 600 s');
  assert.equal(mayStartUnit(lim, 560, now), false, '560 s x 1.1 does not');
  assert.throws(() => timeLimitFromMinutes(0), /positive number of minutes/);
  assert.throws(() => timeLimitFromMinutes(Number.NaN), /positive number of minutes/);
});

test('a run killed with kill -9 resumes to the same trajectory, and no checkpoint is corrupt (with every recipe flag)', { timeout: 300000 }, async () => {
  await initBackend({});
  const dir = mkdtempSync(join(tmpdir(), 'mimo-kill-'));
  // The recipe flags: a validation hold-out, label smoothing, Nesterov, a warm start and a teacher.
  await trainConv({ ...base(join(dir, 'n1.ckpt'), 1), model: { ...base('', 1).model, capacity: 1 } });
  const flags = JSON.stringify({ valImages: 24, labelSmoothing: 0.1, nesterov: true, initFrom: join(dir, 'n1.ckpt'), teacher: join(dir, 'n1.ckpt') });
  const child = fileURLToPath(new URL('../helpers/train_child.js', import.meta.url));
  const run = (out: string, epochs: number, killAfter?: number) => new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, [child, out, String(epochs), flags], { stdio: ['ignore', 'pipe', 'inherit'] });
    let seen = 0;
    p.stdout.on('data', (d: Buffer) => {
      seen += (d.toString().match(/epoch/g) ?? []).length;
      // Kill mid-epoch: a little after the first checkpoint is on disk.
      if (killAfter !== undefined && seen >= killAfter) setTimeout(() => p.kill('SIGKILL'), 150);
    });
    p.on('exit', (code, signal) => (code === 0 || signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code} ${signal}`))));
  });
  await run(join(dir, 'ref.ckpt'), 4);
  await run(join(dir, 'k.ckpt'), 4, 1);
  const killed = loadConvCheckpoint(join(dir, 'k.ckpt'));
  assert.ok(killed.meta.state.epoch >= 1 && killed.meta.state.epoch < 4, `killed run stopped after epoch ${killed.meta.state.epoch}`);
  killed.net.dispose();
  await run(join(dir, 'k.ckpt'), 4);
  const ref = loadConvCheckpoint(join(dir, 'ref.ckpt')), res = loadConvCheckpoint(join(dir, 'k.ckpt'));
  assert.deepEqual(res.meta.history.map((h) => h.train_loss), ref.meta.history.map((h) => h.train_loss));
  assert.deepEqual(res.meta.history.map((h) => h.eval), ref.meta.history.map((h) => h.eval));
  ref.net.dispose(); res.net.dispose();
  assert.ok(existsSync(join(dir, 'k.ckpt')));
  rmSync(dir, { recursive: true });
});

/**
 * MIMOFormer / Performer training (SPEC §3.7): AdamW with a one-cycle linear schedule and
 * β1 cycling, an endless shuffled stream (reshuffled every pass), the MIMO warm-up
 * curriculum (att. only: the first `mimoWarmup` steps at half the grid), periodic dev
 * evaluation, the best-on-dev weights kept (never during warm-up), an atomic checkpoint
 * at every evaluation with `--resume`, and the test accuracy of the best weights at the end.
 */
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { deriveSeed, Rng, shuffleInPlace } from '../data/index.js';
import type { SequenceSet } from '../data/lra_tasks.js';
import { resolveFormerConfig, type MimoFormerConfig } from '../models/mimoformer/config.js';
import { MimoFormer } from '../models/mimoformer/model.js';
import { AdamW } from './adamw.js';
import { readCheckpoint, writeCheckpoint, type CheckpointTensor } from '../checkpoint/index.js';
import { loadFormerTask, type FormerData, type FormerTask } from './former_data.js';
import { mayStartUnit, type TimeLimit } from './time_limit.js';
import { oneCycle } from './one_cycle.js';

export interface TrainFormerConfig {
  task: FormerTask;
  steps: number;
  batch: number;
  lr: number;
  /** Warm-up steps of the one-cycle schedule (pct_start = warmup / steps). */
  warmup: number;
  evalEvery: number;
  evalBatches: number;
  /** Steps at half the grid (att. only). */
  mimoWarmup: number;
  seed: number;
  /** Fraction of each split to use (1: all). */
  scale: number;
}

export const TRAIN_FORMER_DEFAULTS: TrainFormerConfig = {
  task: 'listops-mini', steps: 3000, batch: 32, lr: 1e-3, warmup: 150, evalEvery: 200, evalBatches: 32, mimoWarmup: 0, seed: 1234, scale: 1,
};

export interface FormerEval {
  step: number;
  train_loss: number;
  train_accuracy: number;
  dev_accuracy: number;
  best_dev_accuracy: number;
  grid: number;
  seconds: number;
}

export interface FormerMeta {
  kind: 'mimoformer';
  model: MimoFormerConfig;
  train: TrainFormerConfig;
  state: { step: number; bestDev: number; bestStep: number; trainSeconds: number; adamT: number; done: boolean };
  history: FormerEval[];
  test?: { accuracy: number; sequences: number; sequences_per_s: number };
}

function batchOf(s: SequenceSet, rows: ArrayLike<number>): { tokens: tf.Tensor2D; labels: Uint8Array } {
  const t = new Int32Array(rows.length * s.length), labels = new Uint8Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    t.set(s.tokens.subarray(rows[i] * s.length, (rows[i] + 1) * s.length), i * s.length);
    labels[i] = s.labels[rows[i]];
  }
  return { tokens: tf.tensor2d(t, [rows.length, s.length], 'int32'), labels };
}

/** Accuracy over `batches` batches in order (or the whole set when 0), at the full grid. */
export function evaluateFormer(m: MimoFormer, s: SequenceSet, batch: number, batches = 0): { accuracy: number; sequences: number; sequences_per_s: number } {
  const total = Math.floor(s.count / batch) * batch;
  const limit = batches > 0 ? Math.min(total, batches * batch) : total;
  let correct = 0, secs = 0;
  for (let start = 0; start < limit; start += batch) {
    const rows = Int32Array.from({ length: batch }, (_, i) => start + i);
    const { tokens, labels } = batchOf(s, rows);
    const t0 = performance.now();
    const pred = tf.tidy(() => m.forward(tokens, false).argMax(1).dataSync());
    secs += (performance.now() - t0) / 1000;
    tokens.dispose();
    for (let i = 0; i < batch; i++) if (pred[i] === labels[i]) correct++;
  }
  return { accuracy: limit ? correct / limit : 0, sequences: limit, sequences_per_s: secs > 0 ? limit / secs : 0 };
}

export interface TrainFormerOptions {
  model: Partial<MimoFormerConfig>;
  train: Partial<TrainFormerConfig>;
  out: string;
  dataDir: string;
  resume?: boolean;
  log?: string;
  /** Stop after this many steps in this process (resumable). */
  maxSteps?: number;
  /** Start an evaluation interval only if it should end (checkpoint written) within this budget. */
  timeLimit?: TimeLimit;
  data?: FormerData;
  onStep?: (step: number, total: number, loss: number) => void;
}

/** A MIMOFormer checkpoint's model with its saved weights (the best dev weights once training is done). */
export function loadFormerCheckpoint(path: string): { model: MimoFormer; meta: FormerMeta } {
  const ck = readCheckpoint(path);
  const meta = ck.meta as unknown as FormerMeta;
  if (meta.kind !== 'mimoformer') throw new Error(`${path}: a '${String(meta.kind)}' checkpoint, not a MIMOFormer one`);
  const model = new MimoFormer(meta.model);
  try {
    model.load(ck.tensors);
  } catch (e) {
    model.dispose();
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  return { model, meta };
}

export async function trainFormer(o: TrainFormerOptions): Promise<FormerMeta & { stoppedByTimeLimit: boolean }> {
  let meta: FormerMeta;
  let saved: Record<string, CheckpointTensor> | undefined;
  if (o.resume && existsSync(o.out)) {
    const ck = readCheckpoint(o.out);
    meta = ck.meta as unknown as FormerMeta;
    if (meta.kind !== 'mimoformer') throw new Error(`${o.out}: a '${String(meta.kind)}' checkpoint, not a MIMOFormer one`);
    for (const [k, v] of Object.entries(o.train)) {
      if (k !== 'steps' && v !== undefined && v !== (meta.train as unknown as Record<string, unknown>)[k]) {
        throw new Error(`${o.out}: cannot change ${k} on resume (checkpoint has ${JSON.stringify((meta.train as unknown as Record<string, unknown>)[k])}); start a new run with another --out`);
      }
    }
    saved = ck.tensors;
  } else {
    const train = { ...TRAIN_FORMER_DEFAULTS, ...o.train };
    meta = { kind: 'mimoformer', model: resolveFormerConfig(o.model), train, state: { step: 0, bestDev: -1, bestStep: -1, trainSeconds: 0, adamT: 0, done: false }, history: [] };
  }
  const t = meta.train;
  let c = meta.model;
  if (!(t.warmup >= 0 && t.warmup < t.steps)) throw new Error(`--warmup ${t.warmup} must be at least 0 and less than --steps ${t.steps}`);
  const cell = c.grid * c.grid;
  if (c.scheme !== 'performer' && t.batch % cell !== 0) throw new Error(`--batch ${t.batch} must be a multiple of M·N = ${cell}`);
  const data = o.data ?? loadFormerTask(t.task, o.dataDir, { seed: t.seed, scale: t.scale });
  // The metrics log is appended before the first checkpoint is written: its folder must exist.
  mkdirSync(dirname(o.out), { recursive: true });
  const m = new MimoFormer({ ...c, maxLen: Math.max(c.maxLen, data.train.length), vocab: Math.max(c.vocab, data.train.vocab), classes: data.train.numClasses });
  meta.model = c = m.config; // the task's classes, vocabulary and length from here on
  const opt = new AdamW(m.params, { eps: 1e-6, weightDecay: 0 });
  let best: Record<string, Float32Array> = {};
  if (saved) {
    m.load(saved);
    opt.load({ t: meta.state.adamT, tensors: Object.fromEntries(Object.entries(saved).filter(([k]) => k.startsWith('adam/')).map(([k, v]) => [k.slice(5), v])) });
    best = Object.fromEntries(Object.entries(saved).filter(([k]) => k.startsWith('best/')).map(([k, v]) => [k.slice(5), v.values]));
  }
  const names = Object.keys(m.params);
  const perPass = Math.floor(data.train.count / t.batch);
  for (const [name, split] of [['training', data.train], ['dev', data.dev], ['test', data.test]] as const) {
    if (split.count < t.batch) throw new Error(`${name} split of ${split.count} sequences is smaller than one batch of ${t.batch}; use a smaller --batch or a larger --scale`);
  }
  const save = () => {
    const tensors: Record<string, CheckpointTensor> = m.tensors();
    const st = opt.state();
    for (const [k, v] of Object.entries(st.tensors)) tensors[`adam/${k}`] = v;
    for (const [k, v] of Object.entries(best)) tensors[`best/${k}`] = { shape: m.params[k.slice(6)]?.shape ?? [v.length], values: v };
    meta.state.adamT = st.t;
    mkdirSync(dirname(o.out), { recursive: true });
    writeCheckpoint(o.out, { meta: meta as unknown as Record<string, unknown>, tensors });
  };
  try {
    let losses: number[] = [], accs: number[] = [], t0 = performance.now();
    const stopAt = Math.min(t.steps, meta.state.step + (o.maxSteps ?? Infinity));
    let order: Int32Array | null = null, orderPass = -1, stoppedByTimeLimit = false;
    while (meta.state.step < stopAt) {
      const s = meta.state.step;
      // Each evaluation interval ends with a checkpoint: start one only if it should end in time.
      if (s % t.evalEvery === 0 && !mayStartUnit(o.timeLimit, meta.history.at(-1)?.seconds)) {
        stoppedByTimeLimit = true;
        break;
      }
      const pass = Math.floor(s / perPass), k = s % perPass;
      if (pass !== orderPass) {
        order = Int32Array.from({ length: data.train.count }, (_, i) => i);
        shuffleInPlace(order, new Rng(deriveSeed(t.seed, 3, pass)));
        orderPass = pass;
      }
      const grid = c.scheme === 'att' && s < t.mimoWarmup ? Math.max(1, c.grid / 2) : c.grid;
      const { tokens, labels } = batchOf(data.train, order!.subarray(k * t.batch, (k + 1) * t.batch));
      const sched = oneCycle({ maxLr: t.lr, totalSteps: t.steps, pctStart: t.warmup / t.steps, anneal: 'linear' }, s);
      const r = tf.tidy(() => {
        const y = tf.oneHot(tf.tensor1d(labels, 'int32'), c.classes);
        let pred: tf.Tensor | null = null;
        const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
          void ps;
          const logits = m.forward(tokens, true, { grid, dropoutSeed: deriveSeed(t.seed, 5, s) });
          pred = tf.keep(logits.argMax(1));
          return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
        })(names.map((nm) => m.params[nm]));
        opt.step(Object.fromEntries(names.map((nm, i) => [nm, grads[i]])), sched.lr, sched.momentum);
        const p = (pred as unknown as tf.Tensor).dataSync();
        (pred as unknown as tf.Tensor).dispose();
        let acc = 0;
        for (let i = 0; i < labels.length; i++) acc += Number(p[i] === labels[i]);
        return { loss: value.dataSync()[0], acc: acc / labels.length };
      });
      tokens.dispose();
      if (!Number.isFinite(r.loss)) throw new Error(`training diverged at step ${s + 1}: loss ${r.loss}; lower --lr (now ${t.lr})`);
      losses.push(r.loss); accs.push(r.acc);
      meta.state.step++;
      o.onStep?.(meta.state.step, t.steps, r.loss);
      if (meta.state.step % t.evalEvery === 0 || meta.state.step === t.steps) {
        const dev = evaluateFormer(m, data.dev, t.batch, t.evalBatches);
        const warm = c.scheme === 'att' && meta.state.step <= t.mimoWarmup;
        if (!warm && dev.accuracy > meta.state.bestDev) {
          meta.state.bestDev = dev.accuracy;
          meta.state.bestStep = meta.state.step;
          best = Object.fromEntries(names.map((nm) => [`param/${nm}`, Float32Array.from(m.params[nm].dataSync())]));
        }
        const secs = (performance.now() - t0) / 1000;
        meta.state.trainSeconds += secs;
        const e: FormerEval = { step: meta.state.step, train_loss: mean(losses), train_accuracy: mean(accs), dev_accuracy: dev.accuracy, best_dev_accuracy: meta.state.bestDev, grid, seconds: Math.round(secs * 100) / 100 };
        meta.history.push(e);
        if (o.log) appendFileSync(o.log, JSON.stringify(e) + '\n');
        losses = []; accs = []; t0 = performance.now();
        if (meta.state.step === t.steps) {
          // Test with the best dev weights (the last ones if dev never improved after warm-up).
          if (Object.keys(best).length) for (const nm of names) tf.tidy(() => m.params[nm].assign(tf.tensor(best[`param/${nm}`], m.params[nm].shape)));
          meta.test = evaluateFormer(m, data.test, t.batch);
          meta.state.done = true;
        }
        save();
      }
    }
    return { ...meta, stoppedByTimeLimit };
  } finally {
    opt.dispose();
    m.dispose();
  }
}

function mean(xs: number[]): number {
  return xs.length ? Math.round((xs.reduce((a, v) => a + v, 0) / xs.length) * 1e5) / 1e5 : 0;
}

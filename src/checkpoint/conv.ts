/**
 * Saving and loading MIMOConv training state: model config and parameters, per-n
 * batch-norm statistics, SGD momentum, the training config and progress, and the
 * metrics history. Loading validates everything against the stored config and never
 * modifies the file.
 */
import * as tf from '@tensorflow/tfjs';
import { MimoConvNet, resolveConfig, type MimoConvConfig } from '../models/mimoconv/index.js';
import { readCheckpoint, readCheckpointMeta, writeCheckpoint, type CheckpointTensor } from './index.js';
import type { TrainConvConfig } from '../train/conv_config.js';

export const CONV_CHECKPOINT_KIND = 'mimoconv';

export interface EpochMetrics {
  epoch: number;
  steps: number;
  train_loss: number;
  train_accuracy: number;
  grad_norm: number;
  skipped: number;
  lr: number;
  r_bind: number;
  r_iso: number;
  seconds: number;
  /** Training steps per number of superposed inputs n and their mean wall time (absent in older checkpoints). */
  step_seconds?: { n: number; steps: number; mean: number }[];
  eval: { n: number; accuracy: number; loss: number }[];
}

export interface TrainState {
  /** Completed epochs. */
  epoch: number;
  /** Optimiser steps taken (applied or skipped): the schedule position. */
  step: number;
  /** Mean accepted gradient norm of the last epoch (Infinity before the first). */
  avgNormPrev: number | null;
  trainSeconds: number;
  done: boolean;
}

export interface ConvCheckpointMeta {
  kind: typeof CONV_CHECKPOINT_KIND;
  model: MimoConvConfig;
  train: TrainConvConfig;
  state: TrainState;
  history: EpochMetrics[];
  bnN: number[];
  /** Accuracy and throughput per n measured at the end of training (for serving). */
  operatingPoints?: { n: number; accuracy: number; images_per_s: number }[];
  /** Set when the weights came from a PyTorch file (`mimo import torch`) rather than training here. */
  imported?: { from: string; format: 'torch-reference'; key: string; epoch: number | null };
}

/**
 * Writes a MIMOConv network with its per-n batch-norm statistics and training metadata
 * (atomically: a temporary file, then a rename); `loadConvCheckpoint` reads it back.
 *
 * @example
 * import * as tf from '@tensorflow/tfjs';
 * import { initBackend, loadConvCheckpoint, MimoConvNet, resolveTrainConfig, saveConvCheckpoint } from 'mimonets';
 * await initBackend();
 * const net = new MimoConvNet({ depth: 10, width: 1, initialWidth: 1, capacity: 2 });
 * net.calibrate(2, [tf.randomNormal([8, 32, 32, 3]) as tf.Tensor4D]);
 * const state = { epoch: 0, step: 0, avgNormPrev: null, trainSeconds: 0, done: true };
 * saveConvCheckpoint('.cache/example.ckpt', net, { train: resolveTrainConfig({}, 2), state, history: [] });
 * const { net: back, meta } = loadConvCheckpoint('.cache/example.ckpt');
 * console.log(meta.model.capacity, meta.bnN, back.hasStats(2)); // 2 [ 2 ] true
 */
export function saveConvCheckpoint(path: string, net: MimoConvNet, meta: Omit<ConvCheckpointMeta, 'kind' | 'model' | 'bnN'>,
  sgdState: Record<string, { shape: number[]; values: Float32Array }> = {}, opts: { fp16?: boolean } = {}): { bytes: number } {
  const tensors: Record<string, CheckpointTensor> = {};
  for (const [k, v] of Object.entries(net.params)) tensors[`param/${k}`] = { shape: v.shape, values: v.dataSync() as Float32Array };
  for (const [n, stats] of net.bnStats) {
    for (const [layer, s] of Object.entries(stats)) {
      tensors[`bn/${n}/${layer}/mean`] = { shape: s.mean.shape, values: s.mean.dataSync() as Float32Array };
      tensors[`bn/${n}/${layer}/variance`] = { shape: s.variance.shape, values: s.variance.dataSync() as Float32Array };
    }
  }
  for (const [k, v] of Object.entries(sgdState)) tensors[`sgd/${k}`] = v;
  const full: ConvCheckpointMeta = { kind: CONV_CHECKPOINT_KIND, model: net.config, bnN: [...net.bnStats.keys()], ...meta };
  return writeCheckpoint(path, { meta: full as unknown as Record<string, unknown>, tensors }, opts.fp16 ? { fp16: true, keepFp32: (name) => name.startsWith('bn/') } : {});
}

export interface LoadedConv {
  net: MimoConvNet;
  meta: ConvCheckpointMeta;
  sgdState: Record<string, { shape: number[]; values: Float32Array }>;
}

/**
 * A MIMOConv checkpoint's metadata with the training settings older checkpoints lack filled in:
 * checkpoints written before --recipe and --dataset existed were trained with the reference
 * recipe on CIFAR-10. Every reader goes through here, so no caller repeats those defaults.
 */
export function normalizeConvMeta(raw: Record<string, unknown>, path: string): ConvCheckpointMeta {
  const meta = raw as unknown as ConvCheckpointMeta;
  if (meta.kind !== CONV_CHECKPOINT_KIND) throw new Error(`${path}: a '${String(meta.kind)}' checkpoint, not a MIMOConv one (${CONV_CHECKPOINT_KIND}); use the matching command`);
  const old = meta.train as Partial<TrainConvConfig>;
  return { ...meta, train: { ...meta.train, recipe: old.recipe ?? 'reference', dataset: old.dataset ?? 'cifar10' } };
}

/** The metadata of a MIMOConv checkpoint (normalised as normalizeConvMeta), without reading its tensors. */
export function readConvCheckpointMeta(path: string): ConvCheckpointMeta {
  return normalizeConvMeta(readCheckpointMeta(path), path);
}

/** Reads a MIMOConv checkpoint; `expect` (e.g. from --resume) must match the stored model config. */
export function loadConvCheckpoint(path: string, expect?: Partial<MimoConvConfig>): LoadedConv {
  const ck = readCheckpoint(path);
  const meta = normalizeConvMeta(ck.meta, path);
  const model = resolveConfig(meta.model);
  if (expect) {
    for (const [k, v] of Object.entries(expect)) {
      if (v !== undefined && (model as unknown as Record<string, unknown>)[k] !== v) {
        throw new Error(`${path}: checkpoint has ${k}=${JSON.stringify((model as unknown as Record<string, unknown>)[k])} but ${JSON.stringify(v)} was asked for; resume with the checkpoint's settings or start a new run with another --out`);
      }
    }
  }
  const values: Record<string, { shape: number[]; values: Float32Array }> = {};
  const sgdState: Record<string, { shape: number[]; values: Float32Array }> = {};
  for (const [name, t] of Object.entries(ck.tensors)) {
    if (name.startsWith('param/')) values[name.slice(6)] = t;
    else if (name.startsWith('sgd/')) sgdState[name.slice(4)] = t;
  }
  let net: MimoConvNet;
  try {
    net = new MimoConvNet(model, 0, values);
  } catch (e) {
    throw new Error(`${path}: parameters do not match the stored config ${model.arch}-${model.depth}-${model.width} (binding ${model.binding}, N=${model.capacity}): ${(e as Error).message}`);
  }
  for (const n of meta.bnN ?? []) {
    const stats: Record<string, { mean: tf.Tensor1D; variance: tf.Tensor1D }> = {};
    for (const layer of net.layout.bns) {
      const m = ck.tensors[`bn/${n}/${layer}/mean`], v = ck.tensors[`bn/${n}/${layer}/variance`];
      if (!m || !v) {
        net.dispose();
        throw new Error(`${path}: batch-norm statistics for n=${n}, layer ${layer} are missing; the checkpoint is incomplete`);
      }
      stats[layer] = { mean: tf.tensor1d(m.values), variance: tf.tensor1d(v.values) };
    }
    net.bnStats.set(n, stats);
  }
  return { net, meta, sgdState };
}

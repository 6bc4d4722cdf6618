/**
 * Throughput of the memory-bound kernels around the GEMMs (elementwise, layer norm, dropout,
 * transpose, reductions) on one activation shape, in GB/s of data read and written. Once the
 * convolutions and matmuls run on oneDNN these are most of what is left of a step (a MIMOFormer
 * step at L=2000 spends ~40 % of its time in them), and a kernel far below the add's GB/s is
 * compute- or latency-bound: worth a look.
 */
import * as tf from '@tensorflow/tfjs';
import { dropout } from '../ops/dropout.js';
import { LAYER_NORM, LAYER_NORM_GRAD, layerNorm } from '../ops/layer_norm.js';
import type { Workload } from './kernels.js';

const randn = (shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', 11);

/** The workloads on x of `shape` (its last axis is the feature axis d). flops: 0; bytes: moved per call. */
export function opWorkloads(shape: number[]): Workload[] {
  if (shape.length < 2 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`bench ops: the shape needs at least two positive integer dims, e.g. 32,2000,64; got [${shape}]`);
  }
  const n = tf.util.sizeFromShape(shape), d = shape[shape.length - 1], rows = n / d, f = 4;
  /** make: the timed call on inputs x, y (and the tensors it made once, freed after timing). */
  const one = (name: string, bytes: number, make: (x: tf.Tensor, y: tf.Tensor) => { call: () => tf.Tensor[]; made?: tf.Tensor[] }): Workload => ({
    name, flops: 0, bytes,
    setup() {
      const x = randn(shape), y = randn(shape);
      const { call, made = [] } = make(x, y);
      // Kernels on native and cpu run synchronously, so disposing is enough; reading the values
      // (dataSync) would keep the output buffer from the backend's pool, and every call would then
      // time fresh memory's page faults instead of the kernel.
      return { run: () => tf.dispose(tf.tidy(call)), dispose: () => tf.dispose([x, y, ...made]) };
    },
  });
  return [
    one('add', 3 * n * f, (x, y) => ({ call: () => [tf.add(x, y)] })),
    one('relu', 2 * n * f, (x) => ({ call: () => [tf.relu(x)] })),
    one('dropout_0.1', 2 * n * f, (x) => ({ call: () => [dropout(x, 0.1, 12345)] })),
    one('layer_norm', 2 * n * f, (x) => {
      const g = tf.ones([d]), b = tf.zeros([d]);
      return { call: () => [layerNorm(x, g, b)], made: [g, b] };
    }),
    one('layer_norm_grad', 3 * n * f, (x, dy) => {
      const g = tf.ones([d]), b = tf.zeros([d]);
      const [y, mean, inv] = tf.engine().runKernel(LAYER_NORM, { x, gamma: g, beta: b }, { eps: 1e-5 }) as tf.Tensor[];
      y.dispose();
      return { call: () => tf.engine().runKernel(LAYER_NORM_GRAD, { dy, x, mean, inv, gamma: g }) as tf.Tensor[], made: [g, b, mean, inv] };
    }),
    // [rows, d] -> [d, rows]: the input's contiguous axis becomes the output's strided one.
    one(`transpose_${rows}x${d}`, 2 * n * f, (x) => ({ call: () => [tf.transpose(x.reshape([rows, d]))] })),
    one('sum_last_axis', n * f, (x) => ({ call: () => [tf.sum(x, -1)] })),
  ];
}

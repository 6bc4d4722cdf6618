/**
 * Training-mode batch normalisation as one kernel with one gradient kernel.
 *
 * tfjs composes batch norm from moments + FusedBatchNorm and differentiates it op by op:
 * about 25 broadcasting elementwise kernels per layer per step. Here the forward is one
 * pass for the statistics and one to normalise, and the backward is two passes, the way
 * cuDNN and oneDNN do it. Channels are the last axis (NHWC, or [rows, C]).
 *
 *   mean_c = Σ x / M,  var_c = Σ (x - mean)^2 / M (biased, as PyTorch uses to normalise)
 *   y = (x - mean) * rsqrt(var + eps) * gamma + beta
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ·rsqrt(var+eps)/M · (M·dy − dβ − x̂·dγ)
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { loadAddon } from '../backend/addon.js';
import { outputF32, valuesOf as vals } from '../backend/kernel_util.js';

export const BATCH_NORM_TRAIN = 'MimoBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'MimoBatchNormTrainGrad';

export interface BatchNormTrainResult {
  /** Normalised, scaled and shifted x, same shape. */
  y: tf.Tensor;
  /** Per-channel batch mean [C]. */
  mean: tf.Tensor1D;
  /** Per-channel biased batch variance [C]. */
  variance: tf.Tensor1D;
}

type Vals = Float32Array;


/** Reference implementation in JS (the cpu backend's kernel); float64 accumulation. */
export function bnForwardJs(x: Vals, gamma: Vals, beta: Vals, y: Vals, mean: Vals, variance: Vals, rows: number, c: number, eps: number): void {
  const s = new Float64Array(c), s2 = new Float64Array(c);
  for (let r = 0, o = 0; r < rows; r++, o += c) for (let j = 0; j < c; j++) s[j] += x[o + j];
  for (let j = 0; j < c; j++) mean[j] = s[j] / rows;
  for (let r = 0, o = 0; r < rows; r++, o += c) for (let j = 0; j < c; j++) { const d = x[o + j] - mean[j]; s2[j] += d * d; }
  const scale = new Float32Array(c), shift = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    variance[j] = s2[j] / rows;
    scale[j] = gamma[j] / Math.sqrt(variance[j] + eps);
    shift[j] = beta[j] - mean[j] * scale[j];
  }
  for (let r = 0, o = 0; r < rows; r++, o += c) for (let j = 0; j < c; j++) y[o + j] = x[o + j] * scale[j] + shift[j];
}

/** Gradient in JS: dx, dgamma, dbeta from dy, x and the saved statistics. */
export function bnBackwardJs(dy: Vals, x: Vals, gamma: Vals, mean: Vals, variance: Vals, dx: Vals, dgamma: Vals, dbeta: Vals,
  rows: number, c: number, eps: number): void {
  const sdy = new Float64Array(c), sdyx = new Float64Array(c), inv = new Float64Array(c);
  for (let j = 0; j < c; j++) inv[j] = 1 / Math.sqrt(variance[j] + eps);
  for (let r = 0, o = 0; r < rows; r++, o += c) {
    for (let j = 0; j < c; j++) { const g = dy[o + j]; sdy[j] += g; sdyx[j] += g * (x[o + j] - mean[j]); }
  }
  const a = new Float32Array(c), b = new Float32Array(c), k = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    dbeta[j] = sdy[j];
    dgamma[j] = sdyx[j] * inv[j];
    // dx = g·inv·dy − g·inv/M·dβ − g·inv³/M·(x−mean)·Σdy(x−mean)
    a[j] = gamma[j] * inv[j];
    k[j] = (gamma[j] * inv[j] * inv[j] * inv[j] * sdyx[j]) / rows;
    b[j] = (gamma[j] * inv[j] * sdy[j]) / rows - k[j] * mean[j];
  }
  for (let r = 0, o = 0; r < rows; r++, o += c) for (let j = 0; j < c; j++) dx[o + j] = a[j] * dy[o + j] - b[j] - k[j] * x[o + j];
}

function forwardKernel(native: boolean): tf.KernelFunc {
  const addon = native ? loadAddon().addon : null;
  return ({ inputs, backend, attrs }) => {
    const be = backend as MathBackendCPU;
    const { x, gamma, beta } = inputs as Record<'x' | 'gamma' | 'beta', tf.TensorInfo>;
    const eps = (attrs as { eps: number }).eps;
    const c = x.shape[x.shape.length - 1], rows = tf.util.sizeFromShape(x.shape) / c;
    const y = outputF32(addon !== null, rows * c), mean = new Float32Array(c), variance = new Float32Array(c);
    if (addon) addon.batchNormForward(vals(be, x), vals(be, gamma), vals(be, beta), y, mean, variance, rows, c, eps);
    else bnForwardJs(vals(be, x), vals(be, gamma), vals(be, beta), y, mean, variance, rows, c, eps);
    return [be.makeTensorInfo(x.shape, 'float32', y), be.makeTensorInfo([c], 'float32', mean), be.makeTensorInfo([c], 'float32', variance)];
  };
}

function backwardKernel(native: boolean): tf.KernelFunc {
  const addon = native ? loadAddon().addon : null;
  return ({ inputs, backend, attrs }) => {
    const be = backend as MathBackendCPU;
    const { dy, x, gamma, mean, variance } = inputs as Record<'dy' | 'x' | 'gamma' | 'mean' | 'variance', tf.TensorInfo>;
    const eps = (attrs as { eps: number }).eps;
    const c = x.shape[x.shape.length - 1], rows = tf.util.sizeFromShape(x.shape) / c;
    const dx = outputF32(addon !== null, rows * c), dgamma = new Float32Array(c), dbeta = new Float32Array(c);
    const f = addon?.batchNormBackward ?? bnBackwardJs;
    f(vals(be, dy), vals(be, x), vals(be, gamma), vals(be, mean), vals(be, variance), dx, dgamma, dbeta, rows, c, eps);
    return [be.makeTensorInfo(x.shape, 'float32', dx), be.makeTensorInfo([c], 'float32', dgamma), be.makeTensorInfo([c], 'float32', dbeta)];
  };
}

let registered = false;
/** Registers the kernels for cpu and native (C++ when the addon has them) and the gradient. */
export function registerBatchNormKernels(): void {
  if (registered) return;
  registered = true;
  for (const backendName of ['cpu', 'native']) {
    const native = backendName === 'native';
    tf.registerKernel({ kernelName: BATCH_NORM_TRAIN, backendName, kernelFunc: forwardKernel(native) });
    tf.registerKernel({ kernelName: BATCH_NORM_TRAIN_GRAD, backendName, kernelFunc: backwardKernel(native) });
  }
  tf.registerGradient({
    kernelName: BATCH_NORM_TRAIN,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
      const [x, gamma, mean, variance] = saved;
      // One kernel gives all three gradients; run it once, hand out the parts.
      const [dx, dgamma, dbeta] = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy, x, gamma, mean, variance }, attrs) as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
}

/**
 * Batch norm with batch statistics over every axis but the last.
 *
 * @example
 * const { y, mean, variance } = batchNormTrain(x, gamma, beta); // x [B,H,W,C]; gamma, beta [C]
 */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): BatchNormTrainResult {
  registerBatchNormKernels();
  const c = x.shape[x.shape.length - 1];
  if (gamma.shape[0] !== c || beta.shape[0] !== c || gamma.rank !== 1 || beta.rank !== 1) {
    throw new Error(`batchNormTrain: x has ${c} channels (last axis of [${x.shape}]) but gamma is [${gamma.shape}] and beta [${beta.shape}]; both must be [${c}]`);
  }
  if (x.dtype !== 'float32') throw new Error(`batchNormTrain: x must be float32, got ${x.dtype}`);
  if (x.size === 0 || x.size === c) throw new Error(`batchNormTrain: need more than one value per channel to normalise, got x [${x.shape}]`);
  const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, gamma, beta }, { eps }) as tf.Tensor[];
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

/**
 * Layer normalisation over the last axis as one kernel with one gradient kernel.
 *
 * Composed from tfjs ops it is ~9 kernels forward and ~20 backward per call, and at the
 * small widths of the LRA models (d = 64) the per-op overhead, not the arithmetic, sets a
 * MIMOFormer training step's time. Here each row is one pass forward and one backward:
 * in the addon (OpenMP over rows) on the native backend, in JS on cpu.
 *
 *   μ = mean(x), σ² = mean((x − μ)²) (biased), x̂ = (x − μ)/√(σ² + ε), y = γ x̂ + β
 *   dβ = Σ_rows dy,  dγ = Σ_rows dy·x̂,  dx = (1/√(σ²+ε))·(g − mean(g) − x̂·mean(g·x̂)), g = γ·dy
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../backend/addon.js';
import { outputF32, registerOnBothBackends, uninitF32, valuesOf as vals } from '../backend/kernel_util.js';

export const LAYER_NORM = 'MimoLayerNorm';
export const LAYER_NORM_GRAD = 'MimoLayerNormGrad';

function forwardKernel(addon: NativeAddon | null): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const be = backend as MathBackendCPU;
    const { x, gamma, beta } = inputs as Record<'x' | 'gamma' | 'beta', tf.TensorInfo>;
    const eps = (attrs as unknown as { eps: number }).eps;
    const d = x.shape[x.shape.length - 1], rows = tf.util.sizeFromShape(x.shape) / d;
    const xv = vals(be, x), g = vals(be, gamma), b = vals(be, beta);
    // Only y is full-size: the gradient recomputes x̂ from x, the row means and 1/σ.
    const y = outputF32(addon !== null, rows * d), mean = new Float32Array(rows), inv = new Float32Array(rows);
    if (addon) addon.layerNorm(xv, g, b, y, mean, inv, rows, d, eps);
    else for (let r = 0, o = 0; r < rows; r++, o += d) {
      let s = 0;
      for (let j = 0; j < d; j++) s += xv[o + j];
      const mu = s / d;
      let s2 = 0;
      for (let j = 0; j < d; j++) { const c = xv[o + j] - mu; s2 += c * c; }
      const iv = 1 / Math.sqrt(s2 / d + eps);
      mean[r] = mu;
      inv[r] = iv;
      for (let j = 0; j < d; j++) y[o + j] = (xv[o + j] - mu) * iv * g[j] + b[j];
    }
    return [be.makeTensorInfo(x.shape, 'float32', y), be.makeTensorInfo([rows], 'float32', mean), be.makeTensorInfo([rows], 'float32', inv)];
  };
}

function backwardKernel(addon: NativeAddon | null): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const be = backend as MathBackendCPU;
    const { dy, x, mean, inv, gamma } = inputs as Record<'dy' | 'x' | 'mean' | 'inv' | 'gamma', tf.TensorInfo>;
    const d = x.shape[x.shape.length - 1], rows = tf.util.sizeFromShape(x.shape) / d;
    const gy = vals(be, dy), xv = vals(be, x), mu = vals(be, mean), iv = vals(be, inv), g = vals(be, gamma);
    if (addon) {
      const dx = uninitF32(rows * d), dgamma = new Float32Array(d), dbeta = new Float32Array(d);
      addon.layerNormGrad(gy, xv, mu, iv, g, dx, dgamma, dbeta, rows, d);
      return [be.makeTensorInfo(x.shape, 'float32', dx), be.makeTensorInfo([d], 'float32', dgamma), be.makeTensorInfo([d], 'float32', dbeta)];
    }
    const dx = new Float32Array(rows * d), dgamma = new Float64Array(d), dbeta = new Float64Array(d);
    const xh = new Float64Array(d);
    for (let r = 0, o = 0; r < rows; r++, o += d) {
      let sg = 0, sgx = 0;
      for (let j = 0; j < d; j++) {
        const h = (xh[j] = (xv[o + j] - mu[r]) * iv[r]);
        const gj = g[j] * gy[o + j];
        sg += gj;
        sgx += gj * h;
        dgamma[j] += gy[o + j] * h;
        dbeta[j] += gy[o + j];
      }
      const mg = sg / d, mgx = sgx / d;
      for (let j = 0; j < d; j++) dx[o + j] = iv[r] * (g[j] * gy[o + j] - mg - xh[j] * mgx);
    }
    return [be.makeTensorInfo(x.shape, 'float32', dx), be.makeTensorInfo([d], 'float32', Float32Array.from(dgamma)),
      be.makeTensorInfo([d], 'float32', Float32Array.from(dbeta))];
  };
}

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  registerOnBothBackends((addon) => ({ [LAYER_NORM]: forwardKernel(addon), [LAYER_NORM_GRAD]: backwardKernel(addon) }));
  tf.registerGradient({
    kernelName: LAYER_NORM,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved) => {
      const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
      const [x, gamma, mean, inv] = saved;
      const [dx, dgamma, dbeta] = tf.engine().runKernel(LAYER_NORM_GRAD, { dy, x, mean, inv, gamma }) as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
}

/**
 * Layer norm over the last axis of x with gain γ and shift β ([d] each).
 *
 * @example
 * const y = layerNorm(x, gamma, beta); // x [B, L, d]
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  register();
  const d = x.shape[x.shape.length - 1];
  if (gamma.shape.join() !== String(d) || beta.shape.join() !== String(d)) {
    throw new Error(`layerNorm: x has ${d} features (last axis of [${x.shape}]) but gamma is [${gamma.shape}] and beta [${beta.shape}]; both must be [${d}]`);
  }
  if (x.dtype !== 'float32') throw new Error(`layerNorm: x must be float32, got ${x.dtype}`);
  const [y, mean, inv] = tf.engine().runKernel(LAYER_NORM, { x, gamma, beta }, { eps }) as tf.Tensor[];
  // Only y leaves; the row means and 1/σ stay alive through the gradient tape when one is recording.
  mean.dispose();
  inv.dispose();
  return y;
}

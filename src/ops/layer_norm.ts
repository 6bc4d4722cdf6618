/**
 * Layer normalisation over the last axis as one kernel with one gradient kernel.
 *
 * Composed from tfjs ops it is ~9 kernels forward and ~20 backward per call, and at the
 * small widths of the LRA models (d = 64) the per-op overhead, not the arithmetic, sets a
 * MIMOFormer training step's time. Here each row is one pass forward and one backward.
 *
 *   μ = mean(x), σ² = mean((x − μ)²) (biased), x̂ = (x − μ)/√(σ² + ε), y = γ x̂ + β
 *   dβ = Σ_rows dy,  dγ = Σ_rows dy·x̂,  dx = (1/√(σ²+ε))·(g − mean(g) − x̂·mean(g·x̂)), g = γ·dy
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { valuesOf as vals } from '../backend/kernel_util.js';

export const LAYER_NORM = 'MimoLayerNorm';
export const LAYER_NORM_GRAD = 'MimoLayerNormGrad';

function forwardKernel(): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const be = backend as MathBackendCPU;
    const { x, gamma, beta } = inputs as Record<'x' | 'gamma' | 'beta', tf.TensorInfo>;
    const eps = (attrs as unknown as { eps: number }).eps;
    const d = x.shape[x.shape.length - 1], rows = tf.util.sizeFromShape(x.shape) / d;
    const xv = vals(be, x), g = vals(be, gamma), b = vals(be, beta);
    // x̂ is kept for the gradient (y = γ x̂ + β gives x̂ back only where γ ≠ 0).
    const y = new Float32Array(rows * d), xhat = new Float32Array(rows * d), inv = new Float32Array(rows);
    for (let r = 0, o = 0; r < rows; r++, o += d) {
      let s = 0;
      for (let j = 0; j < d; j++) s += xv[o + j];
      const mu = s / d;
      let s2 = 0;
      for (let j = 0; j < d; j++) { const c = xv[o + j] - mu; s2 += c * c; }
      const iv = 1 / Math.sqrt(s2 / d + eps);
      inv[r] = iv;
      for (let j = 0; j < d; j++) {
        const h = (xv[o + j] - mu) * iv;
        xhat[o + j] = h;
        y[o + j] = h * g[j] + b[j];
      }
    }
    return [be.makeTensorInfo(x.shape, 'float32', y), be.makeTensorInfo(x.shape, 'float32', xhat), be.makeTensorInfo([rows], 'float32', inv)];
  };
}

function backwardKernel(): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const be = backend as MathBackendCPU;
    const { dy, xhat, inv, gamma } = inputs as Record<'dy' | 'xhat' | 'inv' | 'gamma', tf.TensorInfo>;
    const d = xhat.shape[xhat.shape.length - 1], rows = tf.util.sizeFromShape(xhat.shape) / d;
    const gy = vals(be, dy), xh = vals(be, xhat), iv = vals(be, inv), g = vals(be, gamma);
    const dx = new Float32Array(rows * d), dgamma = new Float64Array(d), dbeta = new Float64Array(d);
    for (let r = 0, o = 0; r < rows; r++, o += d) {
      let sg = 0, sgx = 0;
      for (let j = 0; j < d; j++) {
        const gj = g[j] * gy[o + j];
        sg += gj;
        sgx += gj * xh[o + j];
        dgamma[j] += gy[o + j] * xh[o + j];
        dbeta[j] += gy[o + j];
      }
      const mg = sg / d, mgx = sgx / d;
      for (let j = 0; j < d; j++) dx[o + j] = iv[r] * (g[j] * gy[o + j] - mg - xh[o + j] * mgx);
    }
    return [be.makeTensorInfo(xhat.shape, 'float32', dx), be.makeTensorInfo([d], 'float32', Float32Array.from(dgamma)),
      be.makeTensorInfo([d], 'float32', Float32Array.from(dbeta))];
  };
}

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  for (const backendName of ['cpu', 'native']) {
    tf.registerKernel({ kernelName: LAYER_NORM, backendName, kernelFunc: forwardKernel() });
    tf.registerKernel({ kernelName: LAYER_NORM_GRAD, backendName, kernelFunc: backwardKernel() });
  }
  tf.registerGradient({
    kernelName: LAYER_NORM,
    inputsToSave: ['gamma'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved) => {
      const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
      const [gamma, xhat, inv] = saved;
      const [dx, dgamma, dbeta] = tf.engine().runKernel(LAYER_NORM_GRAD, { dy, xhat, inv, gamma }) as tf.Tensor[];
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
  const [y, xhat, inv] = tf.engine().runKernel(LAYER_NORM, { x, gamma, beta }, { eps }) as tf.Tensor[];
  // Only y leaves; x̂ and 1/σ stay alive through the gradient tape when one is recording.
  xhat.dispose();
  inv.dispose();
  return y;
}

/**
 * Seeded inverted dropout as one kernel, with a counter-based mask: y = x · m / keep,
 * m_i = [hash(i, seed) < keep].
 *
 * tf.dropout draws its mask with tf.randomUniform, which generates every number in JS
 * (seedrandom), outside any kernel: in a MIMOFormer training step at L = 1024 that was ~40 %
 * of the step. Here the mask is a hash of (element index, seed): no state, any element in any
 * order, the same bits in C++ (OpenMP) and in the JS loop below. The gradient is the same
 * kernel on dy with the same seed (dx = dy · m / keep), so no mask is stored.
 *
 *   key = h(lo ^ h(hi + φ)),  m_i = (h(h(i ^ key) + key) >>> 8) < round(keep · 2^24)
 *   h = lowbias32 (Wellons): x ^= x>>16; x *= 0x7feb352d; x ^= x>>15; x *= 0x846ca68b; x ^= x>>16
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../backend/addon.js';
import { outputF32, registerOnBothBackends, valuesOf as vals } from '../backend/kernel_util.js';

export const DROPOUT = 'MimoDropout';

interface DropoutAttrs {
  /** Elements kept when the top 24 bits of their hash are below this. */
  threshold: number;
  /** 1 / keep. */
  scale: number;
  /** 32-bit key from the seed. */
  key: number;
}

/** lowbias32 (Chris Wellons' hash-prospector): a 32-bit integer hash. */
export function hash32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** The kernel's 32-bit key for a seed (any safe integer, negative ones too). */
export function dropoutKey(seed: number): number {
  const lo = seed >>> 0, hi = Math.floor(seed / 2 ** 32) >>> 0;
  return hash32((lo ^ hash32((hi + 0x9e3779b9) >>> 0)) >>> 0);
}

/** Whether element i is kept (the mask the kernels apply). */
export function kept(i: number, key: number, threshold: number): boolean {
  return hash32((hash32((i ^ key) >>> 0) + key) >>> 0) >>> 8 < threshold;
}

function kernel(addon: NativeAddon | null): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const be = backend as MathBackendCPU;
    const { x } = inputs as Record<'x', tf.TensorInfo>;
    const { threshold, scale, key } = attrs as unknown as DropoutAttrs;
    const xv = vals(be, x), n = xv.length;
    const y = outputF32(addon !== null, n);
    if (addon) addon.dropout(xv, y, threshold, scale, key);
    else for (let i = 0; i < n; i++) y[i] = kept(i, key, threshold) ? xv[i] * scale : 0;
    return be.makeTensorInfo(x.shape, 'float32', y);
  };
}

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  registerOnBothBackends((addon) => ({ [DROPOUT]: kernel(addon) }));
  tf.registerGradient({
    kernelName: DROPOUT,
    gradFunc: (dy, _saved, attrs) => ({
      x: () => tf.engine().runKernel(DROPOUT, { x: dy as tf.Tensor }, attrs) as tf.Tensor,
    }),
  });
}

/**
 * Inverted dropout of x (float32) at `rate` with a deterministic mask for `seed` (a random
 * seed when none is given). Same mask on every backend.
 *
 * @example
 * const h = dropout(x, 0.1, step * 16 + layer);
 */
export function dropout(x: tf.Tensor, rate: number, seed?: number): tf.Tensor {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${rate}`);
  if (x.dtype !== 'float32') throw new Error(`dropout: x must be float32, got ${x.dtype}`);
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new Error(`dropout: seed must be a whole number, got ${seed}`);
  if (rate === 0) return x.clone();
  register();
  const keep = 1 - rate;
  const attrs: DropoutAttrs = {
    threshold: Math.round(keep * 2 ** 24),
    scale: 1 / keep,
    key: dropoutKey(seed ?? Math.floor(Math.random() * 2 ** 32)),
  };
  return tf.engine().runKernel(DROPOUT, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

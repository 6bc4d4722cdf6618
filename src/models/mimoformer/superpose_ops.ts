/**
 * The bind-and-bundle and unbind steps of MIMOFormer attention as single kernels (with
 * their gradients), each one pass over the per-sequence tensors.
 *
 * Written as tfjs ops these steps are several passes each (heads transpose, scale, mask,
 * multiply by the keys, sum over the grid; divide, multiply by the keys, transpose back),
 * all on tensors of the full per-sequence size, while the attention itself shrinks with
 * the grid: the passes, not the FLOPs, then set the speed. Here one kernel reads the
 * projection output in its natural [B, L, H, Dh] layout and writes the bundles in the
 * layout the batched products want, and one writes the unbound output straight back in
 * [B, L, H, Dh]. The native backend runs them in the addon (OpenMP), the cpu backend in
 * the JS loops below (also the tests' reference for the C++).
 *
 * Sequence b = (g·M + m)·N + n sits in grid cell (m, n) of group g (SPEC §3.3).
 *
 *   bundle, columns (K = N):  out[g, h, n, l, :] = scale · Σ_m β_mn ⊙ x[b, l, h, :] · mask[b, l]
 *   bundle, rows    (K = M):  out[g, h, m, l, :] = scale · Σ_n β_mn ⊙ x[b, l, h, :] · mask[b, l]
 *   unbind:                   out[b, l, h, :] = β_mn ⊙ num[g, h, n, l, :] / den[g, h, n, l, m]
 *   arrange:                  out[k, g·L + l, :] = [c_0 x[b_0, l, :], c_0, …, c_{J−1} x[b_{J−1}, l, :], c_{J−1}]
 *                             (the J sequences of bundle k side by side, c_j = mask[b_j, l] or 1),
 *                             so that one product with stacked bound weights binds and bundles
 *                             a projection (see mimo_attention.ts, bundledProjections).
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { outputF32, registerOnBothBackends, valuesOf as vals } from '../../backend/kernel_util.js';
import type { NativeAddon } from '../../backend/addon.js';

export const BUNDLE = 'MimoSuperposeBundle';
export const BUNDLE_GRAD = 'MimoSuperposeBundleGrad';
export const UNBIND = 'MimoSuperposeUnbind';
export const UNBIND_GRAD = 'MimoSuperposeUnbindGrad';
export const ARRANGE = 'MimoArrangeGrid';
export const ARRANGE_GRAD = 'MimoArrangeGridGrad';

interface BundleAttrs {
  m: number;
  n: number;
  /** true: sum each row (over n), K = M; false: sum each column (over m), K = N. */
  rows: boolean;
  scale: number;
  /** Whether a mask input is given. */
  masked: boolean;
}

/** Calls f(o, xo, bo, coef) for every output row o of the bundle, its input row xo, key row bo. */
function walkBundle(shape: number[], a: BundleAttrs, mask: Float32Array | null, f: (o: number, xo: number, bo: number, coef: number) => void): void {
  const [b, l, h, d] = shape;
  const { m: M, n: N, rows } = a;
  const G = b / (M * N), K = rows ? M : N, J = rows ? N : M;
  for (let g = 0; g < G; g++) {
    for (let hh = 0; hh < h; hh++) {
      for (let k = 0; k < K; k++) {
        for (let ll = 0; ll < l; ll++) {
          const o = (((g * h + hh) * K + k) * l + ll) * d; // [G, H, K, L, D]
          for (let j = 0; j < J; j++) {
            const mi = rows ? k : j, ni = rows ? j : k;
            const bi = (g * M + mi) * N + ni;
            const coef = a.scale * (mask ? mask[bi * l + ll] : 1);
            if (coef !== 0) f(o, ((bi * l + ll) * h + hh) * d, (mi * N + ni) * d, coef);
          }
        }
      }
    }
  }
}

// Output storage (outputF32): the addon writes every value (no zeroing needed); the JS loops accumulate into zeros.

const dims = (xShape: number[], a: { m: number; n: number; rows?: boolean }) => Int32Array.from([...xShape, a.m, a.n, a.rows ? 1 : 0]);

function bundleKernel(addon: NativeAddon | null): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const be = backend as MathBackendCPU;
    const a = attrs as unknown as BundleAttrs;
    const { x, beta, mask } = inputs as Record<string, tf.TensorInfo>;
    const [b, l, h, d] = x.shape;
    const K = a.rows ? a.m : a.n;
    const xv = vals(be, x), bv = vals(be, beta), mv = a.masked ? vals(be, mask) : null;
    const out = outputF32(addon !== null, (b / (a.m * a.n)) * h * K * l * d);
    if (addon) addon.superposeBundle(xv, bv, mv, out, dims(x.shape, a), a.scale);
    else walkBundle(x.shape, a, mv, (o, xo, bo, coef) => {
      for (let i = 0; i < d; i++) out[o + i] += coef * bv[bo + i] * xv[xo + i];
    });
    return be.makeTensorInfo([b / (a.m * a.n), h, K, l, d], 'float32', out);
  };
}

function bundleGradKernel(addon: NativeAddon | null): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const be = backend as MathBackendCPU;
    const a = attrs as unknown as BundleAttrs & { xShape: number[] };
    const { dy, beta, mask } = inputs as Record<string, tf.TensorInfo>;
    const d = a.xShape[3];
    const gv = vals(be, dy), bv = vals(be, beta), mv = a.masked ? vals(be, mask) : null;
    const dx = outputF32(addon !== null, tf.util.sizeFromShape(a.xShape));
    if (addon) addon.superposeBundleGrad(gv, bv, mv, dx, dims(a.xShape, a), a.scale);
    else walkBundle(a.xShape, a, mv, (o, xo, bo, coef) => {
      for (let i = 0; i < d; i++) dx[xo + i] = coef * bv[bo + i] * gv[o + i];
    });
    return be.makeTensorInfo(a.xShape, 'float32', dx);
  };
}

/** Calls f(o, no, bo, de) for every output row o = out[b, l, h, :], its num row, key row and den index. */
function walkUnbind(numShape: number[], m: number, f: (o: number, no: number, bo: number, de: number) => void): void {
  const [G, h, N, l, d] = numShape;
  for (let g = 0; g < G; g++) {
    for (let mi = 0; mi < m; mi++) {
      for (let ni = 0; ni < N; ni++) {
        const bi = (g * m + mi) * N + ni;
        for (let ll = 0; ll < l; ll++) {
          for (let hh = 0; hh < h; hh++) {
            const r = ((g * h + hh) * N + ni) * l + ll; // row of num [G, H, N, L, D] and den [G, H, N, L, M]
            f(((bi * l + ll) * h + hh) * d, r * d, (mi * N + ni) * d, r * m + mi);
          }
        }
      }
    }
  }
}

function unbindKernel(addon: NativeAddon | null): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const be = backend as MathBackendCPU;
    const m = (attrs as unknown as { m: number }).m;
    const { num, den, beta } = inputs as Record<string, tf.TensorInfo>;
    const [G, h, N, l, d] = num.shape;
    const nv = vals(be, num), dv = vals(be, den), bv = vals(be, beta);
    const out = outputF32(addon !== null, G * m * N * l * h * d);
    if (addon) addon.superposeUnbind(nv, dv, bv, out, dims([G * m * N, l, h, d], { m, n: N }));
    else walkUnbind(num.shape, m, (o, no, bo, de) => {
      const inv = 1 / dv[de];
      for (let i = 0; i < d; i++) out[o + i] = bv[bo + i] * nv[no + i] * inv;
    });
    return be.makeTensorInfo([G * m * N, l, h, d], 'float32', out);
  };
}

function unbindGradKernel(addon: NativeAddon | null): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const be = backend as MathBackendCPU;
    const m = (attrs as unknown as { m: number }).m;
    const { dy, num, den, beta } = inputs as Record<string, tf.TensorInfo>;
    const [G, h, N, l, d] = num.shape;
    const gv = vals(be, dy), nv = vals(be, num), dv = vals(be, den), bv = vals(be, beta);
    const dnum = outputF32(addon !== null, nv.length), dden = outputF32(addon !== null, dv.length);
    if (addon) addon.superposeUnbindGrad(gv, nv, dv, bv, dnum, dden, dims([G * m * N, l, h, d], { m, n: N }));
    else walkUnbind(num.shape, m, (o, no, bo, de) => {
      const inv = 1 / dv[de];
      let s = 0;
      for (let i = 0; i < d; i++) {
        const t = bv[bo + i] * gv[o + i];
        dnum[no + i] += t * inv;
        s += t * nv[no + i];
      }
      dden[de] = -s * inv * inv;
    });
    return [be.makeTensorInfo(num.shape, 'float32', dnum), be.makeTensorInfo(den.shape, 'float32', dden)];
  };
}

interface ArrangeAttrs {
  m: number;
  n: number;
  rows: boolean;
  masked: boolean;
}

/** Calls f(o, xo, c) for the start o of slot j of every bundle row, x's row xo and the mask value c. */
function walkArrange(xShape: number[], a: ArrangeAttrs, mask: Float32Array | null, f: (o: number, xo: number, c: number) => void): void {
  const [B, L, D] = xShape;
  const { m: M, n: N, rows } = a;
  const G = B / (M * N), K = rows ? M : N, J = rows ? N : M, W = J * (D + 1);
  for (let k = 0, r = 0; k < K; k++) {
    for (let g = 0; g < G; g++) {
      for (let l = 0; l < L; l++, r++) {
        for (let j = 0; j < J; j++) {
          const b = (g * M + (rows ? k : j)) * N + (rows ? j : k);
          f(r * W + j * (D + 1), (b * L + l) * D, mask ? mask[b * L + l] : 1);
        }
      }
    }
  }
}

function arrangeKernel(addon: NativeAddon | null): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const be = backend as MathBackendCPU;
    const a = attrs as unknown as ArrangeAttrs;
    const { x, mask } = inputs as Record<string, tf.TensorInfo>;
    const [B, L, D] = x.shape;
    const K = a.rows ? a.m : a.n, J = a.rows ? a.n : a.m, G = B / (a.m * a.n), W = J * (D + 1);
    const xv = vals(be, x), mv = a.masked ? vals(be, mask) : null;
    const out = outputF32(addon !== null, K * G * L * W);
    if (addon) addon.arrangeGrid(xv, mv, out, dims(x.shape, a));
    else walkArrange(x.shape, a, mv, (o, xo, c) => {
      for (let i = 0; i < D; i++) out[o + i] = c * xv[xo + i];
      out[o + D] = c;
    });
    return be.makeTensorInfo([K, G * L, W], 'float32', out);
  };
}

function arrangeGradKernel(addon: NativeAddon | null): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const be = backend as MathBackendCPU;
    const a = attrs as unknown as ArrangeAttrs & { xShape: number[] };
    const { dy, mask } = inputs as Record<string, tf.TensorInfo>;
    const D = a.xShape[2];
    const gv = vals(be, dy), mv = a.masked ? vals(be, mask) : null;
    const dx = outputF32(addon !== null, tf.util.sizeFromShape(a.xShape));
    if (addon) addon.arrangeGridGrad(gv, mv, dx, dims(a.xShape, a));
    else walkArrange(a.xShape, a, mv, (o, xo, c) => {
      for (let i = 0; i < D; i++) dx[xo + i] = c * gv[o + i];
    });
    return be.makeTensorInfo(a.xShape, 'float32', dx);
  };
}

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  registerOnBothBackends((addon) => ({
    [BUNDLE]: bundleKernel(addon), [BUNDLE_GRAD]: bundleGradKernel(addon), [UNBIND]: unbindKernel(addon), [UNBIND_GRAD]: unbindGradKernel(addon),
  }));
  registerOnBothBackends((addon) => ({ [ARRANGE]: arrangeKernel(addon), [ARRANGE_GRAD]: arrangeGradKernel(addon) }));
  tf.registerGradient({
    kernelName: ARRANGE,
    inputsToSave: ['x', 'mask'],
    gradFunc: (dy, saved, attrs) => {
      const [x, mask] = saved;
      return {
        x: () => tf.engine().runKernel(ARRANGE_GRAD, { dy: dy as tf.Tensor, mask }, { ...attrs, xShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        mask: () => tf.zerosLike(mask),
      };
    },
  });
  tf.registerGradient({
    kernelName: BUNDLE,
    inputsToSave: ['x', 'beta', 'mask'],
    gradFunc: (dy, saved, attrs) => {
      const [x, beta, mask] = saved;
      // The keys and the mask are constants: only x gets a gradient that is not zero.
      return {
        x: () => tf.engine().runKernel(BUNDLE_GRAD, { dy: dy as tf.Tensor, beta, mask }, { ...attrs, xShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        beta: () => tf.zerosLike(beta),
        mask: () => tf.zerosLike(mask),
      };
    },
  });
  tf.registerGradient({
    kernelName: UNBIND,
    inputsToSave: ['num', 'den', 'beta'],
    gradFunc: (dy, saved, attrs) => {
      const [num, den, beta] = saved;
      const [dnum, dden] = tf.engine().runKernel(UNBIND_GRAD, { dy: dy as tf.Tensor, num, den, beta }, attrs) as tf.Tensor[];
      return { num: () => dnum, den: () => dden, beta: () => tf.zerosLike(beta) };
    },
  });
}

/**
 * Binds each sequence of x ([B, L, H, Dh], B = G·M·N) with its cell's key from β ([M, N, Dh])
 * and sums each grid row (rows = true: [G, H, M, L, Dh]) or column ([G, H, N, L, Dh]),
 * times `scale` and, when given, the mask ([B, L]).
 */
export function bundleGrid(x: tf.Tensor4D, beta: tf.Tensor3D, mask: tf.Tensor2D | null, rows: boolean, scale: number): tf.Tensor5D {
  register();
  const [m, n, d] = beta.shape;
  if (x.shape[0] % (m * n) !== 0 || x.shape[3] !== d) throw new Error(`bundleGrid: x [${x.shape}] does not fit keys [${beta.shape}] (batch a multiple of ${m * n}, last axis ${d})`);
  if (mask && (mask.shape[0] !== x.shape[0] || mask.shape[1] !== x.shape[1])) throw new Error(`bundleGrid: mask [${mask.shape}] does not match x [${x.shape}]`);
  const attrs = { m, n, rows, scale, masked: mask !== null };
  const inputs = { x, beta, mask: mask ?? tf.zeros([1, 1]) }; // a placeholder when unmasked
  return tf.engine().runKernel(BUNDLE, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor5D;
}

/**
 * out[b, l, h, :] = β_mn ⊙ num[g, h, n, l, :] / den[g, h, n, l, m] for b = (g·M + m)·N + n:
 * num [G, H, N, L, Dh], den [G, H, N, L, M], β [M, N, Dh] -> [G·M·N, L, H, Dh].
 */
export function unbindGrid(num: tf.Tensor5D, den: tf.Tensor5D, beta: tf.Tensor3D): tf.Tensor4D {
  register();
  const [m, n, d] = beta.shape;
  const [g, h, nn, l, dd] = num.shape;
  if (nn !== n || dd !== d || den.shape.join(',') !== [g, h, n, l, m].join(',')) {
    throw new Error(`unbindGrid: num [${num.shape}], den [${den.shape}] and keys [${beta.shape}] do not fit (want den [${[g, h, n, l, m]}])`);
  }
  return tf.engine().runKernel(UNBIND, { num, den, beta }, { m } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/**
 * The J sequences of each bundle side by side (see the header): x [B, L, D] with B = G·M·N,
 * mask [B, L] or null -> [K, G·L, J·(D + 1)], K = M and J = N for rows (rows = true), else
 * K = N and J = M. Each slot ends with its mask value (1 when unmasked), so the product
 * with stacked [W; b] blocks also sums the bound biases of the unmasked sequences.
 */
export function arrangeGrid(x: tf.Tensor3D, mask: tf.Tensor2D | null, m: number, n: number, rows: boolean): tf.Tensor3D {
  register();
  if (x.shape[0] % (m * n) !== 0) throw new Error(`arrangeGrid: batch ${x.shape[0]} is not a multiple of M·N = ${m * n}`);
  if (mask && (mask.shape[0] !== x.shape[0] || mask.shape[1] !== x.shape[1])) throw new Error(`arrangeGrid: mask [${mask.shape}] does not match x [${x.shape}]`);
  const inputs = { x, mask: mask ?? tf.zeros([1, 1]) }; // a placeholder when unmasked
  return tf.engine().runKernel(ARRANGE, inputs, { m, n, rows, masked: mask !== null } as unknown as tf.NamedAttrMap) as tf.Tensor3D;
}

/**
 * Loader for the C++ N-API addon (native/, built by node-gyp into
 * build/Release). Loading is lazy and never throws: a missing or broken addon is a
 * reason string, so the library can fall back to the pure-JS cpu backend.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package_root.js';

/** The functions the addon exports. All arrays are caller-owned and never copied. */
export interface NativeAddon {
  /**
   * y = act(conv(x, w) + bias); sig = [n,h,w,c, kh,kw,o, oh,ow, sh,sw, dh,dw, pt,pl,pb,pr].
   * act = PRELU_ACT takes the slopes (1 or o values) as preluSlopes.
   */
  conv2dForward(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array,
    sig: Int32Array, act: number, alpha: number, preluSlopes?: Float32Array): void;
  conv2dBackwardData(dy: Float32Array, w: Float32Array, dx: Float32Array, sig: Int32Array): void;
  conv2dBackwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, sig: Int32Array): void;
  /** c = act(a @ b + bias); sig = [batchA, batchB, batchOut, M, K, N, transA, transB]. */
  matmul(a: Float32Array, b: Float32Array, bias: Float32Array | null, c: Float32Array,
    sig: Int32Array, act: number, alpha: number): void;
  /** out = op(a, b) with NumPy broadcasting; op is a BINARY_OP code; shapes are the operands' dims. */
  binary(op: number, a: Float32Array, aShape: Int32Array, b: Float32Array, bShape: Int32Array, out: Float32Array): void;
  /** out = op(x) elementwise; op is a UNARY_OP code; alpha feeds Step and LeakyRelu. */
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  /** Reduces the middle dim of x viewed as [outer, reduce, inner] into out ([outer, inner]); op is a REDUCE_OP code. */
  reduce(op: number, x: Float32Array, outer: number, reduce: number, inner: number, out: Float32Array): void;
  /** out = x repeated reps[d] times along each dim d. */
  tile(x: Float32Array, xShape: Int32Array, reps: Int32Array, out: Float32Array): void;
  /** out = x with its dims permuted: out dim d is x dim perm[d]. */
  transpose(x: Float32Array, xShape: Int32Array, perm: Int32Array, out: Float32Array): void;
  /** tfjs FusedBatchNorm: each parameter holds 1 or L values, applied per position modulo L. */
  batchNorm(x: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array | null,
    offset: Float32Array | null, out: Float32Array, varianceEpsilon: number): void;
  /**
   * MIMOFormer bind-and-bundle (superpose_ops.ts); dims = [B, L, H, D, M, N, rows]. With
   * the Grad variant, in/out are the bundles' gradient and x's gradient.
   */
  superposeBundle(x: Float32Array, beta: Float32Array, mask: Float32Array | null, out: Float32Array, dims: Int32Array, scale: number): void;
  superposeBundleGrad(dy: Float32Array, beta: Float32Array, mask: Float32Array | null, dx: Float32Array, dims: Int32Array, scale: number): void;
  /** MIMOFormer bundle layout for a binding projection (superpose_ops.ts); dims = [B, L, D, M, N, rows]. */
  arrangeGrid(x: Float32Array, mask: Float32Array | null, out: Float32Array, dims: Int32Array): void;
  arrangeGridGrad(dy: Float32Array, mask: Float32Array | null, dx: Float32Array, dims: Int32Array): void;
  /** MIMOFormer unbinding (superpose_ops.ts) and its gradient. */
  superposeUnbind(num: Float32Array, den: Float32Array, beta: Float32Array, out: Float32Array, dims: Int32Array): void;
  superposeUnbindGrad(dy: Float32Array, num: Float32Array, den: Float32Array, beta: Float32Array, dnum: Float32Array, dden: Float32Array, dims: Int32Array): void;
  /** MIMOConv bind + bundle: out[g, p, :] = Σ_j x[g, j, p, :] · w[j] for x [G, n, P, C], w [n, C, C]. */
  bindBundle(x: Float32Array, w: Float32Array, out: Float32Array, g: number, n: number, p: number, c: number): void;
  /** Inverted dropout with a hashed mask (src/ops/dropout.ts): y[i] = x[i]·scale when kept. */
  dropout(x: Float32Array, y: Float32Array, threshold: number, scale: number, key: number): void;
  /** out[i, :] = x[ids[i], :] for rows of `row` floats. */
  gatherRows(x: Float32Array, ids: Int32Array, row: number, out: Float32Array): void;
  /** Layer norm over the rows of x [rows, d]: y, and each row's mean and 1/σ. */
  layerNorm(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, inv: Float32Array,
    rows: number, d: number, eps: number): void;
  /** Its gradient from x, mean and 1/σ: dx, dgamma, dbeta. */
  layerNormGrad(dy: Float32Array, x: Float32Array, mean: Float32Array, inv: Float32Array, gamma: Float32Array, dx: Float32Array,
    dgamma: Float32Array, dbeta: Float32Array, rows: number, d: number): void;
  /** Prelu gradient over [rows, c]; alpha and dalpha hold c values or 1. */
  preluGrad(dy: Float32Array, x: Float32Array, alpha: Float32Array, dx: Float32Array, dalpha: Float32Array, rows: number, c: number): void;
  /** 2-D max/avg pooling, NHWC; sig = [n,h,w,c, fh,fw, oh,ow, sh,sw, pt,pl]. */
  pool2dForward(x: Float32Array, y: Float32Array, sig: Int32Array, isMax: boolean): void;
  /** Gradient of pool2dForward into a zero-filled dx; x is needed for max pooling only. */
  pool2dBackward(dy: Float32Array, x: Float32Array | null, dx: Float32Array, sig: Int32Array, isMax: boolean): void;
  /** Training batch norm over x viewed as [rows, c]: y, batch mean and biased variance. */
  batchNormForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array,
    mean: Float32Array, variance: Float32Array, rows: number, c: number, eps: number): void;
  /** Its gradient: dx, dgamma, dbeta. */
  batchNormBackward(dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array, variance: Float32Array,
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, rows: number, c: number, eps: number): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  convImplInfo(sig: Int32Array): string;
  clearCache(): void;
  version(): string;
  /** Interface version (ADDON_ABI); absent in builds that predate it. */
  readonly abi?: number;
}

/** The addon interface version this code needs (kAbi in native/common.h). */
export const ADDON_ABI = 2;

let cached: { addon: NativeAddon | null; reason: string } | undefined;

/** The addon, or null with the reason it could not be loaded. */
export function loadAddon(): { addon: NativeAddon | null; reason: string } {
  if (cached) return cached;
  const root = packageRoot() ?? process.cwd();
  // MIMO_NATIVE_ADDON points at another build (or, set to a missing file, forces the cpu fallback).
  const path = process.env.MIMO_NATIVE_ADDON || join(root, 'build', 'Release', 'mimo_native.node');
  if (!existsSync(path)) {
    cached = { addon: null, reason: `native addon not built (${path} missing): install the Debian package libdnnl-dev (apt-get install -y libdnnl-dev) and run npm run build:native` };
    return cached;
  }
  try {
    const require = createRequire(import.meta.url);
    const addon = require(path) as NativeAddon;
    // A build from older sources lacks kernels or takes other arguments: refuse it whole.
    cached = addon.abi === ADDON_ABI ? { addon, reason: '' }
      : { addon: null, reason: `native addon ${path} is out of date (interface ${addon.abi ?? 1}, this code needs ${ADDON_ABI}): rebuild it with npm run build:native` };
  } catch (e) {
    cached = { addon: null, reason: `native addon ${path} failed to load (${(e as Error).message.split('\n')[0]}): is libdnnl2 installed (apt-get install -y libdnnl-dev)? Rebuild with npm run build:native` };
  }
  return cached;
}

/**
 * BatchMatMul and _FusedMatMul for the `native` backend on oneDNN's matmul primitive.
 * Transposes are expressed as strides (no copies). Batch broadcasting is handled
 * natively when one side's batch is 1 or both are equal; other broadcast patterns
 * fall back to the cpu kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.js';
import { activationCode, cpuKernel, uninitF32, valuesOf, type Ins } from './kernel_util.js';

interface Plan {
  outShape: number[];
  sig: Int32Array;
}

/** Shapes of a (batched) matmul, or null when oneDNN cannot take it directly. */
function plan(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): Plan | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const ra = a.shape.length, rb = b.shape.length;
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const Kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== Kb) return null; // let the cpu kernel raise tfjs's own error
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batchOut = tf.util.sizeFromShape(outer);
  if (!(batchA === batchB || batchA === 1 || batchB === 1)) return null;
  if (batchA !== batchOut && batchA !== 1) return null;
  if (batchB !== batchOut && batchB !== 1) return null;
  return {
    outShape: [...outer, M, N],
    sig: new Int32Array([batchA, batchB, batchOut, M, K, N, transposeA ? 1 : 0, transposeB ? 1 : 0]),
  };
}

export function makeMatmulKernels(addon: NativeAddon): tf.KernelConfig[] {
  const batchMatMul: tf.KernelFunc = (args) => {
    const backend = args.backend as MathBackendCPU;
    const { a, b } = args.inputs as Ins<'a' | 'b'>;
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    const p = plan(a, b, transposeA, transposeB);
    if (!p) return cpuKernel(tf.BatchMatMul)(args);
    const c = uninitF32(tf.util.sizeFromShape(p.outShape));
    const [batchA, batchB, batchOut, M, K, N] = p.sig;
    if (transposeA && !transposeB && N < M && N <= 64) {
      // Aᵀ·B with a narrow output (e.g. a gradient Σ_l φ(k_l) dz_lᵀ, [R, L]·[L, 2]): oneDNN runs
      // it 2-13x slower than the same product turned around, (Bᵀ·A)ᵀ, whose output rows are
      // the long side (one thread, K = 256-32000, N = 1-64). Same sums in the same order, then
      // the small [N, M] result is transposed into place.
      const t = uninitF32(c.length);
      addon.matmul(valuesOf(backend, b), valuesOf(backend, a), null, t, new Int32Array([batchB, batchA, batchOut, N, K, M, 1, 0]), 0, 0);
      addon.transpose(t, new Int32Array([batchOut, N, M]), new Int32Array([0, 2, 1]), c);
      backend.disposeIntermediateTensorInfo(backend.makeTensorInfo([batchOut, N, M], 'float32', t));
    } else {
      addon.matmul(valuesOf(backend, a), valuesOf(backend, b), null, c, p.sig, 0, 0);
    }
    return backend.makeTensorInfo(p.outShape, 'float32', c);
  };

  const fusedMatMul: tf.KernelFunc = (args) => {
    const backend = args.backend as MathBackendCPU;
    const { a, b, bias, preluActivationWeights } = args.inputs as Ins<'a' | 'b'> & { bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
    const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as unknown as tf._FusedMatMulAttrs;
    const p = plan(a, b, transposeA, transposeB);
    const N = p ? p.outShape[p.outShape.length - 1] : 0;
    const simpleBias = bias == null || (bias.dtype === 'float32' && tf.util.sizeFromShape(bias.shape) === N &&
      (bias.shape.length === 1 || bias.shape.slice(0, -1).every((d) => d === 1)));
    const act = activationCode(activation);
    if (!p || !simpleBias) return cpuKernel(tf._FusedMatMul)(args);
    const c = uninitF32(tf.util.sizeFromShape(p.outShape));
    const biasVals = bias == null ? null : valuesOf(backend, bias);
    if (act >= 0) {
      addon.matmul(valuesOf(backend, a), valuesOf(backend, b), biasVals, c, p.sig, act, leakyreluAlpha ?? 0.2);
      return backend.makeTensorInfo(p.outShape, 'float32', c);
    }
    // PReLU needs its weights tensor: do matmul+bias natively and the epilogue on cpu.
    addon.matmul(valuesOf(backend, a), valuesOf(backend, b), biasVals, c, p.sig, 0, 0);
    const pre = backend.makeTensorInfo(p.outShape, 'float32', c);
    const out = cpuKernel(tf.Prelu)({ inputs: { x: pre, alpha: preluActivationWeights! }, backend, attrs: {} }) as tf.TensorInfo;
    backend.disposeIntermediateTensorInfo(pre);
    return out;
  };

  return [
    { kernelName: tf.BatchMatMul, backendName: 'native', kernelFunc: batchMatMul },
    { kernelName: tf._FusedMatMul, backendName: 'native', kernelFunc: fusedMatMul },
  ];
}

/**
 * Elementwise kernels for the `native` backend: broadcasting binaries (Add, Multiply,
 * ...), unaries (Relu, Step, Exp, ...) and Prelu, run by the addon's OpenMP loops.
 * Once convolutions run on oneDNN these pure-JS cpu kernels are most of a training
 * step. Only float32 is served natively; every other dtype (int32, bool, complex64)
 * goes to the cpu kernel, which also keeps tfjs's own error messages for bad input.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.js';
import { cpuKernel, uninitF32 } from './kernel_util.js';

/** Binary op codes understood by the addon (enum BinOp in native/elementwise.cc). */
export const BINARY_OP = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, squaredDifference: 6, prelu: 7, pow: 8, reluGrad: 9 } as const;

/** Unary op codes understood by the addon (enum UnOp in native/elementwise.cc). */
export const UNARY_OP = {
  relu: 0, relu6: 1, step: 2, neg: 3, square: 4, sqrt: 5, rsqrt: 6, exp: 7, log: 8, abs: 9,
  sigmoid: 10, tanh: 11, reciprocal: 12, leakyRelu: 13, elu: 14,
} as const;

/**
 * The Float32Array behind a float32 tensor, or null when the tensor is of another
 * dtype (or, defensively, not backed by a Float32Array) and the cpu kernel must run.
 */
export function f32Values(backend: MathBackendCPU, t: tf.TensorInfo | undefined): Float32Array | null {
  if (t == null || t.dtype !== 'float32') return null;
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : null;
}

/** A kernel config for `native` that tries `fn` and runs the cpu kernel when it returns null. */
export function withFallback(name: string, fn: (args: Parameters<tf.KernelFunc>[0]) => tf.TensorInfo | null): tf.KernelConfig {
  const cpu = cpuKernel(name);
  return { kernelName: name, backendName: 'native', kernelFunc: (args) => fn(args) ?? cpu(args) };
}

function binary(addon: NativeAddon, name: string, op: number, aName = 'a', bName = 'b'): tf.KernelConfig {
  return withFallback(name, ({ inputs, backend }) => {
    const cpu = backend as MathBackendCPU;
    const a = inputs[aName]!, b = inputs[bName]!;
    const av = f32Values(cpu, a), bv = f32Values(cpu, b);
    if (!av || !bv) return null;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = uninitF32(tf.util.sizeFromShape(outShape));
    if (out.length > 0) addon.binary(op, av, Int32Array.from(a.shape), bv, Int32Array.from(b.shape), out);
    return cpu.makeTensorInfo(outShape, 'float32', out);
  });
}

function unary(addon: NativeAddon, name: string, op: number): tf.KernelConfig {
  return withFallback(name, ({ inputs, backend, attrs }) => {
    const cpu = backend as MathBackendCPU;
    const x = inputs.x!;
    const xv = f32Values(cpu, x);
    if (!xv) return null;
    const out = uninitF32(xv.length);
    const alpha = (attrs as { alpha?: number } | undefined)?.alpha ?? 0;
    if (out.length > 0) addon.unary(op, xv, out, alpha);
    return cpu.makeTensorInfo(x.shape, 'float32', out);
  });
}

/**
 * Cast to float32 that always stores a Float32Array. The cpu kernel casts bool or int32 to
 * float32 without copying (no precision is lost), leaving a Uint8Array or Int32Array under
 * a float32 tensor: every native kernel would then have to fall back to the slow JS one
 * (a padding mask, cast once, made MIMOFormer's masked multiplies ~50x slower).
 */
function castToFloat32(): tf.KernelConfig {
  return withFallback(tf.Cast, ({ inputs, backend, attrs }) => {
    const cpu = backend as MathBackendCPU;
    const x = inputs.x!;
    if ((attrs as unknown as tf.CastAttrs).dtype !== 'float32' || (x.dtype !== 'bool' && x.dtype !== 'int32')) return null;
    const v = cpu.data.get(x.dataId).values;
    if (!(v instanceof Uint8Array || v instanceof Int32Array)) return null;
    return cpu.makeTensorInfo(x.shape, 'float32', new Float32Array(v)); // the typed-array constructor converts in native code (from() iterates)
  });
}

/** Native configs for the elementwise kernels (float32 only; others fall back to cpu). */
export function makeElementwiseKernels(addon: NativeAddon): tf.KernelConfig[] {
  const B = BINARY_OP, U = UNARY_OP;
  return [
    castToFloat32(),
    binary(addon, tf.Add, B.add),
    binary(addon, tf.Sub, B.sub),
    binary(addon, tf.Multiply, B.mul),
    binary(addon, tf.RealDiv, B.div),
    binary(addon, tf.Maximum, B.max),
    binary(addon, tf.Minimum, B.min),
    binary(addon, tf.SquaredDifference, B.squaredDifference),
    binary(addon, tf.Pow, B.pow),
    binary(addon, tf.Prelu, B.prelu, 'x', 'alpha'),
    unary(addon, tf.Relu, U.relu),
    unary(addon, tf.Relu6, U.relu6),
    unary(addon, tf.Step, U.step),
    unary(addon, tf.Neg, U.neg),
    unary(addon, tf.Square, U.square),
    unary(addon, tf.Sqrt, U.sqrt),
    unary(addon, tf.Rsqrt, U.rsqrt),
    unary(addon, tf.Exp, U.exp),
    unary(addon, tf.Log, U.log),
    unary(addon, tf.Abs, U.abs),
    unary(addon, tf.Sigmoid, U.sigmoid),
    unary(addon, tf.Tanh, U.tanh),
    unary(addon, tf.Reciprocal, U.reciprocal),
    unary(addon, tf.LeakyRelu, U.leakyRelu),
    unary(addon, tf.Elu, U.elu),
  ];
}

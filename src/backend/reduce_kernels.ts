/**
 * Reductions (Sum, Mean, Max, Min), Tile, Transpose and FusedBatchNorm for the `native` backend.
 * The cpu kernels transpose the reduced axes innermost before reducing, which is most
 * of their cost for NHWC batch statistics (axes [0,1,2]); the addon reduces in place
 * whenever the reduced axes form one contiguous block once size-1 dims are ignored.
 * Other axis patterns, non-float32 dtypes and empty tensors run on the cpu kernels.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.js';
import { f32Values, withFallback } from './elementwise_kernels.js';
import { uninitF32 } from './kernel_util.js';

/** Reduction op codes understood by the addon (enum RedOp in native/reduce.cc). */
export const REDUCE_OP = { sum: 0, mean: 1, max: 2, min: 3 } as const;

/**
 * `shape` viewed as [outer, reduce, inner] with `axes` making up the middle, or null
 * when the reduced axes are split by a kept axis of size > 1 (e.g. axes [0, 2] of
 * [2, 3, 4]). Size-1 dims belong to either side, so [1,2] of [N,H,W,C] is [N, H*W, C].
 */
export function reduceGeometry(shape: number[], axes: number[]): [number, number, number] | null {
  const reduced = new Set(axes);
  let outer = 1, reduce = 1, inner = 1;
  let phase: 'before' | 'in' | 'after' = 'before';
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    if (reduced.has(d)) {
      if (phase === 'after') return null;
      phase = 'in';
      reduce *= shape[d];
    } else if (phase === 'before') {
      outer *= shape[d];
    } else {
      phase = 'after';
      inner *= shape[d];
    }
  }
  return [outer, reduce, inner];
}

function reduction(addon: NativeAddon, name: string, op: number, axisAttr: 'axis' | 'reductionIndices'): tf.KernelConfig {
  return withFallback(name, ({ inputs, backend, attrs }) => {
    const cpu = backend as MathBackendCPU;
    const x = inputs.x!;
    const xv = f32Values(cpu, x);
    if (!xv || xv.length === 0) return null;
    const a = attrs as { axis?: number | number[]; reductionIndices?: number | number[]; keepDims?: boolean };
    const axes = tf.util.parseAxisParam(a[axisAttr] ?? x.shape.map((_, i) => i), x.shape);
    if (new Set(axes).size !== axes.length) return null;
    const geom = reduceGeometry(x.shape, axes);
    if (!geom) return null;
    const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
    const out = uninitF32(geom[0] * geom[2]);
    addon.reduce(op, xv, geom[0], geom[1], geom[2], out);
    const shape = a.keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
    return cpu.makeTensorInfo(shape, 'float32', out);
  });
}

function transpose(addon: NativeAddon): tf.KernelConfig {
  return withFallback(tf.Transpose, ({ inputs, backend, attrs }) => {
    const cpu = backend as MathBackendCPU;
    const x = inputs.x!;
    const xv = f32Values(cpu, x);
    if (!xv) return null;
    const perm = Array.from((attrs as unknown as tf.TransposeAttrs).perm);
    const outShape = perm.map((p) => x.shape[p]);
    const out = uninitF32(xv.length);
    if (out.length > 0) addon.transpose(xv, Int32Array.from(x.shape), Int32Array.from(perm), out);
    return cpu.makeTensorInfo(outShape, 'float32', out);
  });
}

function tile(addon: NativeAddon): tf.KernelConfig {
  return withFallback(tf.Tile, ({ inputs, backend, attrs }) => {
    const cpu = backend as MathBackendCPU;
    const x = inputs.x!;
    const xv = f32Values(cpu, x);
    const reps = Array.from((attrs as unknown as tf.TileAttrs).reps);
    if (!xv || reps.length !== x.shape.length || reps.some((r) => !Number.isInteger(r) || r < 0)) return null;
    const outShape = x.shape.map((d, i) => d * reps[i]);
    const out = uninitF32(tf.util.sizeFromShape(outShape));
    if (out.length > 0) addon.tile(xv, Int32Array.from(x.shape), Int32Array.from(reps), out);
    return cpu.makeTensorInfo(outShape, 'float32', out);
  });
}

function batchNorm(addon: NativeAddon): tf.KernelConfig {
  return withFallback(tf.FusedBatchNorm, ({ inputs, backend, attrs }) => {
    const cpu = backend as MathBackendCPU;
    const { x, mean, variance, scale, offset } = inputs as Partial<Record<string, tf.TensorInfo>>;
    const xv = f32Values(cpu, x), mv = f32Values(cpu, mean), vv = f32Values(cpu, variance);
    const sv = scale == null ? null : f32Values(cpu, scale), ov = offset == null ? null : f32Values(cpu, offset);
    if (!xv || !mv || !vv || (scale != null && !sv) || (offset != null && !ov)) return null;
    // The cpu kernel asserts equal parameter ranks; let it raise that error.
    const ranks = [mean!, variance!, scale, offset].filter((t) => t != null).map((t) => t!.shape.length);
    if (ranks.some((r) => r !== ranks[0])) return null;
    const L = Math.max(mv.length, vv.length, sv?.length ?? 1, ov?.length ?? 1);
    const fits = (v: Float32Array | null) => v == null || v.length === 1 || v.length === L;
    if (L === 0 || !fits(mv) || !fits(vv) || !fits(sv) || !fits(ov) || xv.length % L !== 0) return null;
    const eps = (attrs as unknown as tf.FusedBatchNormAttrs).varianceEpsilon ?? 0.001;
    const out = uninitF32(xv.length);
    if (out.length > 0) addon.batchNorm(xv, mv, vv, sv, ov, out, eps);
    return cpu.makeTensorInfo(x!.shape, 'float32', out);
  });
}

/** Native configs for Sum, Mean, Max, Min, Tile, Transpose and FusedBatchNorm (float32 only). */
export function makeReduceKernels(addon: NativeAddon): tf.KernelConfig[] {
  return [
    reduction(addon, tf.Sum, REDUCE_OP.sum, 'axis'),
    reduction(addon, tf.Mean, REDUCE_OP.mean, 'axis'),
    reduction(addon, tf.Max, REDUCE_OP.max, 'reductionIndices'),
    reduction(addon, tf.Min, REDUCE_OP.min, 'axis'),
    tile(addon),
    transpose(addon),
    batchNorm(addon),
  ];
}

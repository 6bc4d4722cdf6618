/**
 * Row gathers for the `native` backend: GatherV2 on axis 0 (an embedding lookup) and its
 * gradient, UnsortedSegmentSum (scatter-add of rows). The cpu kernels walk every element
 * through generic index arithmetic (~50 ns each; an embedding lookup of 16k tokens took
 * 25-60 ms); here whole rows are copied (the gather in the addon, on all threads). Float32 data with int32 indices in range only;
 * anything else (other axes, batch dims, bad indices) goes to the cpu kernel, which also
 * raises tfjs's own errors.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.js';
import { f32Values, withFallback } from './elementwise_kernels.js';
import { uninitF32 } from './kernel_util.js';

function int32Values(backend: MathBackendCPU, t: tf.TensorInfo | undefined): Int32Array | null {
  if (t == null || t.dtype !== 'int32') return null;
  const v = backend.data.get(t.dataId).values;
  return v instanceof Int32Array ? v : null;
}

const inRange = (ids: Int32Array, n: number) => ids.every((i) => i >= 0 && i < n);

function gather(addon: NativeAddon): tf.KernelConfig {
  return withFallback(tf.GatherV2, ({ inputs, backend, attrs }) => {
    const cpu = backend as MathBackendCPU;
    const { x, indices } = inputs as Record<string, tf.TensorInfo>;
    const a = attrs as unknown as tf.GatherV2Attrs;
    const xv = f32Values(cpu, x), ids = int32Values(cpu, indices);
    if (!xv || !ids || (a.batchDims ?? 0) !== 0 || x.shape.length === 0) return null;
    if (tf.util.parseAxisParam(a.axis, x.shape)[0] !== 0 || !inRange(ids, x.shape[0])) return null;
    const row = tf.util.sizeFromShape(x.shape.slice(1));
    const out = uninitF32(ids.length * row); // [...indices.shape, ...x.shape[1:]]
    if (out.length > 0) addon.gatherRows(xv, ids, row, out);
    return cpu.makeTensorInfo([...indices.shape, ...x.shape.slice(1)], 'float32', out);
  });
}

function unsortedSegmentSum(): tf.KernelConfig {
  return withFallback(tf.UnsortedSegmentSum, ({ inputs, backend, attrs }) => {
    const cpu = backend as MathBackendCPU;
    const { x, segmentIds } = inputs as Record<string, tf.TensorInfo>;
    const numSegments = (attrs as unknown as tf.UnsortedSegmentSumAttrs).numSegments;
    const xv = f32Values(cpu, x), ids = int32Values(cpu, segmentIds);
    if (!xv || !ids || segmentIds.shape.length !== 1 || x.shape.length === 0 || x.shape[0] !== ids.length || !inRange(ids, numSegments)) return null;
    const row = tf.util.sizeFromShape(x.shape.slice(1));
    const out = new Float32Array(numSegments * row); // [numSegments, ...x.shape[1:]]
    for (let i = 0; i < ids.length; i++) {
      const o = ids[i] * row, s = i * row;
      for (let j = 0; j < row; j++) out[o + j] += xv[s + j];
    }
    return cpu.makeTensorInfo([numSegments, ...x.shape.slice(1)], 'float32', out);
  });
}

/** Native configs for GatherV2 (axis 0) and UnsortedSegmentSum (1-D ids). */
export function makeGatherKernels(addon: NativeAddon): tf.KernelConfig[] {
  return [gather(addon), unsortedSegmentSum()];
}

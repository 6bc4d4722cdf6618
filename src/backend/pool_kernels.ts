/**
 * 2-D max and average pooling with their gradients for the `native` backend, in the
 * addon (NHWC, channels innermost so the inner loops vectorise). Semantics are tfjs's
 * cpu kernels', tie-breaking included, so switching backends never changes a result.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.js';
import { cpuKernel, uninitF32, valuesOf, type Ins } from './kernel_util.js';

interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function poolInfo(xShape: number[], a: PoolAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
}

/** The addon's 12-int pooling signature: n h w c fh fw oh ow sh sw pt pl. */
function poolSignature(i: tf.backend_util.Conv2DInfo): Int32Array {
  return new Int32Array([i.batchSize, i.inHeight, i.inWidth, i.inChannels, i.filterHeight, i.filterWidth,
    i.outHeight, i.outWidth, i.strideHeight, i.strideWidth, i.padInfo.top, i.padInfo.left]);
}

export function makePoolKernels(addon: NativeAddon): tf.KernelConfig[] {
  const forward = (isMax: boolean, name: string): tf.KernelFunc => (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as Ins<'x'>;
    const info = poolInfo(x.shape, args.attrs as unknown as PoolAttrs);
    if (x.dtype !== 'float32' || x.shape.length !== 4) return cpuKernel(name)(args);
    const y = uninitF32(tf.util.sizeFromShape(info.outShape));
    addon.pool2dForward(valuesOf(backend, x), y, poolSignature(info), isMax);
    return backend.makeTensorInfo(info.outShape, 'float32', y);
  };
  const backward = (isMax: boolean, name: string): tf.KernelFunc => (args) => {
    const backend = args.backend as MathBackendCPU;
    const { dy, input } = args.inputs as Ins<'dy' | 'input'>;
    if (input.dtype !== 'float32' || input.shape.length !== 4) return cpuKernel(name)(args);
    const info = poolInfo(input.shape, args.attrs as unknown as PoolAttrs);
    const dx = new Float32Array(tf.util.sizeFromShape(input.shape));
    addon.pool2dBackward(valuesOf(backend, dy), isMax ? valuesOf(backend, input) : null, dx, poolSignature(info), isMax);
    return backend.makeTensorInfo(input.shape, 'float32', dx);
  };
  return [
    { kernelName: tf.MaxPool, backendName: 'native', kernelFunc: forward(true, tf.MaxPool) },
    { kernelName: tf.AvgPool, backendName: 'native', kernelFunc: forward(false, tf.AvgPool) },
    { kernelName: tf.MaxPoolGrad, backendName: 'native', kernelFunc: backward(true, tf.MaxPoolGrad) },
    { kernelName: tf.AvgPoolGrad, backendName: 'native', kernelFunc: backward(false, tf.AvgPoolGrad) },
  ];
}

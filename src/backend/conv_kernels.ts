/**
 * Convolution kernels (Conv2D, FusedConv2D and both gradients) for the `native`
 * backend, running on oneDNN through the addon. Anything oneDNN is not given here
 * (NCHW data, non-float inputs, per-element PReLU slopes) is delegated to the cpu kernels.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.js';
import { activationCode, cpuKernel, PRELU_ACT, uninitF32, valuesOf, type Ins } from './kernel_util.js';

type ConvInfo = tf.backend_util.Conv2DInfo;

/** The addon's 17-int conv signature from tfjs's resolved conv info. */
export function convSignature(info: ConvInfo): Int32Array {
  const p = info.padInfo;
  return new Int32Array([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.filterHeight, info.filterWidth, info.outChannels, info.outHeight, info.outWidth,
    info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
    p.top, p.left, p.bottom, p.right,
  ]);
}

function isNHWC(dataFormat: string | undefined): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC' || dataFormat === 'channelsLast';
}

function conv2dInfo(xShape: number[], filterShape: number[], attrs: tf.NamedAttrMap): ConvInfo {
  const a = attrs as unknown as tf.Conv2DAttrs;
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
}

export function makeConvKernels(addon: NativeAddon): tf.KernelConfig[] {
  const conv2d: tf.KernelFunc = (args) => {
    const { inputs, attrs } = args;
    const backend = args.backend as MathBackendCPU;
    const { x, filter } = inputs as Ins<'x' | 'filter'>;
    if (!isNHWC(attrs!.dataFormat as string) || x.dtype !== 'float32' || filter.dtype !== 'float32') {
      return cpuKernel(tf.Conv2D)(args);
    }
    const info = conv2dInfo(x.shape, filter.shape, attrs!);
    const y = uninitF32(tf.util.sizeFromShape(info.outShape));
    addon.conv2dForward(valuesOf(backend, x), valuesOf(backend, filter), null, y, convSignature(info), 0, 0);
    return backend.makeTensorInfo(info.outShape, 'float32', y);
  };

  const fusedConv2d: tf.KernelFunc = (args) => {
    const { inputs, attrs } = args;
    const backend = args.backend as MathBackendCPU;
    const { x, filter, bias, preluActivationWeights: slopes } = inputs as Ins<'x' | 'filter'> & { bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
    const a = attrs as unknown as tf.FusedConv2DAttrs;
    const outC = filter.shape[3];
    // PReLU: one slope, or one per output channel (a [C] or [1, 1, 1, C] tensor).
    const nSlopes = slopes == null ? 0 : tf.util.sizeFromShape(slopes.shape);
    const prelu = a.activation === 'prelu' && slopes != null &&
      (nSlopes === 1 || (nSlopes === outC && slopes.shape[slopes.shape.length - 1] === outC));
    const act = prelu ? PRELU_ACT : activationCode(a.activation);
    const simpleBias = bias == null || (bias.shape.length === 1 && bias.shape[0] === outC);
    if (!isNHWC(a.dataFormat) || act < 0 || !simpleBias || x.dtype !== 'float32') {
      return cpuKernel(tf.FusedConv2D)(args);
    }
    const info = conv2dInfo(x.shape, filter.shape, attrs!);
    const y = uninitF32(tf.util.sizeFromShape(info.outShape));
    addon.conv2dForward(valuesOf(backend, x), valuesOf(backend, filter),
      bias == null ? null : valuesOf(backend, bias), y, convSignature(info), act, a.leakyreluAlpha ?? 0.2,
      prelu ? valuesOf(backend, slopes!) : undefined);
    return backend.makeTensorInfo(info.outShape, 'float32', y);
  };

  const backpropInput: tf.KernelFunc = (args) => {
    const { inputs, attrs } = args;
    const backend = args.backend as MathBackendCPU;
    const { dy, filter } = inputs as Ins<'dy' | 'filter'>;
    const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (!isNHWC(a.dataFormat) || dy.dtype !== 'float32') return cpuKernel(tf.Conv2DBackpropInput)(args);
    const inShape = Array.from(a.inputShape) as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(inShape, filter.shape as [number, number, number, number],
      a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    const dx = uninitF32(tf.util.sizeFromShape(inShape));
    addon.conv2dBackwardData(valuesOf(backend, dy), valuesOf(backend, filter), dx, convSignature(info));
    return backend.makeTensorInfo(inShape, 'float32', dx);
  };

  const backpropFilter: tf.KernelFunc = (args) => {
    const { inputs, attrs } = args;
    const backend = args.backend as MathBackendCPU;
    const { x, dy } = inputs as Ins<'x' | 'dy'>;
    const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (!isNHWC(a.dataFormat) || x.dtype !== 'float32') return cpuKernel(tf.Conv2DBackpropFilter)(args);
    const fShape = Array.from(a.filterShape) as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], fShape,
      a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    const dw = uninitF32(tf.util.sizeFromShape(fShape));
    addon.conv2dBackwardWeights(valuesOf(backend, x), valuesOf(backend, dy), dw, convSignature(info));
    return backend.makeTensorInfo(fShape, 'float32', dw);
  };

  return [
    { kernelName: tf.Conv2D, backendName: 'native', kernelFunc: conv2d },
    { kernelName: tf.FusedConv2D, backendName: 'native', kernelFunc: fusedConv2d },
    { kernelName: tf.Conv2DBackpropInput, backendName: 'native', kernelFunc: backpropInput },
    { kernelName: tf.Conv2DBackpropFilter, backendName: 'native', kernelFunc: backpropFilter },
  ];
}

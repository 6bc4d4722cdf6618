/**
 * One-kernel gradients for Relu and Prelu on the `native` backend.
 *
 * tfjs differentiates Relu as dy * cast(step(x)) and Prelu as two `where`s over masks
 * plus a broadcast-reducing sum: three to six full-size passes and temporaries per
 * activation. MIMONet blocks run a PReLU after every convolution, so these are done in
 * one pass each. The gradients are overridden globally (tfjs has one gradient registry)
 * but only take the native path when the active backend is `native` and the tensors
 * are float32 with a per-channel or scalar alpha; otherwise they compute exactly what
 * tfjs's own gradients compute.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.js';
import { BINARY_OP } from './elementwise_kernels.js';
import { uninitF32, valuesOf, type Ins } from './kernel_util.js';

export const RELU_GRAD = 'MimoReluGrad';
export const PRELU_GRAD = 'MimoPreluGrad';

/** Alpha of a Prelu the native kernel takes: one value, or one per channel (last axis). */
function nativePrelu(x: tf.Tensor, alpha: tf.Tensor): boolean {
  const c = x.shape[x.shape.length - 1];
  return alpha.size === 1 || (alpha.size === c && alpha.shape[alpha.rank - 1] === c && alpha.rank <= x.rank);
}

const onNative = (...ts: tf.Tensor[]) => tf.getBackend() === 'native' && ts.every((t) => t.dtype === 'float32');

export function makeActivationGradKernels(addon: NativeAddon): tf.KernelConfig[] {
  const reluGrad: tf.KernelFunc = ({ inputs, backend }) => {
    const be = backend as MathBackendCPU;
    const { dy, x } = inputs as Ins<'dy' | 'x'>;
    const out = uninitF32(tf.util.sizeFromShape(x.shape));
    if (out.length > 0) addon.binary(BINARY_OP.reluGrad, valuesOf(be, dy), Int32Array.from(dy.shape), valuesOf(be, x), Int32Array.from(x.shape), out);
    return be.makeTensorInfo(x.shape, 'float32', out);
  };
  const preluGrad: tf.KernelFunc = ({ inputs, backend }) => {
    const be = backend as MathBackendCPU;
    const { dy, x, alpha } = inputs as Ins<'dy' | 'x' | 'alpha'>;
    const c = x.shape[x.shape.length - 1], rows = tf.util.sizeFromShape(x.shape) / c;
    const dx = uninitF32(rows * c), dalpha = new Float32Array(tf.util.sizeFromShape(alpha.shape));
    addon.preluGrad(valuesOf(be, dy), valuesOf(be, x), valuesOf(be, alpha), dx, dalpha, rows, c);
    return [be.makeTensorInfo(x.shape, 'float32', dx), be.makeTensorInfo(alpha.shape, 'float32', dalpha)];
  };
  return [
    { kernelName: RELU_GRAD, backendName: 'native', kernelFunc: reluGrad },
    { kernelName: PRELU_GRAD, backendName: 'native', kernelFunc: preluGrad },
  ];
}

/** Replaces tfjs's Relu and Prelu gradients with ones that use the kernels above on native. */
export function registerActivationGrads(): void {
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      const g = dy as tf.Tensor;
      if (onNative(g, x) && tf.util.arraysEqual(g.shape, x.shape)) {
        return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: g, x }) as tf.Tensor };
      }
      return { x: () => tf.mul(g, tf.cast(tf.step(x), 'float32')) };
    },
  });
  tf.registerGradient({
    kernelName: tf.Prelu,
    inputsToSave: ['x', 'alpha'],
    gradFunc: (dy, saved) => {
      const [x, alpha] = saved;
      const g = dy as tf.Tensor;
      if (onNative(g, x, alpha) && x.size > 0 && tf.util.arraysEqual(g.shape, x.shape) && nativePrelu(x, alpha)) {
        // One kernel gives both gradients; run it once, hand out the parts.
        const [dx, dalpha] = tf.engine().runKernel(PRELU_GRAD, { dy: g, x, alpha }) as tf.Tensor[];
        return { x: () => dx, alpha: () => dalpha };
      }
      const mask = tf.greater(x, 0);
      return {
        x: () => tf.where(mask, g, tf.mul(g, alpha)),
        alpha: () => {
          let res = tf.where(mask, tf.zerosLike(g), tf.mul(g, x));
          const axes = tf.backend_util.getReductionAxes(alpha.shape, g.shape);
          if (axes.length > 0) res = tf.sum(res, axes);
          return tf.reshape(res, alpha.shape);
        },
      };
    },
  });
}

/**
 * The bind-and-bundle product of bind_bundle.ts as one native kernel (n ≥ 2).
 *
 * As tfjs ops it is a transpose of the stem output ([G, n, P, C] → [G, P, n, C]) and a
 * [G·P, n·C] × [n·C, C] product: at small widths the copy costs more than the product. The
 * addon reads each pixel's n channel vectors where they are and writes the bundle, one pass
 * over x. The gradient is the tfjs formulation's (a transpose and two products), so it is the
 * same on every backend; only the forward pass differs, and a test holds it equal to the ops.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { loadAddon, type NativeAddon } from '../backend/addon.js';
import { uninitF32, valuesOf } from '../backend/kernel_util.js';

export const BIND_BUNDLE = 'MimoBindBundle';

interface Attrs {
  n: number;
}

/** x [B, H, W, C] stacked per pixel: [G·H·W, n·C] (the layout of the one-product form). */
export function stackPixels(x: tf.Tensor, n: number): tf.Tensor2D {
  const [b, h, w, c] = x.shape;
  const g = b / n;
  return x.reshape([g, n, h * w, c]).transpose([0, 2, 1, 3]).reshape([g * h * w, n * c]) as tf.Tensor2D; // [G·H·W, n·C]
}

let addon: NativeAddon | null | undefined;
function nativeAddon(): NativeAddon | null {
  if (addon === undefined) {
    addon = loadAddon().addon;
    if (addon) register(addon);
  }
  return addon;
}

function register(a: NativeAddon): void {
  tf.registerKernel({
    kernelName: BIND_BUNDLE,
    backendName: 'native',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const be = backend as MathBackendCPU;
      const { x, w } = inputs as Record<string, tf.TensorInfo>;
      const { n } = attrs as unknown as Attrs;
      const [b, h, wd, c] = x.shape;
      const out = uninitF32((b / n) * h * wd * c);
      a.bindBundle(valuesOf(be, x), valuesOf(be, w), out, b / n, n, h * wd, c);
      return be.makeTensorInfo([b / n, h, wd, c], 'float32', out);
    },
  });
  tf.registerGradient({
    kernelName: BIND_BUNDLE,
    inputsToSave: ['x', 'w'],
    gradFunc: (dy, saved, attrs) => {
      const [x, w] = saved; // x [B, H, W, C], w [n·C, C]
      const { n } = attrs as unknown as Attrs;
      const [b, h, wd, c] = x.shape;
      const dyf = (dy as tf.Tensor).reshape([(b / n) * h * wd, c]); // [G·P, C]
      return {
        // [G·P, n·C] → [G, P, n, C] → [G, n, P, C] = x's layout
        x: () => dyf.matMul(w as tf.Tensor2D, false, true).reshape([b / n, h * wd, n, c]).transpose([0, 2, 1, 3]).reshape(x.shape),
        w: () => stackPixels(x, n).matMul(dyf, true, false), // [n·C, C]
      };
    },
  });
}

/**
 * Σ over each group of n images of x's pixel vectors times w's blocks, by the native kernel:
 * x [B, H, W, C], w [n·C, C] (image j's block is rows j·C..j·C+C−1) → [B/n, H, W, C]. Returns
 * null when the active backend is not `native` or the addon lacks the kernel.
 */
export function nativeBindBundle(x: tf.Tensor4D, w: tf.Tensor2D, n: number): tf.Tensor4D | null {
  if (tf.getBackend() !== 'native' || n < 2 || x.dtype !== 'float32' || nativeAddon() === null) return null;
  return tf.engine().runKernel(BIND_BUNDLE, { x, w }, { n } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

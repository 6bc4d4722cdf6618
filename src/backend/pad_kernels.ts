/**
 * Constant padding (PadV2) for the `native` backend. The cpu kernel maps every element
 * through generic index arithmetic (a [1000, 64] → [1024, 64] pad, the gradient of the
 * position-embedding slice at every MIMOFormer step, took ~17 ms); here each innermost run
 * of the input is one typed-array copy. Float32 only; anything else goes to the cpu kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { f32Values, withFallback } from './elementwise_kernels.js';

function padV2(): tf.KernelConfig {
  return withFallback(tf.PadV2, ({ inputs, backend, attrs }) => {
    const cpu = backend as MathBackendCPU;
    const { x } = inputs as Record<string, tf.TensorInfo>;
    const { paddings, constantValue } = attrs as unknown as tf.PadV2Attrs;
    const xv = f32Values(cpu, x);
    const rank = x.shape.length;
    if (!xv || rank === 0 || paddings.some(([a, b]) => a < 0 || b < 0)) return null;
    const outShape = x.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
    const out = new Float32Array(tf.util.sizeFromShape(outShape));
    if (constantValue !== 0) out.fill(constantValue);
    const inner = x.shape[rank - 1], outStrides = tf.util.computeStrides(outShape);
    const rows = xv.length / Math.max(inner, 1);
    // Walk the input's rows (all axes but the last) with an odometer over their indices.
    const idx = new Array(rank - 1).fill(0);
    for (let r = 0; r < rows && inner > 0; r++) {
      let o = paddings[rank - 1][0];
      for (let a = 0; a < rank - 1; a++) o += (idx[a] + paddings[a][0]) * outStrides[a];
      out.set(xv.subarray(r * inner, (r + 1) * inner), o);
      for (let a = rank - 2; a >= 0; a--) {
        if (++idx[a] < x.shape[a]) break;
        idx[a] = 0;
      }
    }
    return cpu.makeTensorInfo(outShape, 'float32', out);
  });
}

/** Native config for PadV2 (float32). */
export function makePadKernels(): tf.KernelConfig[] {
  return [padV2()];
}

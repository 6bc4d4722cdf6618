/**
 * Gradients of Sum and Mean as one broadcast (Tile) on the `native` backend.
 *
 * tfjs differentiates both as dy (reshaped) * ones(x.shape) (Mean then divides the result):
 * the ones are filled in a JS loop and the product is another full-size pass, both as large
 * as the input. In a MIMOFormer training step (L = 1000) the fill alone was 4 % of the time
 * (`node --cpu-prof`, makeOnesTypedArray). Broadcasting dy (Mean: dy / count first, on the
 * small tensor) writes the same values in one pass: dy·1 = dy and (dy·1)/n = dy/n exactly.
 * Like the activation gradients, registered globally, taken only on `native` with float32
 * tensors; otherwise exactly tfjs's formulas.
 */
import * as tf from '@tensorflow/tfjs';

const onNative = (...ts: tf.Tensor[]) => tf.getBackend() === 'native' && ts.every((t) => t.dtype === 'float32');

/** The gradient of Sum (mean = false) or Mean (mean = true) over attrs.axis. */
function reduceGrad(kernelName: string, mean: boolean): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const g = dy as tf.Tensor;
      const axes = tf.util.parseAxisParam((attrs as unknown as tf.SumAttrs).axis, x.shape);
      const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d)); // [x with the reduced axes at 1]
      const count = mean ? axes.reduce((a, i) => a * x.shape[i], 1) : 1;
      if (onNative(g, x)) return { x: () => tf.broadcastTo(tf.reshape(mean ? tf.div(g, count) : g, expanded), x.shape) };
      return {
        x: () => {
          const r = tf.mul(tf.reshape(g, expanded), tf.ones(x.shape, 'float32')); // tfjs's own formula
          return mean ? tf.div(r, count) : r;
        },
      };
    },
  };
}

export function registerReduceGrads(): void {
  tf.registerGradient(reduceGrad(tf.Sum, false));
  tf.registerGradient(reduceGrad(tf.Mean, true));
}

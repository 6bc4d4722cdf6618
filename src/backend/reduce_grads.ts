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

/** dy [reduced shape] broadcast back to x's shape over the reduced axes. */
function spread(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d)); // [x with the reduced axes at 1]
  return tf.broadcastTo(tf.reshape(dy, expanded), x.shape);
}

export function registerReduceGrads(): void {
  tf.registerGradient({
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const g = dy as tf.Tensor;
      const { axis } = attrs as unknown as tf.SumAttrs;
      if (onNative(g, x)) return { x: () => spread(g, x, axis) };
      const axes = tf.util.parseAxisParam(axis, x.shape);
      return { x: () => tf.mul(tf.reshape(g, x.shape.map((d, i) => (axes.includes(i) ? 1 : d))), tf.ones(x.shape, 'float32')) };
    },
  });
  tf.registerGradient({
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const g = dy as tf.Tensor;
      const { axis } = attrs as unknown as tf.MeanAttrs;
      const axes = tf.util.parseAxisParam(axis, x.shape);
      const count = axes.reduce((a, i) => a * x.shape[i], 1);
      if (onNative(g, x)) return { x: () => spread(tf.div(g, count), x, axis) };
      return { x: () => tf.div(tf.mul(tf.reshape(g, x.shape.map((d, i) => (axes.includes(i) ? 1 : d))), tf.ones(x.shape, 'float32')), count) };
    },
  });
}

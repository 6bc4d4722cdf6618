import * as tf from '@tensorflow/tfjs';

/**
 * Disposes a tfjs MomentumOptimizer completely. Its dispose() overrides SGDOptimizer's
 * without calling it, so the learning-rate scalar `c` leaks one tensor per optimizer
 * (tfjs 4.22).
 */
export function disposeMomentum(opt: tf.MomentumOptimizer): void {
  opt.dispose();
  const c = (opt as unknown as { c?: tf.Tensor }).c;
  if (c && !c.isDisposed) c.dispose();
}

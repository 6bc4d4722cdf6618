/**
 * mimonets: computation in superposition on TensorFlow.js.
 *
 * @example
 * import * as tf from '@tensorflow/tfjs';
 * import { initBackend } from 'mimonets';
 * const info = await initBackend(); // 'native' (oneDNN) when the addon is built, else 'cpu'
 * const y = tf.conv2d(tf.ones([1, 8, 8, 3]), tf.ones([3, 3, 3, 4]), 1, 'same');
 */
export * from './backend/index.js';
export * from './data/index.js';
export { batchNormTrain, registerBatchNormKernels, type BatchNormTrainResult } from './ops/batch_norm.js';
export { benchWrnStep, buildWrn, type WrnStepConfig, type WrnStepResult } from './bench/wrn_step.js';
export { KERNEL_WORKLOADS, convWorkloads, matmulWorkload, runWorkloads, type Workload, type WorkloadResult } from './bench/kernels.js';
export { trainTinyCnn, TINY_CNN_DEFAULTS, type TinyCnnConfig, type TinyCnnResult } from './train/tiny_cnn.js';

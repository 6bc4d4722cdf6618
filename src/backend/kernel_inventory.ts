/**
 * Every kernel the `native` backend runs differently from tfjs's `cpu` backend, in one list:
 * tfjs kernels the backend overrides (registered with the backend by registerNativeBackend), and
 * the library's own kernels, which their op modules register on first use for both backends
 * (JS loops on `cpu`, the addon on `native`). Every other kernel of `native` is the cpu kernel
 * itself. test/backend/kernel_inventory.test.ts registers everything and checks this list
 * against tfjs's kernel registry, so it cannot drift.
 */
export interface NativeKernel {
  /** The tfjs kernel name. */
  kernel: string;
  /** The file under src/ that registers the native version. */
  module: string;
  /** The native/ file that implements it ('' when it is TypeScript only). */
  native: string;
}

const group = (module: string, native: string, kernels: string[]): NativeKernel[] => kernels.map((kernel) => ({ kernel, module, native }));

export const NATIVE_KERNELS: readonly NativeKernel[] = [
  ...group('backend/conv_kernels.ts', 'conv.cc, winograd.cc', ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'FusedConv2D']),
  ...group('backend/matmul_kernels.ts', 'matmul.cc', ['BatchMatMul', '_FusedMatMul']),
  ...group('backend/elementwise_kernels.ts', 'elementwise.cc', [
    'Abs', 'Add', 'Cast', 'Elu', 'Exp', 'LeakyRelu', 'Log', 'Maximum', 'Minimum', 'Multiply', 'Neg', 'Pow', 'Prelu', 'RealDiv',
    'Reciprocal', 'Relu', 'Relu6', 'Rsqrt', 'Sigmoid', 'Sqrt', 'Square', 'SquaredDifference', 'Step', 'Sub', 'Tanh',
  ]),
  ...group('backend/reduce_kernels.ts', 'reduce.cc', ['Max', 'Mean', 'Min', 'Sum']),
  ...group('backend/reduce_kernels.ts', 'layout_ops.cc', ['Tile', 'Transpose']),
  ...group('backend/reduce_kernels.ts', 'norm.cc', ['FusedBatchNorm']),
  ...group('backend/pool_kernels.ts', 'pooling.cc', ['AvgPool', 'AvgPoolGrad', 'MaxPool', 'MaxPoolGrad']),
  ...group('backend/activation_grads.ts', 'elementwise.cc', ['MimoReluGrad', 'MimoPreluGrad']),
  ...group('backend/gather_kernels.ts', 'layout_ops.cc', ['GatherV2', 'UnsortedSegmentSum']),
  ...group('backend/pad_kernels.ts', '', ['PadV2']),
  ...group('ops/batch_norm.ts', 'norm.cc', ['MimoBatchNormTrain', 'MimoBatchNormTrainGrad']),
  ...group('ops/layer_norm.ts', 'norm.cc', ['MimoLayerNorm', 'MimoLayerNormGrad']),
  ...group('ops/dropout.ts', 'dropout.cc', ['MimoDropout']),
  ...group('vsa/bind_bundle_kernel.ts', 'superpose.cc', ['MimoBindBundle']),
  ...group('models/mimoformer/superpose_ops.ts', 'superpose.cc', [
    'MimoSuperposeBundle', 'MimoSuperposeBundleGrad', 'MimoSuperposeUnbind', 'MimoSuperposeUnbindGrad', 'MimoArrangeGrid', 'MimoArrangeGridGrad',
  ]),
];

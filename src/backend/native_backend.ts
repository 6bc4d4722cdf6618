/**
 * The `native` tfjs backend: the cpu backend's storage and all of its kernels, with
 * the hot ones replaced by the addon's: convolutions and matmuls on oneDNN, and
 * float32 elementwise ops, reductions, Tile, FusedBatchNorm and pooling on OpenMP loops,
 * and row gathers (embedding lookups and their gradient) in plain typed-array copies.
 */
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.js';
import { makeActivationGradKernels, registerActivationGrads } from './activation_grads.js';
import { makeConvKernels } from './conv_kernels.js';
import { makeElementwiseKernels } from './elementwise_kernels.js';
import { makeGatherKernels } from './gather_kernels.js';
import { makeMatmulKernels } from './matmul_kernels.js';
import { makePoolKernels } from './pool_kernels.js';
import { makeReduceKernels } from './reduce_kernels.js';

export const NATIVE_BACKEND = 'native';

/** A cpu backend that stays quiet about tfjs-node (we are the fast path). */
export class NativeBackend extends MathBackendCPU {
  constructor() {
    super();
    silenceNodeHint(this);
  }
}

/** tfjs's cpu backend prints a tfjs-node advert on first use; it does not apply here. */
export function silenceNodeHint(backend: unknown): void {
  (backend as { firstUse: boolean }).firstUse = false;
}

let registered = false;

/** Registers `native` (idempotent). Returns the names of the kernels the addon serves. */
export function registerNativeBackend(addon: NativeAddon, priority = 3): string[] {
  const overrides = [...makeConvKernels(addon), ...makeMatmulKernels(addon),
    ...makeElementwiseKernels(addon), ...makeReduceKernels(addon), ...makePoolKernels(addon),
    ...makeActivationGradKernels(addon), ...makeGatherKernels()];
  if (!registered) {
    tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(), priority);
    const overridden = new Set(overrides.map((k) => k.kernelName));
    for (const k of tf.getKernelsForBackend('cpu')) {
      // Skip kernels an op module already registered for native (e.g. MimoBatchNormTrain).
      if (!overridden.has(k.kernelName) && !tf.getKernel(k.kernelName, NATIVE_BACKEND)) tf.registerKernel({ ...k, backendName: NATIVE_BACKEND });
    }
    for (const k of overrides) tf.registerKernel(k);
    registerActivationGrads();
    registered = true;
  }
  return overrides.map((k) => k.kernelName);
}

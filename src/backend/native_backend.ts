/**
 * The `native` tfjs backend: the cpu backend's storage and all of its kernels, with
 * the hot ones (convolutions, matmuls) replaced by oneDNN kernels from the addon.
 */
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.js';
import { makeConvKernels } from './conv_kernels.js';
import { makeMatmulKernels } from './matmul_kernels.js';

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

/** Registers `native` (idempotent). Returns the names of the kernels oneDNN serves. */
export function registerNativeBackend(addon: NativeAddon, priority = 3): string[] {
  const overrides = [...makeConvKernels(addon), ...makeMatmulKernels(addon)];
  if (!registered) {
    tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(), priority);
    const overridden = new Set(overrides.map((k) => k.kernelName));
    for (const k of tf.getKernelsForBackend('cpu')) {
      if (!overridden.has(k.kernelName)) tf.registerKernel({ ...k, backendName: NATIVE_BACKEND });
    }
    for (const k of overrides) tf.registerKernel(k);
    registered = true;
  }
  return overrides.map((k) => k.kernelName);
}

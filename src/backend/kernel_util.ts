/** Small helpers shared by the native kernels. */
import * as tf from '@tensorflow/tfjs';
import { bufferPool } from './buffer_pool.js';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { loadAddon, type NativeAddon } from './addon.js';

/** A kernel's named inputs, all present. */
export type Ins<K extends string> = Record<K, tf.TensorInfo>;

/** The Float32Array behind a tensor on a cpu-derived backend (no copy). */
export function valuesOf(backend: MathBackendCPU, t: tf.TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

/**
 * The cpu backend's implementation of a kernel. The native backend extends the cpu
 * backend's storage, so cpu kernels run unchanged on native tensors.
 */
export function cpuKernel(name: string): tf.KernelFunc {
  const k = tf.getKernel(name, 'cpu');
  if (!k) throw new Error(`mimonets: the cpu backend has no kernel ${name}; is @tensorflow/tfjs loaded?`);
  return k.kernelFunc;
}

/** The addon's code for a PReLU epilogue (convolutions only; slopes passed separately). */
export const PRELU_ACT = 6;

/**
 * Activation code understood by the addon's post-ops, or -1 where the epilogue
 * needs tensors of its own (prelu) and has to run in JS.
 */
export function activationCode(activation: string | undefined | null): number {
  switch (activation ?? 'linear') {
    case 'linear': return 0;
    case 'relu': return 1;
    case 'relu6': return 2;
    case 'elu': return 3;
    case 'sigmoid': return 4;
    case 'leakyrelu': return 5;
    default: return -1;
  }
}

/**
 * A Float32Array of n values for a kernel output that the kernel writes in full: not
 * zeroed (`new Float32Array(n)` zero-fills on the calling thread, since the addon keeps
 * freed memory in the heap, V8's calloc has to memset it: one extra single-threaded pass
 * over every output), and reused from a disposed tensor when one of the same length is
 * free (buffer_pool.ts). Never use it for outputs that are accumulated into or only
 * partly written.
 */
export function uninitF32(n: number): Float32Array {
  return bufferPool().take(n);
}

/**
 * Output storage for a kernel with an addon path and a JS fallback: unzeroed (uninitF32) when
 * the addon writes every value, zero-filled when the JS loops accumulate into it.
 */
export function outputF32(writtenInFull: boolean, n: number): Float32Array {
  return writtenInFull ? uninitF32(n) : new Float32Array(n);
}

/**
 * Registers an op's kernels on `cpu` (made with addon null: the JS loops) and on `native`
 * (made with the addon, which loadAddon only returns when it has every export).
 */
export function registerOnBothBackends(kernels: (addon: NativeAddon | null) => Record<string, tf.KernelFunc>): void {
  for (const backendName of ['cpu', 'native']) {
    const addon = backendName === 'native' ? loadAddon().addon : null;
    for (const [kernelName, kernelFunc] of Object.entries(kernels(addon))) tf.registerKernel({ kernelName, backendName, kernelFunc });
  }
}

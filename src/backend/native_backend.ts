/**
 * The `native` tfjs backend: the cpu backend's storage and all of its kernels, with
 * the hot ones replaced by the addon's: convolutions and matmuls on oneDNN, and
 * float32 elementwise ops, reductions, Tile, FusedBatchNorm and pooling on OpenMP loops,
 * and row gathers (embedding lookups and their gradient) in plain typed-array copies.
 * Output buffers of disposed tensors are reused (buffer_pool.ts). Every kernel that differs
 * from the cpu backend's is listed, with its module and native file, in kernel_inventory.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.js';
import { bufferPool } from './buffer_pool.js';
import { makeActivationGradKernels, registerActivationGrads } from './activation_grads.js';
import { registerReduceGrads } from './reduce_grads.js';
import { makeConvKernels } from './conv_kernels.js';
import { makeElementwiseKernels } from './elementwise_kernels.js';
import { makeGatherKernels } from './gather_kernels.js';
import { makePadKernels } from './pad_kernels.js';
import { makeMatmulKernels } from './matmul_kernels.js';
import { makePoolKernels } from './pool_kernels.js';
import { makeReduceKernels } from './reduce_kernels.js';

export const NATIVE_BACKEND = 'native';

type Values = Parameters<MathBackendCPU['write']>[0];
type DataId = ReturnType<MathBackendCPU['write']>;

/**
 * A cpu backend that stays quiet about tfjs-node (we are the fast path) and tells the
 * buffer pool which output buffers are held, read by callers, and freed.
 */
export class NativeBackend extends MathBackendCPU {
  private readonly pool = bufferPool();

  constructor() {
    super();
    silenceNodeHint(this);
  }

  override write(values: Values, shape: number[], dtype: tf.DataType): DataId {
    this.pool.registered(values);
    return super.write(values, shape, dtype);
  }

  override move(dataId: DataId, values: Values, shape: number[], dtype: tf.DataType, refCount: number): void {
    this.pool.registered(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override readSync(dataId: DataId): Values {
    const v = super.readSync(dataId);
    this.pool.escaped(v);
    return v;
  }

  override async read(dataId: DataId): Promise<Values> {
    const v = await super.read(dataId);
    this.pool.escaped(v);
    return v;
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const entry = this.data.has(dataId) ? this.data.get(dataId) : undefined;
    const freed = super.disposeData(dataId, force);
    if (entry && !this.data.has(dataId)) this.pool.released(entry.values);
    return freed;
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
    ...makeActivationGradKernels(addon), ...makeGatherKernels(addon), ...makePadKernels()];
  if (!registered) {
    tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(), priority);
    const overridden = new Set(overrides.map((k) => k.kernelName));
    for (const k of tf.getKernelsForBackend('cpu')) {
      // Skip kernels an op module already registered for native (e.g. MimoBatchNormTrain).
      if (!overridden.has(k.kernelName) && !tf.getKernel(k.kernelName, NATIVE_BACKEND)) tf.registerKernel({ ...k, backendName: NATIVE_BACKEND });
    }
    for (const k of overrides) tf.registerKernel(k);
    registerActivationGrads();
    registerReduceGrads();
    registered = true;
  }
  return overrides.map((k) => k.kernelName);
}

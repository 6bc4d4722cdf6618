export { initBackend, type BackendInfo, type BackendOptions } from './select.js';
export { loadAddon, type NativeAddon } from './addon.js';
export { NATIVE_BACKEND, NativeBackend, registerNativeBackend } from './native_backend.js';
export { convSignature } from './conv_kernels.js';
export { NATIVE_KERNELS, type NativeKernel } from './kernel_inventory.js';

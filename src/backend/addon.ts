/**
 * Loader for the C++ N-API addon (native/mimo_native.cc, built by node-gyp into
 * build/Release). Loading is lazy and never throws: a missing or broken addon is a
 * reason string, so the library can fall back to the pure-JS cpu backend.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package_root.js';

/** The functions the addon exports. All arrays are caller-owned and never copied. */
export interface NativeAddon {
  /** y = act(conv(x, w) + bias); sig = [n,h,w,c, kh,kw,o, oh,ow, sh,sw, dh,dw, pt,pl,pb,pr]. */
  conv2dForward(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array,
    sig: Int32Array, act: number, alpha: number): void;
  conv2dBackwardData(dy: Float32Array, w: Float32Array, dx: Float32Array, sig: Int32Array): void;
  conv2dBackwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, sig: Int32Array): void;
  /** c = act(a @ b + bias); sig = [batchA, batchB, batchOut, M, K, N, transA, transB]. */
  matmul(a: Float32Array, b: Float32Array, bias: Float32Array | null, c: Float32Array,
    sig: Int32Array, act: number, alpha: number): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  convImplInfo(sig: Int32Array): string;
  clearCache(): void;
  version(): string;
}

let cached: { addon: NativeAddon | null; reason: string } | undefined;

/** The addon, or null with the reason it could not be loaded. */
export function loadAddon(): { addon: NativeAddon | null; reason: string } {
  if (cached) return cached;
  const root = packageRoot() ?? process.cwd();
  // MIMO_NATIVE_ADDON points at another build (or, set to a missing file, forces the cpu fallback).
  const path = process.env.MIMO_NATIVE_ADDON || join(root, 'build', 'Release', 'mimo_native.node');
  if (!existsSync(path)) {
    cached = { addon: null, reason: `native addon not built (${path} missing): install the Debian package libdnnl-dev (apt-get install -y libdnnl-dev) and run npm run build:native` };
    return cached;
  }
  try {
    const require = createRequire(import.meta.url);
    cached = { addon: require(path) as NativeAddon, reason: '' };
  } catch (e) {
    cached = { addon: null, reason: `native addon ${path} failed to load (${(e as Error).message.split('\n')[0]}): is libdnnl2 installed (apt-get install -y libdnnl-dev)? Rebuild with npm run build:native` };
  }
  return cached;
}

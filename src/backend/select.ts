/**
 * Backend selection: `native` when the addon loads, otherwise the pure-JS `cpu`
 * backend with one warning that names what is missing. MIMO_BACKEND or an explicit
 * option overrides; MIMO_THREADS (default: all cores) sets oneDNN's thread count.
 */
import * as tf from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import { loadAddon } from './addon.js';
import { tuneGarbageCollector } from './gc_tuning.js';
import { NATIVE_BACKEND, registerNativeBackend, silenceNodeHint } from './native_backend.js';

export interface BackendOptions {
  /** 'native' | 'cpu' | any registered tfjs backend; default MIMO_BACKEND, else native when available. */
  backend?: string;
  /** oneDNN threads; default MIMO_THREADS, else the number of cores. */
  threads?: number;
  /** Where the one-time fallback warning goes (default: stderr). */
  warn?: (msg: string) => void;
}

export interface BackendInfo {
  backend: string;
  threads: number;
  nativeAvailable: boolean;
  /** Why native is unavailable ('' when it is). */
  reason: string;
  onednn?: string;
}

let warned = false;

function parseThreads(v: string | number | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`mimonets: thread count must be a whole number >= 1, got ${JSON.stringify(v)} (check --threads / MIMO_THREADS)`);
  }
  return n;
}

/** Chooses and activates a backend. Safe to call more than once. */
export async function initBackend(opts: BackendOptions = {}): Promise<BackendInfo> {
  const want = opts.backend ?? (process.env.MIMO_BACKEND || undefined);
  const threads = parseThreads(opts.threads ?? process.env.MIMO_THREADS) ?? availableParallelism();
  const { addon, reason } = loadAddon();
  if (addon) {
    registerNativeBackend(addon);
    addon.setNumThreads(threads);
  }
  let name: string;
  if (want === undefined) {
    name = addon ? NATIVE_BACKEND : 'cpu';
    if (!addon && !warned) {
      warned = true;
      (opts.warn ?? ((m) => process.stderr.write(m + '\n')))(
        `mimonets: using the slow pure-JS cpu backend: ${reason}`);
    }
  } else if (want === NATIVE_BACKEND && !addon) {
    throw new Error(`mimonets: backend 'native' was requested but ${reason}`);
  } else {
    if (!tf.engine().registryFactory[want]) {
      const known = Object.keys(tf.engine().registryFactory).join(', ');
      throw new Error(`mimonets: unknown backend '${want}' (known: ${known}); use --backend native|cpu or unset MIMO_BACKEND`);
    }
    name = want;
  }
  if (!(await tf.setBackend(name))) throw new Error(`mimonets: backend '${name}' failed to initialise`);
  if (name === NATIVE_BACKEND) tuneGarbageCollector(threads);
  // The cpu backend (used directly, or as the oracle next to native) advertises tfjs-node on first use.
  const cpu = tf.engine().findBackend('cpu');
  if (cpu) silenceNodeHint(cpu);
  return {
    backend: name,
    threads: name === NATIVE_BACKEND ? addon!.getNumThreads() : 1,
    nativeAvailable: addon !== null,
    reason,
    onednn: addon?.version(),
  };
}

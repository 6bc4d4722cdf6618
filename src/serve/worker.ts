/**
 * Worker-thread entry of `mimo serve`: owns the tfjs backend and the model, so the HTTP
 * event loop stays free (health checks answer under full load). Protocol (structured
 * clone; image buffers are transferred, not copied):
 *   → { id, type: 'classify', images: Uint8Array, count, plan }   ← { id, probs, passes, tensors }
 *   → { id, type: 'stats' }                                        ← { id, tensors }
 *   ← { type: 'ready', info } once at start, or { type: 'fatal', message }
 * Any failure of one request answers { id, error } and the worker keeps serving.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/index.js';
import { InferenceEngine, type EngineInfo } from './inference.js';

export interface WorkerOptions {
  checkpoint: string;
  backend?: string;
  threads?: number;
  maxSuperpositions: number;
}

type Request =
  | { id: number; type: 'classify'; images: Uint8Array; count: number; plan: { n: number; count: number }[] }
  | { id: number; type: 'stats' };

async function start(): Promise<void> {
  const port = parentPort!;
  const opts = workerData as WorkerOptions;
  let engine: InferenceEngine;
  let info: EngineInfo & { backend: string; threads: number };
  try {
    const b = await initBackend({ backend: opts.backend, threads: opts.threads });
    engine = new InferenceEngine(opts.checkpoint, opts.maxSuperpositions);
    info = { meta: engine.meta, points: engine.points, costs: engine.measureCosts(), backend: b.backend, threads: b.threads };
  } catch (e) {
    port.postMessage({ type: 'fatal', message: (e as Error).message });
    return;
  }
  port.on('message', (msg: Request) => {
    try {
      if (msg.type === 'classify') {
        const r = engine.classify(msg.images, msg.count, msg.plan);
        port.postMessage({ id: msg.id, probs: r.probs, passes: r.passes, tensors: tf.memory().numTensors }, [r.probs.buffer as ArrayBuffer]);
      } else {
        port.postMessage({ id: msg.id, tensors: tf.memory().numTensors });
      }
    } catch (e) {
      port.postMessage({ id: msg.id, error: (e as Error).message });
    }
  });
  port.postMessage({ type: 'ready', info });
}

void start();

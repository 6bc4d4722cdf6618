/**
 * The HTTP side's handle on the inference worker thread: request/response by id, image
 * buffers transferred, and a clear error for every pending call if the worker dies.
 */
import { Worker } from 'node:worker_threads';
import type { EngineInfo, PassTiming } from './inference.js';
import type { WorkerOptions } from './worker.js';

export type WorkerInfo = EngineInfo & { backend: string; threads: number };

export interface ClassifyReply {
  probs: Float32Array;
  passes: PassTiming[];
  tensors: number;
}

/** Classifies planned batches; the batcher depends on this interface only (tests fake it). */
export interface Runner {
  classify(images: Uint8Array, count: number, plan: { n: number; count: number }[]): Promise<ClassifyReply>;
}

interface Pending {
  resolve: (v: never) => void;
  reject: (e: Error) => void;
}

export class InferenceWorker implements Runner {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | null = null;
  /** Live tensors in the worker as of its last answer. */
  tensors = 0;

  private constructor(worker: Worker) {
    this.worker = worker;
  }

  /** Starts the worker, loads the checkpoint and measures costs; rejects with the worker's reason. */
  static start(opts: WorkerOptions): Promise<{ worker: InferenceWorker; info: WorkerInfo }> {
    const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: opts });
    const client = new InferenceWorker(w);
    return new Promise((resolve, reject) => {
      let ready = false;
      w.on('message', (msg: { type?: string; id?: number; info?: WorkerInfo; message?: string; error?: string }) => {
        if (msg.type === 'ready') {
          ready = true;
          resolve({ worker: client, info: msg.info! });
        } else if (msg.type === 'fatal') {
          reject(new Error(msg.message));
          void w.terminate();
        } else if (msg.id !== undefined) {
          const p = client.pending.get(msg.id);
          if (!p) return;
          client.pending.delete(msg.id);
          if (msg.error !== undefined) p.reject(new Error(msg.error));
          else {
            client.tensors = (msg as { tensors: number }).tensors;
            p.resolve(msg as never);
          }
        }
      });
      const die = (err: Error) => {
        client.dead = err;
        for (const p of client.pending.values()) p.reject(err);
        client.pending.clear();
        if (!ready) reject(err);
      };
      w.on('error', (e) => die(new Error(`inference worker failed: ${e.message}`)));
      w.on('exit', (code) => die(new Error(`inference worker exited (code ${code})`)));
    });
  }

  /** False once the worker has exited or failed (every later call is refused). */
  get alive(): boolean {
    return this.dead === null;
  }

  private call<T>(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: never) => void, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  classify(images: Uint8Array, count: number, plan: { n: number; count: number }[]): Promise<ClassifyReply> {
    return this.call<ClassifyReply>({ type: 'classify', images, count, plan }, [images.buffer as ArrayBuffer]);
  }

  /** Live tensors in the worker now. */
  async stats(): Promise<{ tensors: number }> {
    const r = await this.call<{ tensors: number }>({ type: 'stats' });
    this.tensors = r.tensors;
    return r;
  }

  async stop(): Promise<void> {
    this.dead ??= new Error('inference worker stopped');
    await this.worker.terminate();
  }
}

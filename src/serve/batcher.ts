/**
 * The request queue and micro-batcher of `mimo serve`. Requests wait in arrival order; as
 * soon as the worker is free, everything waiting (up to the largest pass) becomes one batch,
 * so an idle server adds no delay and a busy one batches more. The policy picks n per batch
 * from the queue depth and the latency budget; a request may force its own n.
 */
import { chooseN, splitPlan, type PassCost, type Policy } from './policy.js';
import type { Runner } from './worker_client.js';

export interface Classified {
  /** Per image: class probabilities. */
  probs: Float32Array[];
  /** Per image: the number of superposed inputs it was classified at. */
  n: number[];
}

export interface BatchRecord {
  images: number;
  plan: { n: number; count: number }[];
  seconds: number;
}

interface Entry {
  images: Uint8Array[];
  /** A forced n, or undefined for the server's policy. */
  n: number | undefined;
  arrived: number;
  /** Images of this request already taken into batches. */
  taken: number;
  probs: Float32Array[];
  ns: number[];
  done: number;
  resolve: (r: Classified) => void;
  reject: (e: Error) => void;
}

export interface BatcherOptions {
  policy: Policy;
  /** Served operating points (ascending). */
  points: number[];
  /** Measured pass costs per n; updated from live timings. */
  costs: Map<number, PassCost>;
  classes: number;
  /** Most superpositions in one batch (images = this · n). */
  maxSuperpositions: number;
  imageBytes: number;
  onBatch?: (b: BatchRecord) => void;
  now?: () => number;
}

export class Batcher {
  private readonly queue: Entry[] = [];
  private busy = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly runner: Runner, private readonly opts: BatcherOptions) {}

  /** Images waiting (not yet in a batch). */
  get queued(): number {
    return this.queue.reduce((s, e) => s + e.images.length - e.taken, 0);
  }

  /** Classifies the images of one request; `n` forces an operating point (must be served). */
  submit(images: Uint8Array[], n?: number): Promise<Classified> {
    if (images.length === 0) return Promise.resolve({ probs: [], n: [] });
    if (n !== undefined && !this.opts.points.includes(n)) {
      return Promise.reject(new Error(`n=${n} is not served; use one of ${this.opts.points.join(', ')} or auto`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ images, n, arrived: this.now(), taken: 0, probs: new Array(images.length), ns: new Array(images.length), done: 0, resolve, reject });
      this.pump();
    });
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (!this.busy && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : performance.now();
  }

  private pump(): void {
    if (this.busy) return;
    if (this.queue.length === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      w.forEach((f) => f());
      return;
    }
    this.busy = true;
    const head = this.queue[0];
    const mode = head.n;
    const same = this.queue.filter((e) => e.n === mode);
    const waiting = same.reduce((s, e) => s + e.images.length - e.taken, 0);
    const n = mode ?? chooseN(this.opts.policy, this.opts.points, this.opts.costs, waiting, this.now() - head.arrived);
    // Take up to the largest pass, in arrival order, from requests of the same mode.
    const limit = this.opts.maxSuperpositions * n;
    const parts: { entry: Entry; from: number; count: number }[] = [];
    let total = 0;
    for (const e of same) {
      if (total >= limit) break;
      const count = Math.min(e.images.length - e.taken, limit - total);
      parts.push({ entry: e, from: e.taken, count });
      e.taken += count;
      total += count;
    }
    for (const p of parts) if (p.entry.taken === p.entry.images.length) this.queue.splice(this.queue.indexOf(p.entry), 1);
    const plan = splitPlan(total, n, this.opts.points);
    const buf = new Uint8Array(total * this.opts.imageBytes);
    let at = 0;
    for (const p of parts) for (let i = 0; i < p.count; i++, at++) buf.set(p.entry.images[p.from + i], at * this.opts.imageBytes);
    const ns: number[] = plan.flatMap((s) => new Array<number>(s.count).fill(s.n));
    const t0 = this.now();
    this.runner.classify(buf, total, plan).then((r) => {
      this.learn(r.passes);
      this.opts.onBatch?.({ images: total, plan, seconds: (this.now() - t0) / 1000 });
      this.busy = false;
      const C = this.opts.classes;
      let k = 0;
      for (const p of parts) {
        for (let i = 0; i < p.count; i++, k++) {
          p.entry.probs[p.from + i] = r.probs.slice(k * C, (k + 1) * C);
          p.entry.ns[p.from + i] = ns[k];
        }
        p.entry.done += p.count;
        if (p.entry.done === p.entry.images.length) p.entry.resolve({ probs: p.entry.probs, n: p.entry.ns });
      }
      this.pump();
    }, (err: Error) => {
      this.busy = false;
      for (const p of parts) {
        // A failed batch fails its requests (once), including parts still queued.
        const i = this.queue.indexOf(p.entry);
        if (i >= 0) this.queue.splice(i, 1);
        p.entry.reject(err);
      }
      this.pump();
    });
  }

  /** Live per-image times (pass time less the measured overhead) nudge the cost model. */
  private learn(passes: { n: number; count: number; seconds: number }[]): void {
    for (const p of passes) {
      const c = this.opts.costs.get(p.n);
      if (!c || p.count < 4 * p.n) continue;
      const perImage = Math.max(0, (p.seconds - c.overheadS) / p.count);
      this.opts.costs.set(p.n, { overheadS: c.overheadS, perImageS: 0.8 * c.perImageS + 0.2 * perImage });
    }
  }
}

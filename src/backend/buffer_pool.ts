/**
 * Reuse of kernel output buffers on the `native` backend.
 *
 * Every tfjs kernel output is a fresh Float32Array, and V8 frees an ArrayBuffer only when
 * it collects the wrapper. A training step allocates gigabytes this way: V8 answers the
 * "external memory pressure" with a scavenge every few milliseconds and a mark-compact
 * every ~50 ms (`node --trace-gc`; a quarter of a MIMOFormer forward's time here), and
 * fresh memory costs page faults (~14 µs per 4 KiB page on these VMs). The pool keeps the
 * buffers of disposed tensors and hands them to the next output of the same length.
 *
 * Safety: a buffer is reused only if nothing outside the backend can still see it.
 * - Only arrays made by `take` are eligible (kernels that write every value use it).
 * - Reading a tensor's values (dataSync / data / arraySync all go through the backend's
 *   read/readSync) marks its buffer as escaped for good: the caller may keep the array.
 * - Registering an eligible buffer under a second live tensor, or a view of it (a cpu
 *   kernel's Slice returns a subarray of its input), marks it as aliased for good.
 * A buffer returns to the pool when the last tensor holding it is disposed and it is
 * neither escaped nor aliased. The pool holds at most `capBytes` (MIMO_POOL_MB, default
 * 2048; 0 turns pooling off).
 */

/** A Float32Array of n values whose memory is NOT zeroed (for outputs written in full). */
export function uninitF32Raw(n: number): Float32Array {
  if (n === 0) return new Float32Array(0);
  const b = Buffer.allocUnsafeSlow(n * 4); // its own ArrayBuffer, byteOffset 0
  return new Float32Array(b.buffer, b.byteOffset, n);
}

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  /** Buffers made by take(), with the number of live tensors holding them. */
  private readonly live = new WeakMap<ArrayBuffer, number>();
  private readonly owned = new WeakMap<ArrayBuffer, Float32Array>();
  private readonly tainted = new WeakSet<ArrayBuffer>();
  private pooledBytes = 0;
  /** Counters for tests and benchmarks. */
  readonly stats = { taken: 0, reused: 0, returned: 0, tainted: 0 };

  constructor(readonly capBytes: number) {}

  /** An uninitialised Float32Array of n values, reused from a disposed tensor when one fits. */
  take(n: number): Float32Array {
    this.stats.taken++;
    const list = this.free.get(n);
    if (list && list.length > 0) {
      const a = list.pop()!;
      this.pooledBytes -= a.byteLength;
      this.stats.reused++;
      return a;
    }
    const a = uninitF32Raw(n);
    if (n > 0 && this.capBytes > 0) this.owned.set(a.buffer as ArrayBuffer, a);
    return a;
  }

  private taint(buf: ArrayBuffer): void {
    if (!this.tainted.has(buf)) {
      this.tainted.add(buf);
      this.stats.tainted++;
    }
  }

  /** The backend registers values under a new tensor. */
  registered(values: unknown): void {
    if (!(values instanceof Float32Array)) return;
    const buf = values.buffer as ArrayBuffer;
    const mine = this.owned.get(buf);
    if (mine === undefined) return;
    const n = this.live.get(buf) ?? 0;
    if (values !== mine || n > 0) this.taint(buf); // a view of it, or a second holder
    this.live.set(buf, n + 1);
  }

  /** A caller outside the backend got hold of the values. */
  escaped(values: unknown): void {
    if (ArrayBuffer.isView(values) && this.owned.has(values.buffer as ArrayBuffer)) this.taint(values.buffer as ArrayBuffer);
  }

  /** The tensor holding `values` was freed by the backend. */
  released(values: unknown): void {
    if (!(values instanceof Float32Array)) return;
    const buf = values.buffer as ArrayBuffer;
    const mine = this.owned.get(buf);
    if (mine === undefined) return;
    const n = (this.live.get(buf) ?? 1) - 1;
    this.live.set(buf, n);
    if (n > 0 || values !== mine || this.tainted.has(buf)) return;
    if (this.pooledBytes + mine.byteLength > this.capBytes) return; // left to the GC
    let list = this.free.get(mine.length);
    if (!list) this.free.set(mine.length, (list = []));
    list.push(mine);
    this.pooledBytes += mine.byteLength;
    this.stats.returned++;
  }

  /** Bytes held for reuse. */
  get bytes(): number {
    return this.pooledBytes;
  }

  /** Drops every pooled buffer (the GC frees them). */
  clear(): void {
    this.free.clear();
    this.pooledBytes = 0;
  }
}

function capFromEnv(): number {
  const v = process.env.MIMO_POOL_MB;
  if (v === undefined || v === '') return 2048 * 2 ** 20;
  const mb = Number(v);
  if (!Number.isFinite(mb) || mb < 0) throw new Error(`mimonets: MIMO_POOL_MB must be a number of megabytes >= 0 (0 turns buffer reuse off), got ${JSON.stringify(v)}`);
  return mb * 2 ** 20;
}

let shared: BufferPool | null = null;

/** The process's pool (the native backend registers and frees through it). */
export function bufferPool(): BufferPool {
  return (shared ??= new BufferPool(capFromEnv()));
}

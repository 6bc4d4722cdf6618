/**
 * Server metrics in the Prometheus text exposition format (version 0.0.4): counters,
 * gauges and histograms with optional labels, no dependency.
 */

type Labels = Record<string, string | number>;

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function key(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

interface Family {
  kind: 'counter' | 'gauge' | 'histogram';
  help: string;
  render(name: string): string[];
}

export class Counter implements Family {
  readonly kind = 'counter' as const;
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly help: string) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    const e = this.values.get(k) ?? { labels, value: 0 };
    e.value += by;
    this.values.set(k, e);
  }
  get(labels: Labels = {}): number {
    return this.values.get(key(labels))?.value ?? 0;
  }
  render(name: string): string[] {
    return [...this.values.values()].map((e) => `${name}${labelText(e.labels)} ${e.value}`);
  }
}

export class Gauge implements Family {
  readonly kind = 'gauge' as const;
  private value = 0;
  constructor(readonly help: string, private readonly read?: () => number) {}
  set(v: number): void {
    this.value = v;
  }
  get(): number {
    return this.read ? this.read() : this.value;
  }
  render(name: string): string[] {
    return [`${name} ${this.get()}`];
  }
}

export class Histogram implements Family {
  readonly kind = 'histogram' as const;
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(readonly help: string, readonly buckets: readonly number[]) {
    this.counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    this.buckets.forEach((b, i) => { if (v <= b) this.counts[i]++; });
  }
  /** The q-quantile estimated from the buckets (upper bound of the bucket that holds it). */
  quantile(q: number): number {
    const target = q * this.count;
    const i = this.counts.findIndex((c) => c >= target);
    return i < 0 ? Infinity : this.buckets[i];
  }
  get total(): number {
    return this.count;
  }
  render(name: string): string[] {
    return [
      ...this.buckets.map((b, i) => `${name}_bucket{le="${b}"} ${this.counts[i]}`),
      `${name}_bucket{le="+Inf"} ${this.count}`,
      `${name}_sum ${this.sum}`,
      `${name}_count ${this.count}`,
    ];
  }
}

/** A set of named metric families rendered together. */
export class Registry {
  private readonly families = new Map<string, Family>();
  add<F extends Family>(name: string, family: F): F {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`metric name '${name}' is not valid in Prometheus`);
    this.families.set(name, family);
    return family;
  }
  render(): string {
    const lines: string[] = [];
    for (const [name, f] of this.families) {
      lines.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.kind}`, ...f.render(name));
    }
    return lines.join('\n') + '\n';
  }
}

/** The server's metrics. */
export function serverMetrics(extra: { tensors: () => number }) {
  const registry = new Registry();
  return {
    registry,
    requests: registry.add('mimo_requests_total', new Counter('HTTP requests by route and status code')),
    images: registry.add('mimo_images_total', new Counter('Images classified, by the number of superposed inputs n they were classified at')),
    batches: registry.add('mimo_batches_total', new Counter('Micro-batches run, by the n chosen')),
    errors: registry.add('mimo_errors_total', new Counter('Requests answered with an error, by code')),
    batchImages: registry.add('mimo_batch_images', new Histogram('Images per micro-batch', [1, 2, 4, 8, 16, 32, 64, 128, 256, 512])),
    latency: registry.add('mimo_request_latency_seconds', new Histogram('Time from a classify request\'s arrival to its answer', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])),
    queue: registry.add('mimo_queue_images', new Gauge('Images waiting for a micro-batch')),
    tensors: registry.add('mimo_tensors', new Gauge('Live tensors in the inference worker (flat when nothing leaks)', extra.tensors)),
    rss: registry.add('mimo_resident_memory_bytes', new Gauge('Resident memory of the server process', () => process.memoryUsage().rss)),
  };
}

export type ServerMetrics = ReturnType<typeof serverMetrics>;

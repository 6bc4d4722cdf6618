/**
 * Load test of `mimo serve`: a server in a child process on loopback, autocannon clients in
 * this one, one image per request. Every run is bounded in time; between runs the server's
 * /metrics gives the images classified per n, live tensors and resident memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export interface ServerMetricsSnapshot {
  /** Images classified so far, per n. */
  images: Record<number, number>;
  tensors: number;
  rss: number;
  errors: number;
}

export interface LoadRun {
  mode: string;
  clients: number;
  seconds: number;
  requests: number;
  images_per_s: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
  errors: number;
  /** Share of the run's images classified at each n. */
  n_share: Record<string, number>;
  tensors_before: number;
  tensors_after: number;
  rss_before_mb: number;
  rss_after_mb: number;
}

const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** Starts `mimo serve` on a free loopback port; resolves with its URL once it listens. */
export function spawnServer(args: string[], onLog: (line: string) => void = () => {}): Promise<{ url: string; child: ChildProcess; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stdout!.resume();
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      for (const line of d.toString().split('\n')) if (line.trim()) onLog(line);
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        resolve({
          url: m[1], child,
          stop: () => new Promise((r) => { child.once('exit', (code) => r(code)); child.kill('SIGTERM'); }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`mimo serve exited (code ${code}) before listening:\n${err.trim().split('\n').slice(-5).join('\n')}`)));
  });
}

/** Reads the counters this benchmark needs from the server's Prometheus text. */
export async function snapshot(url: string): Promise<ServerMetricsSnapshot> {
  const text = await (await fetch(url + '/metrics')).text();
  const images: Record<number, number> = {};
  for (const m of text.matchAll(/^mimo_images_total\{n="(\d+)"\} (\d+)$/gm)) images[Number(m[1])] = Number(m[2]);
  const one = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  let errors = 0;
  for (const m of text.matchAll(/^mimo_errors_total\{code="\d+"\} (\d+)$/gm)) errors += Number(m[1]);
  return { images, tensors: one('mimo_tensors'), rss: one('mimo_resident_memory_bytes'), errors };
}

/** Waits (at most 60 s) until the server has no request in progress. */
async function drained(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const h = await (await fetch(url + '/healthz')).json() as { queue: number; in_flight: number };
    if (h.queue === 0 && h.in_flight === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not drain within 60 s`);
}

/**
 * One bounded run: `clients` connections, each sending one-image requests (cycling through
 * `bodies`) back to back for `seconds`.
 */
export async function loadRun(url: string, mode: string, clients: number, seconds: number, bodies: string[]): Promise<LoadRun> {
  await drained(url);
  const before = await snapshot(url);
  const r = await autocannon({
    url, connections: clients, duration: seconds, pipelining: 1, timeout: 30,
    requests: bodies.map((body) => ({ method: 'POST', path: '/v1/classify', headers: { 'content-type': 'application/json' }, body })),
  });
  // Requests still queued when the clients stopped are answered (to closed sockets) first.
  await drained(url);
  const after = await snapshot(url);
  const ns = [...new Set([...Object.keys(before.images), ...Object.keys(after.images)].map(Number))].sort((a, b) => a - b);
  const delta = Object.fromEntries(ns.map((n) => [n, (after.images[n] ?? 0) - (before.images[n] ?? 0)]));
  const total = Object.values(delta).reduce((s, v) => s + v, 0);
  const ok = r['2xx'];
  return {
    mode, clients, seconds: r.duration, requests: ok,
    images_per_s: Math.round((ok / r.duration) * 10) / 10,
    latency_p50_ms: r.latency.p50, latency_p99_ms: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx + (after.errors - before.errors),
    n_share: Object.fromEntries(ns.map((n) => [`n=${n}`, total ? Math.round((delta[n] / total) * 1000) / 1000 : 0])),
    tensors_before: before.tensors, tensors_after: after.tensors,
    rss_before_mb: Math.round(before.rss / 2 ** 20), rss_after_mb: Math.round(after.rss / 2 ** 20),
  };
}

/**
 * `mimo serve`: an HTTP inference server for a MIMOConv checkpoint that switches the number
 * of superposed inputs per micro-batch, with no reload.
 *
 * Routes:
 *   POST /v1/classify          JSON {"images":[...]} or {"image":...} (see decode.ts), or a raw
 *                              image/png | image/jpeg body; optional "n" (or ?n=) forces n.
 *   GET  /v1/operating-points  accuracy (recorded in the checkpoint) and throughput per n
 *   GET  /v1/samples           CIFAR-10 test images (PNG data URLs) for the demo page
 *   GET  /v1/plot.svg          the accuracy–throughput plot of the operating points
 *   GET  /metrics              Prometheus text;  GET /healthz  liveness
 *   GET  /                     the browser demo
 *   GET  /web/                 the same model run in the visitor's browser by TensorFlow.js
 *                              (the page `mimo export web` writes, built on first request)
 * Every error is a JSON body {"error": {"code", "message"}} with a 4xx/5xx status; nothing
 * a client sends can crash the process. Images of another size are resized to 32x32.
 * With an API key every path but the open ones (default /healthz) answers 401 unless the request
 * carries the key ("Authorization: Bearer K" or "X-API-Key: K"; compared in constant time).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname } from 'node:path';
import { Batcher } from './batcher.js';
import { BadRequestError, parseClassifyBody } from './decode.js';
import { IMAGE_SIZE } from './inference.js';
import { serverMetrics, type ServerMetrics } from './metrics.js';
import { parsePolicy, passSeconds, type Policy } from './policy.js';
import { InferenceWorker, type WorkerInfo } from './worker_client.js';
import { Pages } from './pages.js';
import { loadConvCheckpoint } from '../checkpoint/conv.js';
import { webAssets, type WebSample } from '../web/export_web.js';

const WEB_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.json': 'application/json', '.bin': 'application/octet-stream' };
import { modelName } from '../models/mimoconv/config.js';

export interface ServeOptions {
  checkpoint: string;
  host?: string;
  port?: number;
  /** 'auto' or 'n=K'. */
  policy?: string;
  maxLatencyMs?: number;
  /** Largest micro-batch, in superpositions (images = this · n). */
  maxSuperpositions?: number;
  /** Request bodies above this many bytes are refused with 413. */
  maxBodyBytes?: number;
  /** Most images in one request. */
  maxImages?: number;
  /** A request body must arrive within this many ms (slow clients get 408). */
  bodyTimeoutMs?: number;
  backend?: string;
  threads?: number;
  dataDir?: string;
  /** Requests must carry this key (Authorization: Bearer K or X-API-Key: K); '' or absent: no key. */
  apiKey?: string;
  /** Paths answered without the key (default ['/healthz']). */
  openPaths?: string[];
  log?: (line: string) => void;
}

export const SERVE_DEFAULTS = {
  host: '127.0.0.1', port: 8080, policy: 'auto', maxLatencyMs: 100, maxSuperpositions: 128,
  maxBodyBytes: 8 * 1024 * 1024, maxImages: 512, bodyTimeoutMs: 10_000, apiKey: '', openPaths: ['/healthz'],
};

/** The key a request carries (Bearer token or X-API-Key header), or null. */
function requestKey(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1];
  }
  const h = req.headers['x-api-key'];
  return typeof h === 'string' ? h : null;
}

/** Constant-time key comparison: digests of equal length, so neither content nor length leaks through timing. */
export function keyMatches(given: string | null, key: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v, 'utf8').digest();
  return given !== null && timingSafeEqual(digest(given), digest(key));
}

export interface RunningServer {
  url: string;
  info: WorkerInfo;
  policy: Policy;
  metrics: ServerMetrics;
  /** The inference worker (its tensor count, or stopping it to see the server fail cleanly). */
  worker: InferenceWorker;
  /** Stops accepting, finishes in-flight requests, stops the worker. */
  close(): Promise<void>;
}

const ROUTES = ['/v1/classify', '/v1/operating-points', '/healthz', '/metrics', '/v1/samples', '/v1/plot.svg', '/', '/web/'];
const CLASSIFY_TYPES = ['application/json', 'image/png', 'image/jpeg'];

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  send(res, status, { error: { code, message } }, headers);
}

/** Reads a body up to a byte limit and a deadline; rejects with a BadRequestError. */
function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BadRequestError(413, `request body of ${declared} bytes is over the limit of ${limit} bytes; send fewer or smaller images per request`, 'body_too_large'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | null, body?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err); else resolve(body!);
    };
    const timer = setTimeout(() => finish(new BadRequestError(408, `the request body did not arrive within ${timeoutMs} ms; send the whole body at once`, 'body_timeout')), timeoutMs);
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) finish(new BadRequestError(413, `request body is over the limit of ${limit} bytes; send fewer or smaller images per request`, 'body_too_large'));
      else if (!settled) chunks.push(c);
    });
    req.on('end', () => finish(null, Buffer.concat(chunks)));
    req.on('error', (e) => finish(new BadRequestError(400, `reading the request failed: ${e.message}`, 'bad_body')));
    req.on('aborted', () => finish(new BadRequestError(400, 'the client closed the request before the body was complete', 'aborted')));
  });
}

function parseN(v: unknown, points: number[]): number | undefined {
  if (v === undefined || v === null || v === 'auto') return undefined;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !points.includes(n)) {
    throw new BadRequestError(422, `n=${JSON.stringify(v)} is not an operating point of this model; use "auto" or one of ${points.join(', ')}`, 'bad_n');
  }
  return n;
}

/** Starts the worker (loads the checkpoint, measures costs), then listens. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const o = { ...SERVE_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as Required<ServeOptions>;
  const log = options.log ?? (() => {});
  if (!(o.maxLatencyMs > 0)) throw new Error(`--max-latency-ms must be > 0, got ${o.maxLatencyMs}`);
  const badPath = o.openPaths.find((p) => !ROUTES.includes(p) && p !== '/index.html');
  if (badPath !== undefined) throw new Error(`open path '${badPath}' is not a route of the server; use some of ${ROUTES.join(', ')}`);
  const { worker, info } = await InferenceWorker.start({ checkpoint: o.checkpoint, backend: o.backend, threads: o.threads, maxSuperpositions: o.maxSuperpositions });
  let policy: Policy;
  try {
    policy = parsePolicy(o.policy, info.points, o.maxLatencyMs);
  } catch (e) {
    await worker.stop();
    throw e;
  }
  const metrics = serverMetrics({ tensors: () => worker.tensors });
  const costs = new Map(info.costs);
  const classes = info.meta.model.classes;
  const imageBytes = IMAGE_SIZE.height * IMAGE_SIZE.width * IMAGE_SIZE.channels;
  const batcher = new Batcher(worker, {
    policy, points: info.points, costs, classes, maxSuperpositions: o.maxSuperpositions, imageBytes,
    onBatch: (b) => {
      metrics.batchImages.observe(b.images);
      for (const p of b.plan) {
        metrics.batches.inc({ n: p.n });
        metrics.images.inc({ n: p.n }, p.count);
      }
    },
  });
  const pages = new Pages({ meta: info.meta, points: info.points, dataDir: o.dataDir });
  const name = modelName(info.meta.model);
  // GET /web/: the page `mimo export web` writes, built from the checkpoint on first use: the
  // same model run by TensorFlow.js in the visitor's browser instead of by this server.
  let web: Map<string, Uint8Array> | undefined;
  const webFiles = (): Map<string, Uint8Array> => {
    if (!web) {
      const { net, meta } = loadConvCheckpoint(o.checkpoint);
      try {
        let samples: WebSample[] = [];
        try {
          samples = (pages.samples(48, 0) as { images: WebSample[] }).images;
        } catch { /* no test set: the page takes the visitor's own images */ }
        web = new Map(webAssets(net, meta, { checkpoint: o.checkpoint, samples, classNames: pages.classNames }).map((a) => [a.path, a.data]));
      } finally {
        net.dispose();
      }
    }
    return web;
  };

  const operatingPoints = () => info.points.map((n) => {
    const rec = info.meta.operatingPoints?.find((p) => p.n === n);
    const batchImages = o.maxSuperpositions * n;
    return {
      n,
      accuracy: rec?.accuracy ?? null,
      images_per_s: rec?.images_per_s ?? null,
      measured_images_per_s: Math.round(batchImages / passSeconds(costs, n, batchImages)),
    };
  });

  async function classify(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const t0 = performance.now();
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!CLASSIFY_TYPES.includes(type)) {
      throw new BadRequestError(415, `content type '${type || '(none)'}' is not accepted; send application/json ({"images": [...]}) or a raw image/png or image/jpeg body`, 'unsupported_media_type');
    }
    const raw = await readBody(req, o.maxBodyBytes, o.bodyTimeoutMs);
    let body: unknown;
    if (type === 'application/json') {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (e) {
        throw new BadRequestError(400, `the body is not valid JSON (${(e as Error).message}); send {"images": [...]}`, 'bad_json');
      }
    } else {
      body = { image: raw.toString('base64') };
    }
    const parsed = parseClassifyBody(body, IMAGE_SIZE, { maxImages: o.maxImages });
    const n = parseN(parsed.n ?? url.searchParams.get('n') ?? undefined, info.points);
    const r = await batcher.submit(parsed.images, n);
    const names = pages.classNames;
    const results = r.probs.map((p, i) => {
      let best = 0;
      for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
      return { label: names[best], class: best, probability: round(p[best], 5), probabilities: Array.from(p, (v) => round(v, 5)), n: r.n[i] };
    });
    const latency = (performance.now() - t0) / 1000;
    metrics.latency.observe(latency);
    send(res, 200, { model: name, results, latency_ms: round(latency * 1000, 2) });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<string> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      throw new BadRequestError(400, `malformed request target '${req.url}'`, 'bad_url');
    }
    const path = url.pathname;
    const open = o.openPaths.includes(path) || (path.startsWith('/web/') && o.openPaths.includes('/web/'));
    if (o.apiKey && !open && !keyMatches(requestKey(req), o.apiKey)) {
      throw Object.assign(new BadRequestError(401, 'missing or wrong API key: send it as "Authorization: Bearer <key>" or "X-API-Key: <key>"', 'unauthorized'), { authenticate: 'Bearer' });
    }
    const allow = (methods: string[]) => {
      if (!methods.includes(req.method ?? '')) {
        throw Object.assign(new BadRequestError(405, `${req.method} is not allowed on ${path}; use ${methods.join(' or ')}`, 'method_not_allowed'), { allow: methods.join(', ') });
      }
    };
    if (path === '/web' || path.startsWith('/web/')) {
      allow(['GET']);
      if (path === '/web') {
        res.writeHead(301, { location: '/web/' }).end();
        return '/web/';
      }
      const asset = webFiles().get(path.slice('/web/'.length) || 'index.html');
      if (!asset) throw new BadRequestError(404, `no file ${path} in the in-browser page; open /web/`, 'not_found');
      res.writeHead(200, { 'content-type': WEB_TYPES[extname(path) || '.html'] ?? 'application/octet-stream', 'content-length': asset.length, 'cache-control': 'no-cache' });
      res.end(asset);
      return '/web/';
    }
    switch (path) {
      case '/v1/classify':
        allow(['POST']);
        await classify(req, res, url);
        return path;
      case '/v1/operating-points':
        allow(['GET']);
        send(res, 200, { model: name, capacity: info.meta.model.capacity, binding: info.meta.model.binding, policy: o.policy, max_latency_ms: o.maxLatencyMs, points: operatingPoints(),
          source: info.meta.operatingPoints ? 'accuracy and images_per_s: the checkpoint\'s recorded CIFAR-10 test evaluation; measured_images_per_s: this server at start-up' : 'the checkpoint has no recorded evaluation (run `mimo eval --record`); measured_images_per_s: this server at start-up' });
        return path;
      case '/healthz':
        allow(['GET']);
        // in_flight: other requests being answered (this one excluded).
        if (!worker.alive) send(res, 503, { status: 'unavailable', error: { code: 'worker_down', message: 'the inference worker has stopped; restart the server' } });
        else send(res, 200, { status: 'ok', queue: batcher.queued, in_flight: inFlight - 1, tensors: worker.tensors });
        return path;
      case '/metrics':
        allow(['GET']);
        metrics.queue.set(batcher.queued);
        send(res, 200, metrics.registry.render(), { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        return path;
      case '/v1/samples': {
        allow(['GET']);
        const count = Number(url.searchParams.get('count') ?? 12), offset = Number(url.searchParams.get('offset') ?? 0);
        send(res, 200, pages.samples(count, offset));
        return path;
      }
      case '/v1/plot.svg':
        allow(['GET']);
        send(res, 200, pages.plotSvg(operatingPoints()), { 'content-type': 'image/svg+xml' });
        return path;
      case '/':
      case '/index.html':
        allow(['GET']);
        send(res, 200, pages.index(), { 'content-type': 'text/html; charset=utf-8' });
        return '/';
      default:
        throw new BadRequestError(404, `no route ${path}; see GET / for the demo or POST /v1/classify`, 'not_found');
    }
  }

  let inFlight = 0;
  let closing = false;
  const server: Server = createServer((req, res) => {
    inFlight++;
    let routeName = 'other';
    route(req, res).then((r) => { routeName = r; }, (e: unknown) => {
      if (e instanceof BadRequestError) {
        const path = (req.url ?? '').split('?')[0];
        if (ROUTES.includes(path)) routeName = path;
        const { allow, authenticate } = e as { allow?: string; authenticate?: string };
        sendError(res, e.status, e.code, e.message, { ...(allow ? { allow } : {}), ...(authenticate ? { 'www-authenticate': authenticate } : {}) });
        // A refused upload is not read further: close the connection after the answer.
        if (e.status === 413 || e.status === 408) res.on('finish', () => req.destroy());
      } else {
        const message = e instanceof Error ? e.message : String(e);
        log(`error: ${message}`);
        if (!worker.alive) sendError(res, 503, 'worker_down', `the inference worker has stopped (${message}); restart the server`);
        else sendError(res, 500, 'internal', `the server failed: ${message}`);
      }
    }).finally(() => {
      inFlight--;
      metrics.requests.inc({ route: routeName, code: res.statusCode });
      if (res.statusCode >= 400) metrics.errors.inc({ code: res.statusCode });
      if (closing && inFlight === 0) drained();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = o.bodyTimeoutMs + 5_000;
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n' + JSON.stringify({ error: { code: 'bad_http', message: `malformed HTTP request: ${err.message}` } }));
    else socket.destroy();
  });
  let drained: () => void = () => {};
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`cannot listen on ${o.host}:${o.port}: ${(e as Error).message}; choose another --port or --host`)));
    server.listen(o.port, o.host, () => resolve());
  }).catch(async (e) => {
    await worker.stop();
    throw e;
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    info,
    policy,
    metrics,
    worker,
    async close() {
      closing = true;
      const done = new Promise<void>((r) => { drained = r; if (inFlight === 0) r(); });
      server.close();
      server.closeIdleConnections();
      await done;
      await batcher.idle();
      server.closeAllConnections();
      await worker.stop();
    },
  };
}

function round(v: number, d: number): number {
  return Math.round(v * 10 ** d) / 10 ** d;
}

// `mimo serve` end to end on a tiny checkpoint: answers equal the model run in-process, 50+
// kinds of bad request get 4xx JSON errors and leave the server classifying correctly, health
// checks answer while inference is busy, tensors stay flat, and SIGTERM drains in-flight work.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { initBackend } from '../../src/backend/index.js';
import { InferenceEngine, passSizes } from '../../src/serve/inference.js';
import { keyMatches, startServer, type RunningServer } from '../../src/serve/server.js';
import { tinyServeCheckpoint, TINY_POINTS } from '../helpers/serve_model.js';
import { tempDirs } from '../helpers/tmp.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const dirs = tempDirs('mimo-serve-');
let ckpt: string;
let server: RunningServer;
let engine: InferenceEngine;

/** Deterministic 32x32 RGB test images. */
function image(seed: number): Uint8Array {
  const a = new Uint8Array(32 * 32 * 3);
  for (let i = 0; i < a.length; i++) a[i] = (Math.imul(i + 1, 2654435761 ^ seed * 97) >>> 23) & 255;
  return a;
}

function pngBase64(rgb: Uint8Array, w = 32, h = 32): string {
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) {
    png.data.set([rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], 255], 4 * i);
  }
  return PNG.sync.write(png).toString('base64');
}

const raw = (rgb: Uint8Array) => ({ shape: [32, 32, 3], data: Array.from(rgb) });

async function post(body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }, path = '/v1/classify') {
  const r = await fetch(server.url + path, { method: 'POST', headers, body: typeof body === 'string' ? body : body instanceof Uint8Array ? new Blob([body as Uint8Array<ArrayBuffer>]) : JSON.stringify(body) });
  return { status: r.status, json: await r.json() as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The engine's probabilities for images classified together at n (the oracle). */
function oracle(images: Uint8Array[], n: number): number[][] {
  const buf = new Uint8Array(images.length * 3072);
  images.forEach((im, i) => buf.set(im, i * 3072));
  const { probs } = engine.classify(buf, images.length, [{ n, count: images.length }]);
  return images.map((_, i) => Array.from(probs.subarray(i * 10, (i + 1) * 10)));
}

function assertProbsClose(got: number[], want: number[], what: string) {
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-4, `${what}: class ${i}: ${v} vs ${want[i]}`));
}

/** The server classifies 4 known images at every n exactly as the model does in-process. */
async function checkClassifiesCorrectly() {
  const imgs = [image(1), image(2), image(3), image(4)];
  for (const n of [1, 2, 4]) {
    const r = await post({ images: imgs.map((im, i) => (i % 2 ? raw(im) : pngBase64(im))), n });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const want = oracle(imgs, n);
    r.json.results.forEach((res: { probabilities: number[]; n: number; class: number; label: string }, i: number) => {
      assert.equal(res.n, n);
      assertProbsClose(res.probabilities, want[i], `n=${n} image ${i}`);
      assert.equal(res.class, want[i].indexOf(Math.max(...want[i])));
      assert.equal(typeof res.label, 'string');
    });
  }
}

before(async () => {
  await initBackend();
  ckpt = tinyServeCheckpoint(dirs());
  engine = new InferenceEngine(ckpt);
  server = await startServer({ checkpoint: ckpt, port: 0, maxBodyBytes: 1_000_000, maxImages: 64, bodyTimeoutMs: 1500 }); // short enough for the slow-body case, long enough for 64-image bodies on a loaded machine
});

after(async () => {
  await server?.close();
  engine?.dispose();
});

test('health, operating points and metrics', async () => {
  const h = await fetch(server.url + '/healthz');
  assert.equal(h.status, 200);
  assert.equal((await h.json() as { status: string }).status, 'ok');
  const op = await (await fetch(server.url + '/v1/operating-points')).json() as { capacity: number; points: { n: number; accuracy: number; measured_images_per_s: number }[] };
  assert.equal(op.capacity, 4);
  assert.deepEqual(op.points.map((p) => [p.n, p.accuracy]), TINY_POINTS.map((p) => [p.n, p.accuracy]));
  assert.ok(op.points.every((p) => p.measured_images_per_s > 0));
  const m = await fetch(server.url + '/metrics');
  assert.match(m.headers.get('content-type') ?? '', /text\/plain; version=0.0.4/);
  assert.match(await m.text(), /# TYPE mimo_request_latency_seconds histogram/);
  const svg = await fetch(server.url + '/v1/plot.svg');
  assert.equal(svg.status, 200);
  assert.match(await svg.text(), /<svg[\s\S]*n=4/);
});

test('classifications equal the model run in-process, at every n, from PNG, JPEG and raw input', async () => {
  await checkClassifiesCorrectly();
  // A raw PNG body and a JPEG (lossy, so compare with the decoded JPEG's pixels) at n=1.
  const im = image(9);
  const r = await post(Buffer.from(pngBase64(im), 'base64'), { 'content-type': 'image/png' }, '/v1/classify?n=1');
  assert.equal(r.status, 200);
  assertProbsClose(r.json.results[0].probabilities, oracle([im], 1)[0], 'raw png body');
  const jpg = jpeg.encode({ data: Buffer.from(Array.from({ length: 1024 }, (_, i) => [im[3 * i], im[3 * i + 1], im[3 * i + 2], 255]).flat()), width: 32, height: 32 }, 100).data;
  const dec = jpeg.decode(jpg, { formatAsRGBA: false, useTArray: true }).data;
  const rj = await post({ image: `data:image/jpeg;base64,${Buffer.from(jpg).toString('base64')}`, n: 1 });
  assert.equal(rj.status, 200);
  assertProbsClose(rj.json.results[0].probabilities, oracle([new Uint8Array(dec)], 1)[0], 'jpeg');
  // Auto on an idle server: n=1.
  const a = await post({ image: raw(image(5)) });
  assert.equal(a.json.results[0].n, 1);
});

/** Sends raw bytes on a socket and returns the status line's code (or 0 when closed without one). */
function rawRequest(text: string | Buffer, opts: { pauseMs?: number; rest?: string; destroyAfterMs?: number } = {}): Promise<number> {
  const { port, hostname } = new URL(server.url);
  return new Promise((resolve) => {
    const s = connect(Number(port), hostname);
    let data = '';
    s.on('data', (d) => { data += d.toString(); });
    s.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0)));
    s.on('error', () => {});
    s.write(text);
    if (opts.rest !== undefined) setTimeout(() => s.writable && s.write(opts.rest!), opts.pauseMs ?? 0);
    if (opts.destroyAfterMs !== undefined) setTimeout(() => s.destroy(), opts.destroyAfterMs);
    setTimeout(() => s.destroy(), 3000);
  });
}

test('more than 50 kinds of bad request each get a 4xx JSON error, and the server keeps working', async () => {
  const png = pngBase64(image(1));
  const pngBytes = Buffer.from(png, 'base64');
  const jpg = Buffer.from(jpeg.encode({ data: Buffer.alloc(32 * 32 * 4, 128), width: 32, height: 32 }, 90).data);
  const J = { 'content-type': 'application/json' };
  const cases: { name: string; body: unknown; headers?: Record<string, string>; path?: string; method?: string; status: number; match?: RegExp }[] = [
    { name: 'malformed JSON', body: '{"images": [', status: 400, match: /not valid JSON/ },
    { name: 'JSON with trailing garbage', body: '{"images": []} x', status: 400 },
    { name: 'empty body', body: '', status: 400 },
    { name: 'JSON null', body: 'null', status: 400 },
    { name: 'JSON array', body: '[1,2]', status: 400 },
    { name: 'JSON string', body: '"hello"', status: 400 },
    { name: 'JSON number', body: '42', status: 400 },
    { name: 'no images key', body: { pictures: [png] }, status: 400 },
    { name: 'images not an array', body: { images: png }, status: 400 },
    { name: 'empty images', body: { images: [] }, status: 400, match: /empty|no images/i },
    { name: 'too many images', body: { images: new Array(65).fill(png) }, status: 413 },
    { name: 'image null', body: { image: null }, status: 400 },
    { name: 'image a number', body: { images: [7] }, status: 400 },
    { name: 'image an empty object', body: { images: [{}] }, status: 400 },
    { name: 'png field not a string', body: { images: [{ png: 5 }] }, status: 400 },
    { name: 'invalid base64', body: { images: ['@@@not base64@@@'] }, status: 400 },
    { name: 'base64 of text', body: { images: [Buffer.from('hello world, not an image').toString('base64')] }, status: 415 },
    { name: 'GIF bytes', body: { images: [Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;').toString('base64')] }, status: 415 },
    { name: 'truncated PNG', body: { images: [pngBytes.subarray(0, 60).toString('base64')] }, status: 422 },
    { name: 'PNG with a broken CRC', body: { images: [Buffer.concat([pngBytes.subarray(0, 30), Buffer.from([0, 1, 2, 3]), pngBytes.subarray(34)]).toString('base64')] }, status: 422 },
    { name: 'truncated JPEG', body: { images: [jpg.subarray(0, 100).toString('base64')] }, status: 422 },
    { name: 'JPEG labelled png', body: { images: [{ png: jpg.toString('base64') }] }, status: 415 },
    { name: 'PNG labelled jpeg', body: { images: [{ jpeg: png }] }, status: 415 },
    { name: 'data URL without payload', body: { images: ['data:image/png;base64,'] }, status: 400 },
    { name: 'raw: data shorter than shape', body: { images: [{ shape: [32, 32, 3], data: [1, 2, 3] }] }, status: 422 },
    { name: 'raw: value over 255', body: { images: [{ shape: [1, 1, 3], data: [1, 2, 300] }] }, status: 422 },
    { name: 'raw: negative value', body: { images: [{ shape: [1, 1, 3], data: [1, -2, 3] }] }, status: 422 },
    { name: 'raw: fractional value', body: { images: [{ shape: [1, 1, 3], data: [1, 2.5, 3] }] }, status: 422 },
    { name: 'raw: string value', body: { images: [{ shape: [1, 1, 3], data: [1, '2', 3] }] }, status: 422 },
    { name: 'raw: null value (NaN in JSON)', body: { images: [{ shape: [1, 1, 3], data: [1, null, 3] }] }, status: 422 },
    { name: 'raw: 2 channels', body: { images: [{ shape: [1, 1, 2], data: [1, 2] }] }, status: 422 },
    { name: 'raw: zero height', body: { images: [{ shape: [0, 32, 3], data: [] }] }, status: 422 },
    { name: 'raw: too large', body: { images: [{ shape: [5000, 1, 3], data: [] }] }, status: 422 },
    { name: 'raw: shape of 2 dims', body: { images: [{ shape: [32, 96], data: [] }] }, status: 400 },
    { name: 'raw: shape not numbers', body: { images: [{ shape: ['a', 1, 3], data: [1, 2, 3] }] }, status: 400 },
    { name: 'raw: data not an array', body: { images: [{ shape: [1, 1, 3], data: 'abc' }] }, status: 400 },
    { name: 'nested: ragged rows', body: { images: [[[[1, 2, 3], [4, 5, 6]], [[1, 2, 3]]]] }, status: 422 },
    { name: 'nested: ragged pixels', body: { images: [[[[1, 2, 3], [4, 5]]]] }, status: 422 },
    { name: 'nested: empty', body: { images: [[]] }, status: 422 },
    { name: 'nested: values out of range', body: { images: [[[[1, 2, 256]]]] }, status: 422 },
    { name: 'n = 3 (not a divisor)', body: { image: png, n: 3 }, status: 422, match: /operating point/ },
    { name: 'n = 8 (over capacity)', body: { image: png, n: 8 }, status: 422 },
    { name: 'n = 0', body: { image: png, n: 0 }, status: 400 },
    { name: 'n = "fast"', body: { image: png, n: 'fast' }, status: 400 },
    { name: 'n = 1.5', body: { image: png, n: 1.5 }, status: 400 },
    { name: 'n = -1', body: { image: png, n: -1 }, status: 400 },
    { name: '?n=7 with a raw png', body: pngBytes, headers: { 'content-type': 'image/png' }, path: '/v1/classify?n=7', status: 422 },
    { name: 'text/plain', body: JSON.stringify({ image: png }), headers: { 'content-type': 'text/plain' }, status: 415 },
    { name: 'no content type', body: new Uint8Array(Buffer.from(JSON.stringify({ image: png }))), headers: {}, status: 415 },
    { name: 'multipart', body: '--x\r\n\r\n--x--', headers: { 'content-type': 'multipart/form-data; boundary=x' }, status: 415 },
    { name: 'raw image/png body that is not a PNG', body: 'not a png', headers: { 'content-type': 'image/png' }, status: 415 },
    { name: 'body over the size limit', body: { images: [png], pad: 'x'.repeat(1_100_000) }, status: 413 },
    { name: 'GET on classify', body: undefined, method: 'GET', status: 405 },
    { name: 'PUT on classify', body: '{}', method: 'PUT', status: 405 },
    { name: 'POST on healthz', body: '{}', path: '/healthz', status: 405 },
    { name: 'DELETE on metrics', body: undefined, method: 'DELETE', path: '/metrics', status: 405 },
    { name: 'unknown path', body: undefined, method: 'GET', path: '/v2/classify', status: 404 },
    { name: 'path traversal', body: undefined, method: 'GET', path: '/../../etc/passwd', status: 404 },
    { name: 'samples count 0', body: undefined, method: 'GET', path: '/v1/samples?count=0', status: 422 },
    { name: 'samples count not a number', body: undefined, method: 'GET', path: '/v1/samples?count=abc', status: 422 },
    { name: 'samples negative offset', body: undefined, method: 'GET', path: '/v1/samples?offset=-3', status: 422 },
  ];
  assert.ok(cases.length >= 55);
  const mismatches: string[] = [];
  for (const c of cases) {
    const method = c.method ?? 'POST';
    const r = await fetch(server.url + (c.path ?? '/v1/classify'), {
      method, headers: c.headers ?? J,
      body: c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : c.body instanceof Uint8Array ? new Blob([c.body as Uint8Array<ArrayBuffer>]) : JSON.stringify(c.body),
    });
    const j = await r.json() as { error?: { code: string; message: string } };
    if (r.status !== c.status) mismatches.push(`${c.name}: ${r.status} ${JSON.stringify(j)}`);
    assert.ok(j.error && j.error.code && j.error.message.length > 10, `${c.name}: error body ${JSON.stringify(j)}`);
    if (c.match) assert.match(j.error.message, c.match, c.name);
  }
  assert.deepEqual(mismatches, []);
  // Socket-level misbehaviour: garbage, a slow body, a client that vanishes mid-body.
  assert.equal(await rawRequest('GARBAGE\r\n\r\n'), 400, 'malformed HTTP');
  assert.equal(await rawRequest('POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"ima'), 408, 'slow body');
  assert.equal(await rawRequest('POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"ima', { destroyAfterMs: 50 }), 0, 'vanishing client');
  assert.equal(await rawRequest('POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n', { rest: `110000\r\n${'x'.repeat(0x110000)}\r\n0\r\n\r\n`, pauseMs: 10 }), 413, 'chunked body over the limit');
  // Still healthy, still right.
  assert.equal((await fetch(server.url + '/healthz')).status, 200);
  await checkClassifiesCorrectly();
  const metrics = await (await fetch(server.url + '/metrics')).text();
  assert.match(metrics, /mimo_errors_total\{code="422"\} \d+/);
});

test('--api-key: 401 without the key or with a wrong one, the key as Bearer or X-API-Key, open paths answer without it', async () => {
  const s = await startServer({ checkpoint: ckpt, port: 0, apiKey: 's3cret-key', openPaths: ['/healthz', '/metrics'] });
  try {
    const body = JSON.stringify({ images: [raw(image(1))] });
    const classify = (headers: Record<string, string>) => fetch(s.url + '/v1/classify', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const refused: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { 'x-api-key': 's3cret-ke' }, { 'x-api-key': 's3cret-key-and-more' }, { authorization: 's3cret-key' }];
    for (const headers of refused) {
      const r = await classify(headers);
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.equal(r.headers.get('www-authenticate'), 'Bearer');
      const j = await r.json() as { error: { code: string; message: string } };
      assert.equal(j.error.code, 'unauthorized');
      assert.match(j.error.message, /send it as "Authorization: Bearer <key>" or "X-API-Key: <key>"/);
    }
    const accepted: Record<string, string>[] = [{ authorization: 'Bearer s3cret-key' }, { 'x-api-key': 's3cret-key' }];
    for (const headers of accepted) {
      const r = await classify(headers);
      assert.equal(r.status, 200, JSON.stringify(headers));
      assert.equal((await r.json() as { results: unknown[] }).results.length, 1);
    }
    // Unknown paths too say 401 first (no route discovery without the key); open paths need none.
    assert.equal((await fetch(s.url + '/v1/operating-points')).status, 401);
    assert.equal((await fetch(s.url + '/no-such-path')).status, 401);
    assert.equal((await fetch(s.url + '/healthz')).status, 200);
    assert.equal((await fetch(s.url + '/metrics')).status, 200);
  } finally {
    await s.close();
  }
  assert.equal(keyMatches('abc', 'abc'), true);
  assert.equal(keyMatches('abd', 'abc'), false);
  assert.equal(keyMatches(null, 'abc'), false);
  await assert.rejects(startServer({ checkpoint: ckpt, port: 0, apiKey: 'k', openPaths: ['/health'] }), /open path '\/health' is not a route of the server/);
});

test('health checks answer while inference is busy, and tensors stay flat', async () => {
  const tensorsOf = async () => Number(/^mimo_tensors (\d+)$/m.exec(await (await fetch(server.url + '/metrics')).text())![1]);
  await checkClassifiesCorrectly();
  const before = await tensorsOf();
  const big = { images: Array.from({ length: 64 }, (_, i) => raw(image(100 + i))), n: 1 };
  let classifyDone = 0;
  const busy = Array.from({ length: 6 }, () => post(big).then((r) => { assert.equal(r.status, 200); classifyDone++; }));
  await new Promise((r) => setTimeout(r, 20));
  const h = await fetch(server.url + '/healthz');
  assert.equal(h.status, 200);
  assert.ok(classifyDone < 6, 'the health check answered before the queued inference finished');
  await Promise.all(busy);
  await checkClassifiesCorrectly();
  assert.equal(await tensorsOf(), before);
});

test('a dead inference worker turns health and classification into 503 errors, not hangs', async () => {
  const s = await startServer({ checkpoint: ckpt, port: 0 });
  try {
    await s.worker.stop();
    const h = await fetch(s.url + '/healthz');
    assert.equal(h.status, 503);
    const r = await fetch(s.url + '/v1/classify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ image: raw(image(1)) }) });
    assert.equal(r.status, 503);
    assert.match((await r.json() as { error: { message: string } }).error.message, /inference worker has stopped.*restart the server/);
  } finally {
    await s.close();
  }
});

test('SIGTERM finishes in-flight requests, then the process exits with one JSON summary', async () => {
  const child = spawn(process.execPath, [MAIN, 'serve', '--checkpoint', ckpt, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    child.on('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
  });
  const body = JSON.stringify({ images: Array.from({ length: 64 }, (_, i) => raw(image(i))), n: 1 });
  const inflight = [1, 2, 3].map(() => fetch(url + '/v1/classify', { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.status));
  await new Promise((r) => setTimeout(r, 150));
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => child.on('exit', (c, sig) => r(c ?? (sig as unknown as number))));
  assert.deepEqual(await Promise.all(inflight), [200, 200, 200]);
  assert.equal(code, 0, stderr);
  const last = JSON.parse(stdout.trim().split('\n').pop()!);
  assert.equal(last.signal, 'SIGTERM');
  assert.equal(last.images['n=1'], 192);
  await assert.rejects(fetch(url + '/healthz'));
});

test('passSizes: powers of two, largest first, none above the cap, summing to the pass', () => {
  assert.deepEqual(passSizes(0, 128), []);
  assert.deepEqual(passSizes(13, 128), [8, 4, 1]);
  assert.deepEqual(passSizes(300, 128), [128, 128, 32, 8, 4]);
  assert.deepEqual(passSizes(250, 100), [64, 64, 64, 32, 16, 8, 2], 'a cap that is not a power of two rounds down');
  for (let s = 0; s <= 600; s++) {
    const p = passSizes(s, 128);
    assert.equal(p.reduce((a, b) => a + b, 0), s);
    assert.ok(p.every((c, i) => (c & (c - 1)) === 0 && c <= 128 && (i === 0 || c <= p[i - 1])), `${s}: ${p}`);
  }
  assert.throws(() => passSizes(3, 0), /max 0/);
});

test('an engine pass split into power-of-two forwards gives each image what it gets alone (n=1), and passes at n>1 cover every image', () => {
  const imgs = Array.from({ length: 13 }, (_, i) => image(100 + i));
  const together = oracle(imgs, 1); // forwards of 8, 4 and 1 images
  imgs.forEach((im, i) => assertProbsClose(together[i], oracle([im], 1)[0], `image ${i}`));
  for (const n of [2, 4]) {
    const probs = oracle(imgs, n); // 7 (4 + 2 + 1 with one pad) or 4 (2 + 1 with three pads) superpositions
    assert.ok(probs.every((p) => Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-4), `n=${n}: every image got a distribution`);
  }
});

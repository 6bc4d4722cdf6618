// The folder `mimo export web` writes, opened in Debian's chromium (playwright-core) over a
// plain static file server: TensorFlow.js in the page runs the tiny checkpoint at n = 1 and
// n = N on the sample CIFAR-10 test images, and the labels equal the Node model's for the
// same images and n (the Node model is the oracle).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { initBackend } from '../../src/backend/index.js';
import { loadConvCheckpoint } from '../../src/checkpoint/conv.js';
import { CIFAR10_MEAN, CIFAR10_STD } from '../../src/data/index.js';
import { tinyServeCheckpoint } from '../helpers/serve_model.js';
import { writeTinyCifar10 } from '../helpers/tiny_cifar.js';
import { tempDirs } from '../helpers/tmp.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.bin': 'application/octet-stream' };

const dirs = tempDirs('mimo-web-');
let folder: string, checkpoint: string, server: Server, url: string, browser: Browser, page: Page;
let exported: { n: number[]; samples: number; files: string[] };

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: this test opens the exported page in Debian's chromium; apt-get install -y chromium`);
  await initBackend();
  checkpoint = tinyServeCheckpoint(dirs());
  folder = join(dirs(), 'web');
  const r = spawnSync(process.execPath, [MAIN, 'export', 'web', '--checkpoint', checkpoint, '--out', folder, '--data-dir', writeTinyCifar10(dirs()), '--samples', '12', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  exported = JSON.parse(r.stdout.trim().split('\n').pop()!);
  // A static file server and nothing else: the page needs no API.
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url!, 'http://x').pathname)).replace(/^\/+/, '') || 'index.html';
    const file = join(folder, path);
    if (!file.startsWith(folder) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1100, height: 900 }, colorScheme: 'light' });
  page.setDefaultTimeout(60_000);
});

after(async () => {
  await browser?.close();
  await new Promise((ok) => server?.close(ok));
});

test('the folder: page, model, weights, samples, TensorFlow.js and the runtime modules', () => {
  assert.deepEqual(exported.n, [1, 2, 4]);
  assert.equal(exported.samples, 12);
  for (const f of ['index.html', 'model.json', 'weights.bin', 'samples.json', 'lib/tf.fesm.min.js', 'lib/node-stub.js', 'lib/mimonets/web/runtime.js', 'lib/mimonets/models/mimoconv/forward.js']) {
    assert.ok(exported.files.includes(f), `${f} in ${exported.files.join(', ')}`);
  }
});

/** The Node model's classes for the sample PNGs at n (the oracle). */
function nodeClasses(pngs: string[], n: number): number[] {
  const { net } = loadConvCheckpoint(checkpoint);
  const px = 32 * 32 * 3;
  const x = new Float32Array(pngs.length * px);
  pngs.forEach((p, i) => {
    const img = PNG.sync.read(Buffer.from(p.split(',')[1], 'base64'));
    for (let q = 0; q < 32 * 32; q++) for (let c = 0; c < 3; c++) x[i * px + 3 * q + c] = (img.data[4 * q + c] / 255 - CIFAR10_MEAN[c]) / CIFAR10_STD[c];
  });
  const classes = tf.tidy(() => Array.from(net.forward(tf.tensor4d(x, [pngs.length, 32, 32, 3]), n, { training: false }).logits.argMax(1).dataSync()));
  net.dispose();
  return classes;
}

async function classifyAll(n: number): Promise<{ classes: number[]; ns: string[] }> {
  await page.check(`input[name="n"][value="${n}"]`);
  const pressed = await page.getByTestId('sample').evaluateAll((els) => els.filter((e) => e.getAttribute('aria-pressed') === 'true').length);
  if (pressed === 0) await page.click('#select-all');
  await page.click('#classify');
  await page.waitForFunction((k) => document.querySelector('#results')?.getAttribute('aria-busy') === 'false' && document.querySelectorAll('[data-testid="result"]').length === k, 12);
  const rows = await page.$$eval('[data-testid="result"]', (els) => els.map((e) => ({ ...(e as HTMLElement).dataset })));
  return { classes: rows.map((r) => Number(r.class)), ns: rows.map((r) => r.n!) };
}

for (const backend of ['cpu', 'default']) {
  test(`${backend === 'cpu' ? 'cpu backend' : 'default backend (webgl, else cpu)'}: the page's labels at n = 1 and n = 4 equal the Node model's`, async () => {
    await page.goto(backend === 'cpu' ? `${url}?backend=cpu` : url);
    await page.waitForFunction(() => document.body.dataset.ready !== 'false');
    assert.equal(await page.getAttribute('body', 'data-ready'), 'true', await page.textContent('#status') ?? '');
    const used = await page.getAttribute('body', 'data-backend');
    assert.ok(backend === 'cpu' ? used === 'cpu' : used === 'webgl' || used === 'cpu', `backend ${used}`);
    const samples = JSON.parse(readFileSync(join(folder, 'samples.json'), 'utf8')).images as { png: string }[];
    assert.equal(await page.getByTestId('sample').count(), samples.length);
    for (const n of [1, 4]) {
      const got = await classifyAll(n);
      assert.deepEqual(got.ns, samples.map(() => String(n)));
      assert.deepEqual(got.classes, nodeClasses(samples.map((s) => s.png), n), `${used}, n=${n}`);
    }
    assert.match(await page.textContent('#timing') ?? '', /12 images at n = 4 in \d+ ms on (cpu|webgl)/);
  });
}

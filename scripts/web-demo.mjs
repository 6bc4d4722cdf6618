// The README's picture of the in-browser page: exports a checkpoint with `mimo export web`
// (default: the committed dynamic MIMONet), opens it in Debian's chromium over a static file
// server, classifies real CIFAR-10 test images at n = 1 and n = N, checks that the page's labels
// equal the Node model's for the same images and n, and saves docs/web-demo.png.
//   node scripts/web-demo.mjs [--checkpoint models/mimonet-16-4-N4-dyn.ckpt] [--samples 24] [--backend cpu]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { initBackend } from '../dist/src/backend/index.js';
import { loadConvCheckpoint } from '../dist/src/checkpoint/conv.js';
import { CIFAR10_MEAN, CIFAR10_STD } from '../dist/src/data/index.js';
import { parseScriptArgs } from './runs.mjs';

const parsed = parseScriptArgs(process.argv.slice(2), { values: ['--checkpoint', '--samples', '--backend', '--out'], flags: [] });
const checkpoint = parsed.options.checkpoint ?? 'models/mimonet-16-4-N4-dyn.ckpt';
const count = Number(parsed.options.samples ?? 24);
const backend = parsed.options.backend ?? 'cpu';
const shot = parsed.options.out ?? 'docs/web-demo.png';
const folder = '.cache/web-demo';

const r = spawnSync(process.execPath, ['dist/src/cli/main.js', 'export', 'web', '--checkpoint', checkpoint, '--out', folder, '--samples', String(count), '--json'], { encoding: 'utf8' });
if (r.status !== 0) throw new Error(r.stderr);
const types = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.bin': 'application/octet-stream' };
const server = createServer((req, res) => {
  const file = join(folder, normalize(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '') || 'index.html');
  if (!existsSync(file)) return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const url = `http://127.0.0.1:${server.address().port}/?backend=${backend}`;

await initBackend();
const samples = JSON.parse(readFileSync(join(folder, 'samples.json'), 'utf8')).images;
const { net } = loadConvCheckpoint(checkpoint);
const nodeClasses = (n) => {
  const px = 32 * 32 * 3, x = new Float32Array(samples.length * px);
  samples.forEach((s, i) => {
    const img = PNG.sync.read(Buffer.from(s.png.split(',')[1], 'base64'));
    for (let q = 0; q < 32 * 32; q++) for (let c = 0; c < 3; c++) x[i * px + 3 * q + c] = (img.data[4 * q + c] / 255 - CIFAR10_MEAN[c]) / CIFAR10_STD[c];
  });
  return tf.tidy(() => Array.from(net.forward(tf.tensor4d(x, [samples.length, 32, 32, 3]), n, { training: false }).logits.argMax(1).dataSync()));
};

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, colorScheme: 'light' });
page.setDefaultTimeout(600_000);
await page.goto(url);
await page.waitForFunction(() => document.body.dataset.ready !== 'false');
if (await page.getAttribute('body', 'data-ready') !== 'true') throw new Error(await page.textContent('#status'));
await page.click('#select-all');
const report = [];
for (const n of [1, net.config.capacity]) {
  await page.check(`input[name="n"][value="${n}"]`);
  await page.click('#classify');
  await page.waitForFunction(([k, nn]) => document.querySelector('#results')?.getAttribute('aria-busy') === 'false'
    && document.querySelectorAll('[data-testid="result"]').length === k && document.querySelector('[data-testid="result"]')?.dataset.n === String(nn), [samples.length, n]);
  const got = await page.$$eval('[data-testid="result"]', (els) => els.map((e) => Number(e.dataset.class)));
  const want = nodeClasses(n);
  const same = got.every((c, i) => c === want[i]);
  const right = got.filter((c, i) => c === samples[i].class).length;
  report.push({ n, images: got.length, labels_equal_node: same, correct: right, timing: await page.textContent('#timing') });
  if (!same) throw new Error(`n=${n}: the page's labels ${got} differ from Node's ${want}`);
}
await page.evaluate(() => window.scrollTo(0, 0));
await page.screenshot({ path: shot, fullPage: true });
await browser.close();
server.close();
net.dispose();
console.log(JSON.stringify({ checkpoint, backend, screenshot: shot, results: report }));

// The demo page of `mimo serve` (web/index.html) driven in Debian's chromium through
// playwright-core, against a server running in this process on a tiny checkpoint and a
// hand-drawn CIFAR-10 test file. The API itself is the oracle: what the page shows for a set
// of images must equal what POST /v1/classify answers for the same images at the same n.
// Leaves docs/serve-demo.png, the screenshot the README shows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { chromium, type Browser, type Page, type Response } from 'playwright-core';
import { initBackend } from '../../src/backend/index.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { packageRoot } from '../../src/util/package_root.js';
import { tinyServeCheckpoint, TINY_POINTS } from '../helpers/serve_model.js';
import { writeTinyCifar10 } from '../helpers/tiny_cifar.js';
import { tempDirs } from '../helpers/tmp.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOT = join(packageRoot() ?? process.cwd(), 'docs', 'serve-demo.png');

interface Sample { index: number; class: number; label: string; png: string }
interface Result { label: string; class: number; probability: number; probabilities: number[]; n: number }
/** What a result row carries in its data-* attributes and shows as text. */
interface Row { label: string; class: string; probability: string; n: string; trueLabel?: string; correct?: string; shownLabel: string; shownN: string }

const dirs = tempDirs('mimo-browser-');
let checkpoint: string;
let server: RunningServer;
let browser: Browser;
let page: Page;

async function getJson<T>(path: string): Promise<T> {
  const r = await fetch(server.url + path);
  assert.equal(r.status, 200, `GET ${path}: ${r.status}`);
  return await r.json() as T;
}

/** The oracle: POST /v1/classify straight from the test. */
async function classifyApi(images: string[], n: number): Promise<{ status: number; json: { results: Result[]; error?: { code: string; message: string } } }> {
  const r = await fetch(server.url + '/v1/classify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ images, n }) });
  return { status: r.status, json: await r.json() as { results: Result[]; error?: { code: string; message: string } } };
}

/** A PNG of a w x h diagonal colour ramp, as bytes. */
function rampPng(w: number, h: number): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) png.data.set([(255 * x) / w, (255 * y) / h, 160, 255], 4 * (y * w + x));
  }
  return PNG.sync.write(png);
}

/** Runs `action` and waits until the page has received the /v1/classify answer and rendered it. */
async function classifyInPage(action: () => Promise<void>): Promise<Response> {
  const [response] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/classify'), action()]);
  // aria-busy is set before the request leaves and cleared after the answer is drawn.
  await page.waitForFunction(() => document.querySelector('#results')?.getAttribute('aria-busy') === 'false');
  return response;
}

function resultRows(): Promise<Row[]> {
  return page.$$eval('[data-testid="result"]', (els) => els.map((e) => ({
    ...(e as HTMLElement).dataset,
    shownLabel: e.querySelector('[data-testid="result-label"]')?.textContent ?? '',
    shownN: e.querySelector('[data-testid="result-n"]')?.textContent ?? '',
  }) as Row));
}

async function selectSamples(indices: number[]): Promise<void> {
  const thumbs = page.getByTestId('sample');
  for (const i of indices) {
    await thumbs.nth(i).click();
    assert.equal(await thumbs.nth(i).getAttribute('aria-pressed'), 'true', `sample ${i} is selected after a click`);
  }
}

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: this test drives the demo page in Debian's chromium; install it with \`apt-get install -y chromium\``);
  }
  await initBackend();
  checkpoint = tinyServeCheckpoint(dirs());
  server = await startServer({ checkpoint, port: 0, dataDir: writeTinyCifar10(dirs()) });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1100, height: 900 }, colorScheme: 'light' });
  page.setDefaultTimeout(20_000);
  await page.goto(server.url + '/');
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the header, the n control and the table come from /v1/operating-points', async () => {
  const op = await getJson<{ model: string; capacity: number; policy: string; points: { n: number }[] }>('/v1/operating-points');
  await page.waitForSelector('#n-4');
  assert.equal(await page.textContent('#model-name'), op.model);
  assert.equal(await page.textContent('#capacity'), `N = ${op.capacity}`);
  assert.equal(await page.textContent('#policy'), op.policy);
  const values = await page.$$eval('#n-control input[name="n"]', (els) => els.map((e) => (e as HTMLInputElement).value));
  assert.deepEqual(values, ['auto', ...op.points.map((p) => String(p.n))]);
  assert.ok(await page.isChecked('#n-auto'), 'auto is the default');
  const rows = await page.$$eval('#points-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  assert.deepEqual(rows.map((r) => r[0]), TINY_POINTS.map((p) => `n=${p.n}`));
  assert.deepEqual(rows.map((r) => r[1]), TINY_POINTS.map((p) => `${(100 * p.accuracy).toFixed(1)}%`));
  assert.deepEqual(rows.map((r) => r[2]), TINY_POINTS.map((p) => p.images_per_s.toLocaleString('en-US')));
});

test('the accuracy-throughput plot is shown', async () => {
  await page.waitForFunction(() => {
    const img = document.querySelector<HTMLImageElement>('#plot');
    return img !== null && !img.hidden && img.complete && img.naturalWidth > 0;
  });
  assert.ok(await page.isVisible('#plot'));
  assert.ok(await page.isHidden('#plot-message'));
});

test('picked samples classified at n=1 show what POST /v1/classify answers', async () => {
  const thumbs = page.getByTestId('sample');
  await thumbs.nth(11).waitFor();
  assert.equal(await thumbs.count(), 12);
  const samples = (await getJson<{ images: Sample[] }>('/v1/samples?count=12&offset=0')).images;
  assert.deepEqual(await thumbs.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.label)), samples.map((s) => s.label));

  const picked = [0, 3];
  await selectSamples(picked);
  await page.check('#n-1');
  const response = await classifyInPage(() => page.click('#classify'));
  assert.equal(response.status(), 200);

  const want = await classifyApi(picked.map((i) => samples[i].png), 1);
  assert.equal(want.status, 200);
  const rows = await resultRows();
  assert.equal(rows.length, picked.length);
  rows.forEach((row, k) => {
    const w = want.json.results[k];
    const s = samples[picked[k]];
    assert.equal(row.label, w.label, `image ${k}: the page's label`);
    assert.equal(row.shownLabel, w.label, `image ${k}: the label shown`);
    assert.equal(Number(row.probability), w.probability, `image ${k}: probability`);
    assert.equal(row.n, '1');
    assert.equal(row.shownN, 'n=1');
    assert.equal(row.trueLabel, s.label, `image ${k}: true label`);
    assert.equal(row.correct, String(w.label === s.label));
  });
  assert.match(await page.textContent('#latency') ?? '', /^\d+\.\d ms on the server$/);
  assert.ok(await page.isHidden('#error'));
});

test('"More images" appends the next page of samples', async () => {
  await page.click('#more-samples');
  await page.getByTestId('sample').nth(23).waitFor();
  const next = (await getJson<{ images: Sample[] }>('/v1/samples?count=12&offset=12')).images;
  const shown = await page.getByTestId('sample').evaluateAll((els) => els.slice(12).map((e) => Number((e as HTMLElement).dataset.index)));
  assert.deepEqual(shown, next.map((s) => s.index));
});

test('an uploaded PNG of another size is classified like the API classifies it', async () => {
  const png = rampPng(48, 40);
  await classifyInPage(() => page.setInputFiles('#upload', { name: 'ramp.png', mimeType: 'image/png', buffer: png }));
  const want = await classifyApi([png.toString('base64')], 1);
  const rows = await resultRows();
  assert.equal(rows.length, 1);
  assert.equal(rows[0].label, want.json.results[0].label);
  assert.equal(rows[0].n, '1');
  assert.equal(rows[0].trueLabel, undefined, 'an upload has no true label');
});

test('an upload the server refuses shows the server\'s message in the alert', async () => {
  const text = Buffer.from('these are notes, not a picture\n');
  const response = await classifyInPage(() => page.setInputFiles('#upload', { name: 'notes.txt', mimeType: 'text/plain', buffer: text }));
  assert.equal(response.status(), 415);
  const want = await classifyApi([`data:text/plain;base64,${text.toString('base64')}`], 1);
  assert.equal(want.status, 415);
  await page.waitForSelector('#error', { state: 'visible' });
  assert.equal(await page.textContent('#error-message'), want.json.error!.message);
  assert.match(await page.textContent('#error-title') ?? '', /415 unsupported_format/);
  assert.equal(await page.getAttribute('#error', 'role'), 'alert');
  await page.click('#error-close');
  assert.ok(await page.isHidden('#error'));
});

test('six samples forced to n=4 go 4 at n=4 and 2 at n=2; screenshot to docs/serve-demo.png', async () => {
  await page.click('#clear-selection');
  assert.equal(await page.locator('.thumb[aria-pressed="true"]').count(), 0);
  assert.ok(await page.isDisabled('#classify'), 'nothing selected: classify is disabled');
  // A fresh page (one page of samples, no alert) for the screenshot.
  await page.reload();
  await page.getByTestId('sample').nth(11).waitFor();
  await page.waitForSelector('#n-4');
  await selectSamples([1, 3, 4, 6, 9, 10]);
  await page.check('#n-4');
  await classifyInPage(() => page.click('#classify'));
  const rows = await resultRows();
  assert.deepEqual(rows.map((r) => Number(r.n)).sort(), [2, 2, 4, 4, 4, 4]);
  assert.match(await page.textContent('#summary') ?? '', /^6 images at n=2, n=4 · \d of 6 correct/);

  await page.evaluate(() => window.scrollTo(0, 0));
  mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  assert.ok(statSync(SCREENSHOT).size > 10_000, `${SCREENSHOT} was written`);
});

test('without CIFAR-10 in the data dir the page shows the server\'s message instead of the grid', async () => {
  // A second server on the same checkpoint, with an empty data dir.
  const bare = await startServer({ checkpoint, port: 0, dataDir: dirs() });
  const other = await browser.newPage();
  try {
    const r = await fetch(bare.url + '/v1/samples');
    assert.equal(r.status, 404);
    const { error } = await r.json() as { error: { message: string } };
    // And a checkpoint without recorded accuracy: the plot route's 404, stubbed in the browser.
    await other.route('**/v1/plot.svg', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ error: { code: 'no_operating_points', message: 'the checkpoint has no recorded accuracy per n' } }) }));
    await other.goto(bare.url + '/');
    await other.waitForSelector('#samples-message', { state: 'visible' });
    assert.equal(await other.textContent('#samples-message'), error.message);
    assert.ok(await other.isHidden('#samples'));
    await other.waitForSelector('#plot-message', { state: 'visible' });
    assert.match(await other.textContent('#plot-message') ?? '', /no recorded accuracy per n/);
    await other.waitForSelector('#points-table tbody tr');
    assert.equal(await other.locator('#points-table tbody tr').count(), TINY_POINTS.length);
  } finally {
    await other.close();
    await bare.close();
  }
});

test('"Run this model in your browser" opens /web/: the same samples classified by TensorFlow.js in the page, labels as the API answers', async () => {
  const other = await browser.newPage();
  try {
    await other.goto(server.url + '/');
    await Promise.all([other.waitForURL(/\/web\/$/), other.click('[data-testid="run-in-browser"]')]);
    await other.waitForFunction(() => document.body.dataset.ready !== 'false', undefined, { timeout: 60_000 });
    assert.equal(await other.getAttribute('body', 'data-ready'), 'true', await other.textContent('#status') ?? '');
    const samples = (await getJson<{ images: Sample[] }>('/v1/samples?count=8&offset=0')).images;
    const thumbs = other.getByTestId('sample');
    for (let i = 0; i < 8; i++) await thumbs.nth(i).click();
    await other.check('input[name="n"][value="4"]');
    // From here on the page asks the server for nothing: classification happens in the browser.
    const asked: string[] = [];
    other.on('request', (r) => asked.push(new URL(r.url()).pathname));
    await other.click('#classify');
    await other.waitForFunction(() => document.querySelector('#results')?.getAttribute('aria-busy') === 'false' && document.querySelectorAll('[data-testid="result"]').length === 8, undefined, { timeout: 60_000 });
    const rows = await other.$$eval('[data-testid="result"]', (els) => els.map((e) => ({ ...(e as HTMLElement).dataset })));
    const want = await classifyApi(samples.map((s) => s.png), 4);
    assert.equal(want.status, 200);
    assert.deepEqual(rows.map((r) => Number(r.class)), want.json.results.map((r) => r.class));
    assert.deepEqual(rows.map((r) => r.n), samples.map(() => '4'));
    assert.ok(!asked.includes('/v1/classify'), `the page called ${asked.join(', ')}`);
  } finally {
    await other.close();
  }
});

// The operating-points plot: SVG structure and geometry, PNG rendering, the results-JSON
// checks with their error messages, and `mimo plot operating-points` as a user runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTick, niceScale } from '../../src/plot/axis.js';
import { operatingPointsSvg, type OperatingPointSeries } from '../../src/plot/operating_points.js';
import { loadOperatingPoints, parseOperatingPoints } from '../../src/plot/operating_points_data.js';
import { escapeXml, px } from '../../src/plot/svg.js';
import { svgToPng } from '../../src/plot/svg_to_png.js';
import { tempDirs } from '../helpers/tmp.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const tmp = tempDirs('mimo-plot-');
const PNG_SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

function mimo(args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  const lines = r.stdout.trim().split('\n');
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, last: lines[lines.length - 1] };
}

/** A results file as `mimo results conv` writes it (models given out of n order on purpose). */
function resultsDoc() {
  return {
    dataset: 'cifar10', split: 'test', date: '2025-06-01', machine: 'Test CPU, 2 cores, backend cpu (2 threads)',
    models: [
      { name: 'wrn16-4-hrr-n4', checkpoint: 'models/a.ckpt', model: 'wrn16-4', binding: 'hrr', capacity: 4, dynamic: false, train_seconds: 3600,
        results: [{ n: 4, accuracy: 0.8542, images_per_s: 4150 }, { n: 1, accuracy: 0.9312, images_per_s: 1210 }, { n: 2, accuracy: 0.9105, images_per_s: 2290 }] },
      { name: 'mbat <N=2> & "dyn"', checkpoint: 'models/b.ckpt', model: 'wrn16-4', binding: 'mbat', capacity: 2, dynamic: true, train_seconds: 3700,
        results: [{ n: 1, accuracy: 0.9401, images_per_s: 1190 }, { n: 2, accuracy: 0.9254, images_per_s: 2260 }] },
    ],
  };
}

function series(): OperatingPointSeries[] {
  return resultsDoc().models.map((m) => ({ name: m.name, points: m.results }));
}

/** Marker centres per series, from `<g class="point" data-n=".." transform="translate(x y)">`. */
function markerPositions(svg: string): Map<number, { n: number; x: number; y: number }[]> {
  const out = new Map<number, { n: number; x: number; y: number }[]>();
  for (const block of svg.matchAll(/<g class="series" data-series="(\d+)"[^>]*>([\s\S]*?)\n<\/g>/g)) {
    const pts = [...block[2].matchAll(/<g class="point" data-n="(\d+)" transform="translate\(([\d.-]+) ([\d.-]+)\)">/g)]
      .map((m) => ({ n: Number(m[1]), x: Number(m[2]), y: Number(m[3]) }));
    out.set(Number(block[1]), pts);
  }
  return out;
}

/** Width and height from a PNG's IHDR chunk (bytes 16..24). */
function pngSize(png: Buffer): { width: number; height: number } {
  assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE, 'PNG signature');
  assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

function writeResults(doc: unknown): string {
  const p = join(tmp(), 'results.json');
  writeFileSync(p, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return p;
}

test('the TSDoc examples', () => {
  assert.equal(escapeXml('WRN <16> & "friends"'), 'WRN &lt;16&gt; &amp; &quot;friends&quot;');
  assert.equal(px(12.3456), '12.3');
  assert.deepEqual(niceScale(0, 3720).ticks, [0, 1000, 2000, 3000, 4000]);
  assert.equal(formatTick(12500, 0), '12,500');
  const svg = operatingPointsSvg([{ name: 'WRN-16-4 (MBAT, N=4)', points: [
    { n: 1, accuracy: 0.93, images_per_s: 1200 }, { n: 2, accuracy: 0.91, images_per_s: 2300 }, { n: 4, accuracy: 0.86, images_per_s: 4200 },
  ] }], { title: 'CIFAR-10: accuracy vs throughput per operating point' });
  assert.ok(svg.startsWith('<svg'));
  const { series: s, options } = parseOperatingPoints(JSON.stringify({ dataset: 'cifar10', split: 'test', models: [
    { name: 'wrn16-4-n2', results: [{ n: 1, accuracy: 0.93, images_per_s: 1200 }, { n: 2, accuracy: 0.91, images_per_s: 2300 }] },
  ] }), 'results/cifar10.json');
  assert.equal(options.title, 'CIFAR-10: accuracy vs throughput per operating point');
  assert.equal(s[0].points.length, 2);
  assert.equal(svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"/>').subarray(1, 4).toString(), 'PNG');
});

test('niceScale covers the data, ends on ticks, and uses round steps', () => {
  for (const [lo, hi] of [[0, 3720], [84.3, 95.6], [0, 1], [50, 50], [0.012, 0.0131], [7, 123456]]) {
    const s = niceScale(lo, hi);
    assert.ok(s.lo <= lo && s.hi >= hi, `[${lo}, ${hi}] inside [${s.lo}, ${s.hi}]`);
    assert.ok(s.ticks.length >= 3 && s.ticks.length <= 9, `${s.ticks.length} ticks for [${lo}, ${hi}]`);
    const mantissa = s.step / 10 ** Math.floor(Math.log10(s.step) + 1e-9);
    assert.ok([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6), `step ${s.step}`);
  }
});

test('one polyline per series, a marker and an "n=" label for every point, names escaped', () => {
  const svg = operatingPointsSvg(series(), { title: 'A <title> & more', footnote: 'Machine: x86 & co' });
  assert.equal(svg.match(/<polyline /g)?.length, 2);
  for (const [i, s] of series().entries()) {
    const labels = [...svg.matchAll(new RegExp(`<text class="point-label" data-series="${i}"[^>]*>n=(\\d+)</text>`, 'g'))].map((m) => Number(m[1]));
    assert.deepEqual(labels.sort(), s.points.map((p) => p.n).sort(), `labels of ${s.name}`);
    assert.equal(markerPositions(svg).get(i)?.length, s.points.length);
  }
  assert.ok(svg.includes('mbat &lt;N=2&gt; &amp; &quot;dyn&quot;'), 'legend name escaped');
  assert.ok(!svg.includes('<N=2>') && !svg.includes('<title> &'), 'no raw markup from names or title');
  assert.ok(svg.includes('A &lt;title&gt; &amp; more') && svg.includes('Machine: x86 &amp; co'));
  assert.match(svg, /font-family="DejaVu Sans, sans-serif"/);
  svgToPng(svg); // resvg parses it: the document is well-formed XML
});

test('higher accuracy is drawn higher, more images/s further right, lines follow n', () => {
  const svg = operatingPointsSvg(series());
  const all = series().flatMap((s, i) => s.points.map((p) => ({ ...p, ...markerPositions(svg).get(i)!.find((q) => q.n === p.n)! })));
  for (const a of all) {
    assert.ok(a.x > 0 && a.x < 800 && a.y > 0 && a.y < 500, `point inside the canvas: ${a.x},${a.y}`);
    for (const b of all) {
      if (a.accuracy > b.accuracy) assert.ok(a.y < b.y, `accuracy ${a.accuracy} above ${b.accuracy}`);
      if (a.images_per_s > b.images_per_s) assert.ok(a.x > b.x, `${a.images_per_s} images/s right of ${b.images_per_s}`);
    }
  }
  const line = svg.match(/<polyline class="series-line" data-series="0" points="([^"]+)"/)![1];
  const byN = markerPositions(svg).get(0)!.sort((p, q) => p.n - q.n).map((p) => `${p.x},${p.y}`).join(' ');
  assert.equal(line, byN, 'the polyline visits the points in order of n');
});

for (const [width, height, scale] of [[320, 240, 1], [800, 500, 1], [640, 400, 2]]) {
  test(`PNG ${width}x${height} at scale ${scale}: signature and IHDR size`, () => {
    const png = svgToPng(operatingPointsSvg(series(), { width, height, title: 'CIFAR-10: accuracy vs throughput per operating point' }), { scale });
    assert.deepEqual(pngSize(png), { width: width * scale, height: height * scale });
  });
}

test('operatingPointsSvg rejects what it cannot plot, naming the series and point', () => {
  assert.throws(() => operatingPointsSvg([]), /no series to plot/);
  assert.throws(() => operatingPointsSvg([{ name: 'empty', points: [] }]), /series 'empty' has no points/);
  assert.throws(() => operatingPointsSvg([{ name: 'm', points: [{ n: 2, accuracy: NaN, images_per_s: 1 }] }]), /series 'm' point n=2: accuracy must be a fraction in \[0, 1\], got NaN/);
  assert.throws(() => operatingPointsSvg([{ name: 'm', points: [{ n: 1, accuracy: 93.1, images_per_s: 1 }] }]), /a percentage\? divide by 100/);
  assert.throws(() => operatingPointsSvg([{ name: 'm', points: [{ n: 1, accuracy: 0.9, images_per_s: -5 }] }]), /images_per_s must be a number >= 0, got -5/);
  assert.throws(() => operatingPointsSvg(series(), { width: 100 }), /at least 320x240/);
});

test('the results JSON: title, axis title and footnote come from the file', () => {
  const { series: s, options } = loadOperatingPoints(writeResults(resultsDoc()));
  assert.deepEqual(s.map((x) => x.name), ['wrn16-4-hrr-n4', 'mbat <N=2> & "dyn"']);
  assert.equal(options.yLabel, 'Test accuracy (%)');
  assert.equal(options.footnote, 'Machine: Test CPU, 2 cores, backend cpu (2 threads); 2025-06-01');
  const bare = parseOperatingPoints(JSON.stringify({ models: resultsDoc().models }));
  assert.equal(bare.options.title, 'Accuracy vs throughput per operating point');
  assert.equal(bare.options.footnote, undefined);
});

test('bad results files give errors naming the file, the field and the fix', () => {
  const fix = /run `mimo results conv .*` first/;
  const missing = join(tmp(), 'nope.json');
  assert.throws(() => loadOperatingPoints(missing), (e: Error) => e.message.includes(missing) && /not found/.test(e.message) && fix.test(e.message));
  const cases: [string, unknown, RegExp][] = [
    ['invalid JSON', '{"models": [', /not valid JSON/],
    ['not an object', '[1, 2]', /expected a JSON object with "models", got an array/],
    ['no models field', { dataset: 'cifar10' }, /"models" must be an array of models, got missing/],
    ['empty models', { models: [] }, /"models" is empty/],
    ['a model without results', { models: [{ name: 'a', results: [] }] }, /models\[0\] \('a'\)\.results is empty/],
    ['a model without a name', { models: [{ results: [{ n: 1, accuracy: 0.5, images_per_s: 1 }] }] }, /models\[0\]\.name must be a non-empty string, got missing/],
    // JSON.stringify writes NaN as null.
    ['NaN accuracy', { models: [{ name: 'a', results: [{ n: 1, accuracy: 0.9, images_per_s: 10 }, { n: 2, accuracy: NaN, images_per_s: 20 }] }] },
      /models\[0\] \('a'\)\.results\[1\]\.accuracy must be a fraction in \[0, 1\], got null/],
    ['accuracy as a string', { models: [{ name: 'a', results: [{ n: 1, accuracy: '0.9', images_per_s: 10 }] }] }, /accuracy must be a fraction in \[0, 1\], got '0.9'/],
    ['negative images/s', { models: [{ name: 'a', results: [{ n: 1, accuracy: 0.9, images_per_s: -1 }] }] }, /results\[0\]\.images_per_s must be a number >= 0, got -1/],
    ['fractional n', { models: [{ name: 'a', results: [{ n: 1.5, accuracy: 0.9, images_per_s: 1 }] }] }, /results\[0\]\.n must be a whole number >= 1, got 1.5/],
    ['repeated n', { models: [{ name: 'a', results: [{ n: 1, accuracy: 0.9, images_per_s: 1 }, { n: 1, accuracy: 0.8, images_per_s: 2 }] }] }, /n=1 appears twice/],
  ];
  for (const [what, doc, re] of cases) {
    const p = writeResults(doc);
    assert.throws(() => loadOperatingPoints(p), (e: Error) => e.message.startsWith(p + ': ') && re.test(e.message) && fix.test(e.message), what);
  }
});

test('mimo plot operating-points writes SVG and PNG atomically and ends with one JSON object', () => {
  const dir = tmp(), results = writeResults(resultsDoc());
  const out = join(dir, 'docs', 'op.svg'), png = join(dir, 'img', 'op.png');
  const r = mimo(['plot', 'operating-points', '--results', results, '--out', out, '--png', png, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.last);
  assert.equal(j.out, out);
  assert.equal(j.format, 'svg');
  assert.equal(j.png, png);
  assert.equal(j.series, 2);
  assert.equal(j.points, 5);
  assert.equal(j.title, 'CIFAR-10: accuracy vs throughput per operating point');
  assert.match(readFileSync(out, 'utf8'), /^<svg[\s\S]*CIFAR-10: accuracy vs throughput[\s\S]*<\/svg>\n$/);
  assert.deepEqual(pngSize(readFileSync(png)), { width: 800, height: 500 });
  for (const d of [join(dir, 'docs'), join(dir, 'img')]) assert.deepEqual(readdirSync(d).filter((f) => f.endsWith('.tmp')), [], 'no .tmp left');

  const asPng = join(dir, 'op.png');
  const p = mimo(['plot', 'operating-points', '--results', results, '--out', asPng, '--width', '400', '--height', '300', '--title', 'Mine', '--json']);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(JSON.parse(p.last).format, 'png');
  assert.deepEqual(pngSize(readFileSync(asPng)), { width: 400, height: 300 });
});

test('mimo plot operating-points: a bad --out is a usage error, a bad results file names the fix', () => {
  const dir = tmp(), results = writeResults(resultsDoc());
  const bad = mimo(['plot', 'operating-points', '--results', results, '--out', join(dir, 'op.jpg'), '--json']);
  assert.equal(bad.code, 2);
  assert.match(JSON.parse(bad.last).error, /--out .*op\.jpg: the extension picks the format and must be \.svg or \.png, got '\.jpg'/);
  assert.ok(!existsSync(join(dir, 'op.jpg')));
  const missing = mimo(['plot', 'operating-points', '--results', join(dir, 'none.json'), '--out', join(dir, 'op.svg'), '--json']);
  assert.equal(missing.code, 1);
  assert.match(JSON.parse(missing.last).error, /results file .*none\.json not found — run `mimo results conv/);
  assert.ok(!existsSync(join(dir, 'op.svg')));
});

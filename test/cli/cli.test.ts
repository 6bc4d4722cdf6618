// The mimo CLI as a user runs it: one JSON object last with --json, clear usage errors,
// and the one-time warning when the native backend is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../../src/cli/commands/index.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function mimo(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  const lines = r.stdout.trim().split('\n');
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, last: lines[lines.length - 1] };
}

test('--json ends stdout with exactly one JSON object', () => {
  const r = mimo(['info', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 1);
  const j = JSON.parse(r.last);
  assert.ok(['native', 'cpu'].includes(j.backend));
  assert.equal(j.tfjs, '4.22.0');
  assert.ok(j.cores >= 1 && typeof j.cpu === 'string' && 'vector_isa' in j, 'the machine, with its vector width');
  // The 3x3 convolution kernel: Winograd (oneDNN's on AVX-512, the addon's own elsewhere).
  if (j.backend === 'native') assert.match(j.conv3x3_impl, j.vector_isa === 'AVX-512' ? /wino/ : /^mimo_wino_4x3$/);
  else assert.equal(j.conv3x3_impl, null);
});

test('unknown options and commands are usage errors (exit 2) that name the problem', () => {
  const r = mimo(['bench', 'kernels', '--bogus', '--json']);
  assert.equal(r.code, 2);
  const j = JSON.parse(r.last);
  assert.match(j.error, /unknown option --bogus for 'mimo bench kernels' \(known: .*--skip-cpu/);
  const c = mimo(['frobnicate']);
  assert.equal(c.code, 2);
  assert.match(c.stderr, /unknown command 'frobnicate'/);
  const n = mimo(['bench', 'data', '--batch-size', 'many']);
  assert.equal(n.code, 2);
  assert.match(n.stderr, /--batch-size needs a number, got 'many'/);
  const open = mimo(['serve', '--checkpoint', 'x.ckpt', '--open-paths', '/metrics', '--json'], { MIMO_API_KEY: '' });
  assert.equal(open.code, 2);
  assert.match(JSON.parse(open.last).error, /--open-paths only matters with an API key: add --api-key K \(or set MIMO_API_KEY\)/);
});

test('every command has --help listing its options', () => {
  assert.ok(COMMANDS.length >= 18);
  for (const cmd of COMMANDS.map((c) => c.path)) {
    const r = mimo([...cmd, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`usage: mimo ${cmd.join(' ')} \\[options\\]`));
    assert.match(r.stdout, /--json/);
    // One aligned help column, at least two spaces after the longest option.
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('  --'));
    assert.equal(new Set(rows.map(helpColumn)).size, 1, `${cmd.join(' ')}: help text not aligned:\n${rows.join('\n')}`);
  }
  const overview = mimo(['--help']).stdout.split('\n').filter((l) => /^ {2}\S/.test(l));
  assert.equal(new Set(overview.map(helpColumn)).size, 1, 'command list aligned');
});

/** Where a help line's text starts: after the first run of two or more spaces past its name (-1: none). */
function helpColumn(line: string): number {
  const m = /^ *\S.*?\S? {2,}(?=\S)/.exec(line);
  return m ? m[0].length : -1;
}

test('a missing addon falls back to cpu with one warning naming the package', () => {
  const r = mimo(['info', '--json'], { MIMO_NATIVE_ADDON: '/nonexistent/mimo_native.node', MIMO_BACKEND: '' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.last).backend, 'cpu');
  const warnings = r.stderr.split('\n').filter((l) => l.includes('slow pure-JS cpu backend'));
  assert.equal(warnings.length, 1, r.stderr);
  assert.match(warnings[0], /libdnnl-dev/);
  assert.doesNotMatch(r.stderr, /tfjs-node/, 'tfjs advert must be silenced');
});

test('asking for native without the addon is an error, not a silent fallback', () => {
  const r = mimo(['info', '--json', '--backend', 'native'], { MIMO_NATIVE_ADDON: '/nonexistent/mimo_native.node' });
  assert.equal(r.code, 1);
  assert.match(JSON.parse(r.last).error, /backend 'native' was requested but native addon not built/);
});

test('a bad data directory names the path and how to fix it', () => {
  const r = mimo(['bench', 'data', '--json', '--data-dir', '/nonexistent/data']);
  assert.equal(r.code, 1);
  const j = JSON.parse(r.last);
  assert.match(j.error, /\/nonexistent\/data/);
});

test('bench kernels reports GFLOP/s for the three named workloads', { timeout: 120000 }, () => {
  const r = mimo(['bench', 'kernels', '--json', '--skip-cpu', '--min-seconds', '0.05']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.last);
  assert.deepEqual(j.workloads.map((w: { name: string }) => w.name), ['conv3x3_fwd', 'conv3x3_fwd_bwd', 'matmul_1024']);
  for (const w of j.workloads) assert.ok(w.gflops > 0, `${w.name}: ${w.gflops}`);
});

test('bench ops reports GB/s for the memory-bound kernels, and rejects a bad shape', { timeout: 120000 }, () => {
  const r = mimo(['bench', 'ops', '--json', '--shape', '4,50,40', '--min-seconds', '0.02']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.last);
  assert.deepEqual(j.shape, [4, 50, 40]);
  assert.deepEqual(j.workloads.map((w: { name: string }) => w.name), ['add', 'relu', 'dropout_0.1', 'layer_norm', 'layer_norm_grad', 'transpose_200x40', 'sum_last_axis']);
  for (const w of [...j.workloads, ...(j.cpu?.workloads ?? [])]) assert.ok(w.gbps > 0 && w.ms > 0, JSON.stringify(w));
  const bad = mimo(['bench', 'ops', '--json', '--shape', '4,0']);
  assert.equal(bad.code, 2);
  assert.match(JSON.parse(bad.last).error, /--shape needs at least two positive integers/);
});

test('bench step prints the step time and a kernel profile', { timeout: 120000 }, () => {
  const r = mimo(['bench', 'step', '--json', '--depth', '10', '--width', '1', '--batch', '8', '--size', '8', '--reps', '2', '--profile']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.last);
  assert.equal(j.model, 'wrn-10-1');
  assert.equal(j.flops_per_image, 1563904);
  assert.ok(j.step_ms > 0);
  assert.ok(j.kernels.some((k: { name: string }) => k.name === 'Conv2DBackpropFilter'));
  const bad = mimo(['bench', 'step', '--depth', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--depth must be a whole number >= 1, got 0/);
});

test('train conv and eval reject missing or bad arguments with the fix', () => {
  const noOut = mimo(['train', 'conv', '--json']);
  assert.equal(noOut.code, 2);
  assert.match(JSON.parse(noOut.last).error, /--out <checkpoint path> is required/);
  const badModel = mimo(['train', 'conv', '--model', 'resnet-18', '--out', '/tmp/x.ckpt', '--json']);
  assert.equal(badModel.code, 1);
  assert.match(JSON.parse(badModel.last).error, /expected wrn-D-W or mimonet-D-W/);
  const missing = mimo(['eval', '--checkpoint', '/nonexistent/m.ckpt', '--json']);
  assert.equal(missing.code, 1);
  assert.match(JSON.parse(missing.last).error, /\/nonexistent\/m.ckpt/);
});

test('an addon built from older sources is refused with the rebuild command, and cpu takes over', () => {
  // A stand-in "addon" without the interface version: what a build from before it looks like.
  const dir = mkdtempSync(join(tmpdir(), 'mimo-stale-'));
  const stale = join(dir, 'mimo_native.cjs');
  writeFileSync(stale, 'module.exports = { version: () => "2.6.3" };\n');
  try {
    const r = mimo(['info', '--json'], { MIMO_NATIVE_ADDON: stale, MIMO_BACKEND: '' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.last).backend, 'cpu');
    assert.match(r.stderr, /out of date \(interface 1, this code needs \d+\): rebuild it with npm run build:native/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mimo demo: the committed dynamic MIMONet at every n with one set of weights, timed interleaved, and its plot', { timeout: 600000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mimo-demo-'));
  try {
    const plot = join(dir, 'points.svg');
    const r = mimo(['demo', '--images', '512', '--min-seconds', '0.2', '--out', plot, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.last) as { model: string; capacity: number; dynamic: boolean; images: number; plot: string; results: { n: number; accuracy: number; images_per_s: number; speedup: number }[] };
    assert.equal(d.model, 'mimonet-16-4');
    assert.equal(d.capacity, 4);
    assert.equal(d.dynamic, true);
    assert.equal(d.images, 512);
    assert.deepEqual(d.results.map((p) => p.n), [1, 2, 4]);
    // A trained model (chance is 10%), and speed-ups relative to n=1 that rise with n.
    for (const p of d.results) assert.ok(p.accuracy > 0.5 && p.images_per_s > 0, JSON.stringify(p));
    assert.equal(d.results[0].speedup, 1);
    assert.ok(d.results[2].speedup > d.results[1].speedup && d.results[1].speedup > 1, JSON.stringify(d.results));
    assert.equal(d.plot, plot);
    const svg = readFileSync(plot, 'utf8');
    assert.match(svg, /^<svg/);
    for (const n of [1, 2, 4]) assert.ok(svg.includes(`n=${n}`), `plot lacks n=${n}`);
    const missing = mimo(['demo', '--checkpoint', '/nonexistent/model.ckpt', '--json']);
    assert.equal(missing.code, 2);
    assert.match(JSON.parse(missing.last).error, /--checkpoint \/nonexistent\/model\.ckpt: no such file; give a MIMONet checkpoint/);
    const bad = mimo(['demo', '--out', join(dir, 'points.txt'), '--json']);
    assert.equal(bad.code, 2);
    assert.match(JSON.parse(bad.last).error, /must be \.svg or \.png/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

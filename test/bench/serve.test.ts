// `mimo bench serve` end to end on a tiny checkpoint, bounded to a few seconds: one JSON
// object last, a row per mode and client count, no errors, tensors flat, clean shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../src/backend/index.js';
import { tinyServeCheckpoint } from '../helpers/serve_model.js';
import { tempDirs } from '../helpers/tmp.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const dirs = tempDirs('mimo-bench-serve-');

test('mimo bench serve runs bounded loopback load and reports every run', async () => {
  await initBackend();
  const dir = dirs();
  const ckpt = tinyServeCheckpoint(dir);
  const r = spawnSync(process.execPath, [MAIN, 'bench', 'serve', '--checkpoint', ckpt, '--duration', '1', '--clients', '1,4', '--modes', '2,auto', '--out', `${dir}/serve`, '--json'],
    { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(j.runs.map((x: { mode: string; clients: number }) => `${x.mode}x${x.clients}`), ['2x1', '2x4', 'autox1', 'autox4']);
  for (const run of j.runs) {
    assert.ok(run.requests > 0 && run.images_per_s > 0, JSON.stringify(run));
    assert.ok(run.latency_p99_ms >= run.latency_p50_ms);
    const share = Object.values(run.n_share as Record<string, number>).reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(share - 1) < 0.01, `n shares sum to 1: ${JSON.stringify(run.n_share)}`);
  }
  assert.equal(j.checks.errors, 0);
  assert.equal(j.checks.tensors_flat, true);
  assert.equal(j.checks.clean_shutdown, true);
  // One client never has two images to superpose: every image at n=1.
  assert.equal(j.runs[2].n_share['n=1'], 1);
  const bad = spawnSync(process.execPath, [MAIN, 'bench', 'serve', '--checkpoint', ckpt, '--modes', '3', '--duration', '1', '--json'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(bad.status, 2);
  assert.match(JSON.parse(bad.stdout.trim().split('\n').pop()!).error, /--modes 3: the model serves n = 1, 2, 4 and auto/);
});

// The interference bound check (SPEC §4.4, ours): measured error statistics follow the
// prediction, the tail respects the Hoeffding bound, and M=N=1 has no interference at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { interferenceCase } from '../../../src/models/mimoformer/interference.js';

test('score interference: zero mean, predicted std, tail under the bound; none at M=N=1', () => {
  for (const [d, mn] of [[32, 2], [64, 4], [128, 2]]) {
    const r = interferenceCase(d, mn, 3000, d + mn);
    assert.ok(Math.abs(r.std_ratio - 1) < 0.08, `D=${d} M=N=${mn}: std ${r.measured_std} vs predicted ${r.predicted_std}`);
    assert.ok(r.tail_frequency <= r.delta, `tail ${r.tail_frequency}`);
    assert.ok(r.holds);
    // The error grows like sqrt(MN − 1) and shrinks like 1/sqrt(D) for unit vectors (SPEC: √((MN−1)/D)).
    assert.ok(Math.abs(r.predicted_std / Math.sqrt((mn * mn - 1) / d) - 1) < 0.35, `typical size ${r.predicted_std}`);
  }
  const one = interferenceCase(64, 1, 100, 1);
  assert.equal(one.measured_std, 0);
  assert.equal(one.predicted_std, 0);
});

test('mimo interference --json reports holds and one row per case', { timeout: 60000 }, () => {
  const main = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
  const r = spawnSync(process.execPath, [main, 'interference', '--json', '--dims', '16,64', '--grids', '1,2', '--trials', '500'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(j.holds, true);
  assert.equal(j.rows.length, 4);
  for (const id of j.identity) assert.ok(id.max_abs_error < 1e-4);
});

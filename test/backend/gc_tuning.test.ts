// When V8's concurrent marking is turned off: only when the addon's threads leave no core
// free for the marker, and never with MIMO_CONCURRENT_MARKING=1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tuneGarbageCollector } from '../../src/backend/gc_tuning.js';

test('concurrent marking stays on with a spare core or the opt-out, and goes off otherwise', () => {
  assert.equal(tuneGarbageCollector(1, 2), false, '1 thread on 2 cores: the marker has a core');
  assert.equal(tuneGarbageCollector(3, 8), false, '3 threads on 8 cores');
  process.env.MIMO_CONCURRENT_MARKING = '1';
  assert.equal(tuneGarbageCollector(2, 2), false, 'opted out');
  delete process.env.MIMO_CONCURRENT_MARKING;
  assert.equal(tuneGarbageCollector(1, 1), true, 'pinned to one core');
  assert.equal(tuneGarbageCollector(1, 4), true, 'applied once per process, then reported as applied');
});

// interleavedMedians: rounds alternate between the functions, every function gets its
// minimum number of timed calls, and a median is a real duration of that function.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interleavedMedians, median } from '../../src/bench/timing.js';

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
};

test('interleavedMedians times the functions in alternating rounds', () => {
  const order: string[] = [];
  const m = interleavedMedians([() => { order.push('a'); busy(1); }, () => { order.push('b'); busy(3); }], 3, 0, 4);
  // 4 rounds, each: one warm-up and one timed call of a, then of b.
  assert.equal(order.join(''), 'aabb'.repeat(4));
  assert.equal(m.length, 2);
  assert.ok(m[0] >= 0.001 && m[1] >= 0.003, `medians ${m}`);
});

test('interleavedMedians keeps going until every function has reps timed calls', () => {
  let calls = 0;
  interleavedMedians([() => { calls++; }], 7, 0, 2);
  // Rounds of (warm-up + one timed call) until 7 timed calls: 7 rounds, 14 calls.
  assert.equal(calls, 14);
});

test('interleavedMedians spends about minSeconds per function, split over the rounds', () => {
  const counts = [0, 0];
  interleavedMedians([() => { counts[0]++; busy(2); }, () => { counts[1]++; busy(2); }], 1, 0.05, 5);
  // 10 ms per round and function: about 5 timed calls (+1 warm-up) each round; fewer (but at
  // least one) when the machine is busy and each call takes longer, never more.
  for (const c of counts) assert.ok(c >= 5 * 2 && c <= 5 * 7, `calls ${counts}`);
});

test('median takes the upper middle value', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 3);
});

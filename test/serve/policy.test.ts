// The serving core without HTTP or tensors: the auto policy, pass planning, the
// micro-batcher (with a fake runner that records what it is asked) and the metrics text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batcher } from '../../src/serve/batcher.js';
import { Counter, Histogram, Registry } from '../../src/serve/metrics.js';
import { chooseN, fitCost, parsePolicy, passSeconds, splitPlan, type PassCost } from '../../src/serve/policy.js';
import type { ClassifyReply, Runner } from '../../src/serve/worker_client.js';

// Per image: 4 ms at n=1, 2 ms at n=2, 1 ms at n=4; 2 ms overhead per pass.
const COSTS = new Map<number, PassCost>([[1, { overheadS: 0.002, perImageS: 0.004 }], [2, { overheadS: 0.002, perImageS: 0.002 }], [4, { overheadS: 0.002, perImageS: 0.001 }]]);
const POINTS = [1, 2, 4];

test('auto picks n=1 when idle, larger n as the queue grows, n=N when saturated', () => {
  const auto = parsePolicy('auto', POINTS, 100);
  assert.equal(chooseN(auto, POINTS, COSTS, 1, 0), 1);
  assert.equal(chooseN(auto, POINTS, COSTS, 24, 0), 1); // 2 + 96 ms
  assert.equal(chooseN(auto, POINTS, COSTS, 25, 0), 2); // 102 ms at n=1
  assert.equal(chooseN(auto, POINTS, COSTS, 60, 0), 4);
  assert.equal(chooseN(auto, POINTS, COSTS, 10_000, 0), 4);
  // Time already spent waiting shrinks the budget.
  assert.equal(chooseN(auto, POINTS, COSTS, 10, 0), 1);
  assert.equal(chooseN(auto, POINTS, COSTS, 10, 70), 2);
  // Monotone: more queued never picks a smaller n.
  let last = 1;
  for (let q = 1; q < 200; q++) {
    const n = chooseN(auto, POINTS, COSTS, q, 0);
    assert.ok(n >= last, `q=${q}`);
    last = n;
  }
  assert.equal(chooseN(parsePolicy('n=2', POINTS, 100), POINTS, COSTS, 1000, 0), 2);
});

test('policies are parsed with errors that list the choices', () => {
  assert.throws(() => parsePolicy('fast', POINTS, 100), /use 'auto' or 'n=K' with K one of 1, 2, 4/);
  assert.throws(() => parsePolicy('n=3', POINTS, 100), /serves n in \{1, 2, 4\}/);
  assert.deepEqual(parsePolicy('n=4', POINTS, 100), { kind: 'fixed', n: 4 });
  assert.equal(passSeconds(COSTS, 8, 1), Infinity);
});

test('splitPlan covers every image at the largest n that fits, padding only without n=1', () => {
  assert.deepEqual(splitPlan(7, 4, POINTS), [{ n: 4, count: 4 }, { n: 2, count: 2 }, { n: 1, count: 1 }]);
  assert.deepEqual(splitPlan(8, 4, POINTS), [{ n: 4, count: 8 }]);
  assert.deepEqual(splitPlan(3, 1, POINTS), [{ n: 1, count: 3 }]);
  assert.deepEqual(splitPlan(5, 2, POINTS), [{ n: 2, count: 4 }, { n: 1, count: 1 }]);
  assert.deepEqual(splitPlan(6, 4, [4]), [{ n: 4, count: 4 }, { n: 4, count: 2 }]);
  for (let k = 1; k < 40; k++) for (const n of POINTS) assert.equal(splitPlan(k, n, POINTS).reduce((s, p) => s + p.count, 0), k);
});

test('fitCost recovers overhead and per-image time from two timings', () => {
  const c = fitCost(4, 0.002 + 4 * 0.001, 128, 0.002 + 128 * 0.001);
  assert.ok(Math.abs(c.overheadS - 0.002) < 1e-12 && Math.abs(c.perImageS - 0.001) < 1e-12);
  assert.deepEqual(fitCost(1, 0.01, 2, 0.005), { overheadS: 0.01, perImageS: 0 });
});

/** A runner that answers probabilities encoding each image's first byte, after `delayMs`. */
class FakeRunner implements Runner {
  calls: { count: number; plan: { n: number; count: number }[] }[] = [];
  fail = false;
  constructor(private readonly delayMs: number) {}
  async classify(images: Uint8Array, count: number, plan: { n: number; count: number }[]): Promise<ClassifyReply> {
    this.calls.push({ count, plan });
    await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.fail) throw new Error('worker died');
    const probs = new Float32Array(count * 2);
    for (let i = 0; i < count; i++) probs[2 * i] = images[i * 3];
    return { probs, passes: plan.map((p) => ({ ...p, seconds: 0.001 })), tensors: 0 };
  }
}

const img = (v: number) => new Uint8Array([v, 0, 0]);

function batcher(runner: Runner, policy = parsePolicy('auto', POINTS, 100)) {
  return new Batcher(runner, { policy, points: POINTS, costs: new Map(COSTS), classes: 2, maxSuperpositions: 4, imageBytes: 3 });
}

test('the batcher answers each request with its own images, in order, at the n used', async () => {
  const r = new FakeRunner(5);
  const b = batcher(r);
  const one = await b.submit([img(7)]);
  assert.deepEqual([...one.probs[0]], [7, 0]);
  assert.deepEqual(one.n, [1]);
  // While the first batch runs, the others queue and go out together as one batch.
  const ps = [b.submit([img(1)]), b.submit([img(2), img(3)]), b.submit([img(4)]), b.submit([img(5), img(6)], 2)];
  const out = await Promise.all(ps);
  assert.deepEqual(out.map((o) => o.probs.map((p) => p[0])), [[1], [2, 3], [4], [5, 6]]);
  assert.deepEqual(out[3].n, [2, 2]);
  assert.equal(r.calls.length, 4); // 7 | 1 | 2,3,4 (auto) | 5,6 (forced n=2)
  assert.deepEqual(r.calls[2].plan, [{ n: 1, count: 3 }]);
  await b.idle();
});

test('a saturated auto batcher runs at n=N and splits big requests across batches', async () => {
  const r = new FakeRunner(2);
  const b = batcher(r);
  const images = Array.from({ length: 50 }, (_, i) => img(i));
  const out = await b.submit(images);
  assert.deepEqual(out.probs.map((p) => p[0]), images.map((_, i) => i));
  // 50 images: over 100 ms at n=1 or 2, so n=4 first; at most 4 superpositions (16 images) a batch.
  assert.ok(r.calls.every((c) => c.count <= 16));
  assert.equal(r.calls[0].plan[0].n, 4);
  assert.equal(out.n[0], 4);
  // As the queue drains, the policy steps down to more accurate operating points.
  assert.equal(out.n[49], 1);
  await assert.rejects(b.submit([img(1)], 3), /n=3 is not served; use one of 1, 2, 4 or auto/);
});

test('a failed batch rejects its requests and the batcher keeps serving', async () => {
  const r = new FakeRunner(1);
  const b = batcher(r);
  r.fail = true;
  await assert.rejects(b.submit([img(1), img(2)]), /worker died/);
  r.fail = false;
  assert.deepEqual((await b.submit([img(9)])).probs[0][0], 9);
});

test('metrics render in the Prometheus text format', () => {
  const reg = new Registry();
  const c = reg.add('x_total', new Counter('things'));
  const h = reg.add('lat_seconds', new Histogram('latency', [0.1, 1]));
  c.inc({ route: '/a"b', code: 200 });
  c.inc({ code: 200, route: '/a"b' }, 2);
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  const text = reg.render();
  assert.match(text, /# TYPE x_total counter\nx_total\{route="\/a\\"b",code="200"\} 3\n/);
  assert.match(text, /lat_seconds_bucket\{le="0.1"\} 1\nlat_seconds_bucket\{le="1"\} 2\nlat_seconds_bucket\{le="\+Inf"\} 3\nlat_seconds_sum 5.55\nlat_seconds_count 3\n/);
  assert.equal(h.quantile(0.5), 1);
  assert.throws(() => reg.add('bad name', new Counter('x')), /not valid/);
});

// The input pipeline: seeded PRNG, reflect-pad crop + flip + normalisation against naive
// references, and the epoch / batching contract.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  benchPipeline, CIFAR10_MEAN, CIFAR10_STD, createPipeline, cropMaps, deriveSeed, evalPipeline, gatherNormalize,
  loadCifar10, normalizationLut, reflectIndex, resolveDataDir, Rng, shuffleInPlace, trainPipeline,
  type Batch, type ImageDataset,
} from '../../src/data/index.js';

// ---------- PRNG ----------

test('Rng.fromState reproduces the xoshiro128** reference output for state {1, 2, 3, 4}', () => {
  const r = Rng.fromState([1, 2, 3, 4]);
  const got = Array.from({ length: 10 }, () => r.nextU32());
  assert.deepEqual(got, [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804]);
});

test('Rng: deterministic per seed, different across seeds, uniform int()', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const sa = Array.from({ length: 100 }, () => a.nextU32());
  assert.deepEqual(sa, Array.from({ length: 100 }, () => b.nextU32()));
  assert.notDeepEqual(sa, Array.from({ length: 100 }, () => c.nextU32()));

  const r = new Rng(1);
  const counts = new Array<number>(10).fill(0);
  const draws = 100000;
  for (let i = 0; i < draws; i++) counts[r.int(10)]++;
  // Each count ~ Binomial(1e5, 0.1): sd ~ 95, so +-600 is over 6 sd.
  for (const n of counts) assert.ok(Math.abs(n - draws / 10) < 600, `counts ${counts}`);
  let sum = 0;
  for (let i = 0; i < draws; i++) {
    const u = r.next();
    assert.ok(u >= 0 && u < 1);
    sum += u;
  }
  assert.ok(Math.abs(sum / draws - 0.5) < 0.01);
  assert.throws(() => new Rng(1.5), /expected a safe integer, found 1.5/);
  assert.throws(() => r.int(0), /expected an integer 1..2\^32, found 0/);
});

test('deriveSeed and shuffleInPlace: the TSDoc examples, and every permutation equally likely', () => {
  assert.equal(deriveSeed(42, 3), deriveSeed(42, 3));
  assert.notEqual(deriveSeed(42, 3), deriveSeed(42, 4));
  assert.notEqual(deriveSeed(42, 1, 2), deriveSeed(42, 2, 1));
  assert.notEqual(deriveSeed(1, 0), deriveSeed(1));
  assert.notEqual(deriveSeed(2 ** 40), deriveSeed(0));

  const a = shuffleInPlace(Int32Array.from([0, 1, 2, 3, 4]), new Rng(7));
  assert.deepEqual(Array.from(a).sort(), [0, 1, 2, 3, 4]);
  assert.deepEqual(a, shuffleInPlace(Int32Array.from([0, 1, 2, 3, 4]), new Rng(7)));

  const r = new Rng(3);
  const seen = new Map<string, number>();
  const trials = 60000;
  for (let t = 0; t < trials; t++) {
    const key = shuffleInPlace(['a', 'b', 'c'], r).join('');
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  assert.equal(seen.size, 6);
  for (const [k, n] of seen) assert.ok(Math.abs(n - trials / 6) < 500, `${k}: ${n}`);
});

// ---------- augmentation kernels vs naive references ----------

function randomDataset(count: number, height: number, width: number, channels: number, seed = 123, name = 'synthetic'): ImageDataset {
  const r = new Rng(seed);
  const images = new Uint8Array(count * height * width * channels);
  for (let i = 0; i < images.length; i++) images[i] = r.int(256);
  const labels = Uint8Array.from({ length: count }, (_, i) => (i * 3) % 10);
  return { name, split: 'train', images, labels, count, height, width, channels, numClasses: 10, classNames: [] };
}

/**
 * torchvision's recipe written out step by step on explicit arrays: flip, build the reflect-padded
 * image by mirroring (numpy 'reflect': padded[p - k] = padded[p + k]), crop, then (v/255 - mean)/std.
 */
function naiveAugment(
  img: Uint8Array, H: number, W: number, C: number, flip: boolean, pad: number, dy: number, dx: number,
  mean: readonly number[], std: readonly number[],
): Float64Array {
  const at = (y: number, x: number, c: number): number => (y * W + x) * C + c;
  const flipped = new Uint8Array(H * W * C);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) {
    flipped[at(y, x, c)] = img[at(y, flip ? W - 1 - x : x, c)];
  }
  const PH = H + 2 * pad;
  const PW = W + 2 * pad;
  const padded: number[][][] = Array.from({ length: PH }, () => Array.from({ length: PW }, () => new Array<number>(C).fill(-1)));
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) padded[y + pad][x + pad][c] = flipped[at(y, x, c)];
  for (let y = pad; y < pad + H; y++) {
    for (let k = 1; k <= pad; k++) {
      padded[y][pad - k] = padded[y][pad + k].slice();
      padded[y][pad + W - 1 + k] = padded[y][pad + W - 1 - k].slice();
    }
  }
  for (let k = 1; k <= pad; k++) {
    padded[pad - k] = padded[pad + k].map((p) => p.slice());
    padded[pad + H - 1 + k] = padded[pad + H - 1 - k].map((p) => p.slice());
  }
  const out = new Float64Array(H * W * C);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) {
    const v = padded[y + dy][x + dx][c];
    assert.ok(v >= 0, 'reference padding left a hole');
    out[at(y, x, c)] = (v / 255 - mean[c]) / std[c];
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('reflectIndex: the edge pixel is not repeated (PyTorch/numpy reflect)', () => {
  // [a b c d] padded by 2 -> [c b | a b c d | c b]
  assert.deepEqual([-2, -1, 0, 1, 2, 3, 4, 5].map((t) => reflectIndex(t, 4)), [2, 1, 0, 1, 2, 3, 2, 1]);
});

for (const [H, W, C, pad] of [[5, 7, 3, 2], [9, 6, 1, 4], [4, 4, 2, 3], [32, 32, 3, 4]] as const) {
  test(`gatherNormalize with cropMaps matches the naive reference for every flip and offset, ${H}x${W}x${C} pad ${pad}`, () => {
    const ds = randomDataset(2, H, W, C, H * 100 + W);
    const mean = [0.1, 0.5, 0.9].slice(0, C);
    const std = [0.2, 0.3, 0.25].slice(0, C);
    const lut = normalizationLut(mean, std, C);
    const maps = cropMaps(H, W, C, pad);
    const img = ds.images.subarray(H * W * C, 2 * H * W * C);
    const out = new Float32Array(H * W * C + 5);
    for (const flip of [0, 1] as const) {
      for (let dy = 0; dy <= 2 * pad; dy++) for (let dx = 0; dx <= 2 * pad; dx++) {
        gatherNormalize(ds.images, H * W * C, out, 5, C, lut, maps.rows[dy], maps.cols[flip][dx]);
        const want = naiveAugment(img, H, W, C, flip === 1, pad, dy, dx, mean, std);
        assert.ok(maxAbsDiff(out.subarray(5), want) < 1e-5, `flip=${flip} dy=${dy} dx=${dx}`);
      }
    }
  });
}

test('cropMaps rejects padding that reflect mode cannot do', () => {
  assert.throws(() => cropMaps(4, 8, 3, 4), /expected an integer 0..3 for 4x8 images, found 4; choose a smaller padding/);
  const tiny = randomDataset(2, 4, 4, 3);
  assert.throws(() => trainPipeline(tiny, { batchSize: 1, mean: [0, 0, 0], std: [1, 1, 1] }), /found 4; choose a smaller padding/);
  assert.doesNotThrow(() => trainPipeline(tiny, { batchSize: 1, mean: [0, 0, 0], std: [1, 1, 1], augment: { padding: 2 } }));
});

/** All (flip, dy, dx) whose naive output equals `x`. */
function matchingParams(x: Float32Array, img: Uint8Array, H: number, W: number, C: number, pad: number,
  mean: readonly number[], std: readonly number[]): string[] {
  const found: string[] = [];
  for (const flip of [false, true]) for (let dy = 0; dy <= 2 * pad; dy++) for (let dx = 0; dx <= 2 * pad; dx++) {
    if (maxAbsDiff(x, naiveAugment(img, H, W, C, flip, pad, dy, dx, mean, std)) < 1e-5) found.push(`${flip ? 'F' : '-'}${dy},${dx}`);
  }
  return found;
}

test('train pipeline output is the reference transform of the indexed image, with varied flips and crops', () => {
  const [H, W, C, pad] = [6, 8, 3, 2];
  const ds = randomDataset(64, H, W, C, 9);
  const mean = [0.4, 0.5, 0.6];
  const std = [0.2, 0.25, 0.3];
  const p = trainPipeline(ds, { batchSize: 16, seed: 5, mean, std, augment: { padding: pad } });
  const params = new Set<string>();
  let flips = 0;
  for (const batch of p.batches(1)) {
    for (let k = 0; k < batch.size; k++) {
      const n = batch.indices[k];
      assert.equal(batch.y[k], ds.labels[n]);
      const img = ds.images.subarray(n * H * W * C, (n + 1) * H * W * C);
      const m = matchingParams(batch.x.subarray(k * H * W * C, (k + 1) * H * W * C), img, H, W, C, pad, mean, std);
      assert.equal(m.length, 1, `image ${n} matched ${m}`);
      params.add(m[0]);
      if (m[0].startsWith('F')) flips++;
    }
  }
  // 64 draws from 50 equally likely (flip, dy, dx): expect ~36 distinct and ~32 flips.
  assert.ok(params.size > 20, `only ${params.size} distinct augmentations`);
  assert.ok(flips > 16 && flips < 48, `${flips} flips out of 64`);
});

test('flip only (padding 0): output column j is input column W-1-j, and about half the images flip', () => {
  const [H, W, C] = [3, 5, 3];
  const ds = randomDataset(400, H, W, C, 11);
  const p = trainPipeline(ds, { batchSize: 400, seed: 2, mean: [0, 0, 0], std: [1, 1, 1], augment: { flip: true, padding: 0 } });
  const [batch] = p.batches(0);
  let flipped = 0;
  for (let k = 0; k < batch.size; k++) {
    const n = batch.indices[k];
    const same = [true, true];
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) {
      const got = batch.x[k * H * W * C + (y * W + x) * C + c];
      const src = (xx: number): number => Math.fround(ds.images[n * H * W * C + (y * W + xx) * C + c] / 255);
      if (got !== src(x)) same[0] = false;
      if (got !== src(W - 1 - x)) same[1] = false;
    }
    assert.ok(same[0] || same[1], `image ${n} is neither itself nor its mirror`);
    if (same[1] && !same[0]) flipped++;
  }
  assert.ok(flipped > 160 && flipped < 240, `${flipped} of 400 flipped`);
});

test('normalisation equals (v/255 - mean)/std for every byte and channel; CIFAR-10 constants', () => {
  assert.deepEqual([...CIFAR10_MEAN], [0.4914, 0.4822, 0.4465]);
  assert.deepEqual([...CIFAR10_STD], [0.247, 0.2435, 0.2616]);
  const [H, W, C] = [16, 16, 3];
  const images = new Uint8Array(H * W * C);
  for (let p = 0; p < H * W; p++) {
    images[p * 3] = p;
    images[p * 3 + 1] = 255 - p;
    images[p * 3 + 2] = (p * 7) & 255;
  }
  const ds: ImageDataset = { name: 'cifar10', split: 'test', images, labels: new Uint8Array(1), count: 1, height: H, width: W, channels: C, numClasses: 10, classNames: [] };
  const [batch] = evalPipeline(ds, { batchSize: 1 }).batches();
  for (let i = 0; i < images.length; i++) {
    const c = i % 3;
    const want = (images[i] / 255 - CIFAR10_MEAN[c]) / CIFAR10_STD[c];
    assert.ok(Math.abs(batch.x[i] - want) < 1e-6, `byte ${images[i]} channel ${c}: ${batch.x[i]} vs ${want}`);
  }
  assert.throws(() => evalPipeline({ ...ds, name: 'faces' }, { batchSize: 1 }), /dataset 'faces': no standard normalisation constants; pass mean and std/);
  assert.throws(() => evalPipeline(ds, { batchSize: 1, mean: [0, 0, 0] }), /pass both mean and std/);
  assert.throws(() => evalPipeline(ds, { batchSize: 1, mean: [0], std: [1] }), /expected 3 means and stds/);
});

// ---------- epochs and batching ----------

const collect = (it: Iterable<Batch>): Batch[] => [...it];
const ids = (batches: Batch[]): number[] => batches.flatMap((b) => Array.from(b.indices));

test('train pipeline: same seed same batches, epochs differ, each index once per epoch', () => {
  const ds = randomDataset(100, 6, 6, 3);
  const opts = { batchSize: 16, seed: 7, mean: [0, 0, 0], std: [1, 1, 1] };
  const a = trainPipeline(ds, opts);
  const b = trainPipeline(ds, opts);
  assert.equal(a.batchesPerEpoch, 6); // dropLast: floor(100 / 16)
  const a2 = collect(a.batches(2));
  assert.deepEqual(a2, collect(b.batches(2)));
  assert.ok(a2.every((x) => x.size === 16 && x.x.length === 16 * 108));

  const orders = [0, 1, 2].map((e) => ids(collect(a.batches(e))));
  assert.notDeepEqual(orders[0], orders[1]);
  assert.notDeepEqual(orders[1], orders[2]);
  assert.notDeepEqual(ids(collect(trainPipeline(ds, { ...opts, seed: 8 }).batches(0))), orders[0]);
  for (const o of orders) assert.equal(new Set(o).size, 96);

  const keepAll = trainPipeline(ds, { ...opts, dropLast: false });
  const all = collect(keepAll.batches(4));
  assert.deepEqual(all.map((x) => x.size), [16, 16, 16, 16, 16, 16, 4]);
  assert.deepEqual(ids(all).sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  // The order depends only on (seed, epoch), not on batching or augmentation.
  assert.deepEqual(ids(all).slice(0, 96), ids(collect(a.batches(4))));
  assert.deepEqual(ids(collect(trainPipeline(ds, { ...opts, augment: false }).batches(4))), ids(collect(a.batches(4))));
  assert.deepEqual(Array.from(a.order(4)), ids(all));
});

test('resuming: batches(epoch, startBatch) reproduces the rest of the uninterrupted epoch', () => {
  const ds = randomDataset(50, 8, 8, 3);
  const p = trainPipeline(ds, { batchSize: 8, seed: 3, mean: [0, 0, 0], std: [1, 1, 1], augment: { padding: 2 } });
  const full = collect(p.batches(5));
  const resumed = collect(trainPipeline(ds, { batchSize: 8, seed: 3, mean: [0, 0, 0], std: [1, 1, 1], augment: { padding: 2 } }).batches(5, 2));
  assert.deepEqual(resumed, full.slice(2));
  assert.deepEqual(collect(p.batches(5, 99)), []);
  assert.throws(() => collect(p.batches(5, -1)), /expected startBatch an integer >= 0, found -1/);
  assert.throws(() => collect(p.batches(1.5)), /expected an epoch integer >= 0, found 1.5/);
  // An explicit undefined falls back to the default instead of breaking the crop.
  assert.equal(trainPipeline(ds, { batchSize: 8, mean: [0, 0, 0], std: [1, 1, 1], augment: { padding: undefined } }).augment?.padding, 4);
});

test('eval pipeline: dataset order, no augmentation, last partial batch kept', () => {
  const ds = randomDataset(10, 4, 4, 3);
  const p = evalPipeline(ds, { batchSize: 4, mean: [0, 0, 0], std: [1, 1, 1] });
  const batches = collect(p.batches());
  assert.deepEqual(batches.map((b) => b.size), [4, 4, 2]);
  assert.deepEqual(ids(batches), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(batches[2].x.length, 2 * 48);
  assert.deepEqual(Array.from(batches[2].y), [ds.labels[8], ds.labels[9]]);
  for (let i = 0; i < 2 * 48; i++) assert.equal(batches[2].x[i], Math.fround(ds.images[8 * 48 + i] / 255));
  assert.deepEqual(collect(p.batches(3)), batches); // epochs are identical in eval mode
});

test('reuseBuffers: one set of buffers, each batch correct when it is yielded', () => {
  const ds = randomDataset(40, 5, 5, 3);
  const opts = { batchSize: 16, seed: 1, mean: [0, 0, 0], std: [1, 1, 1], dropLast: false };
  const fresh = collect(trainPipeline(ds, opts).batches(0));
  let buffer: ArrayBufferLike | undefined;
  let b = 0;
  for (const batch of trainPipeline(ds, { ...opts, reuseBuffers: true }).batches(0)) {
    buffer ??= batch.x.buffer;
    assert.equal(batch.x.buffer, buffer);
    assert.deepEqual(batch, fresh[b++]);
  }
  assert.equal(b, 3);
});

test('indices option: iterates only the given rows', () => {
  const ds = randomDataset(30, 6, 6, 3);
  const subset = [3, 5, 7, 11, 13, 17, 19];
  const p = createPipeline(ds, { batchSize: 3, seed: 4, indices: subset, mean: [0, 0, 0], std: [1, 1, 1] });
  assert.equal(p.size, 7);
  assert.equal(p.batchesPerEpoch, 2);
  const seen = ids(collect(createPipeline(ds, { batchSize: 3, seed: 4, indices: subset, dropLast: false, mean: [0, 0, 0], std: [1, 1, 1] }).batches(0)));
  assert.deepEqual(seen.sort((x, y) => x - y), subset);
  assert.throws(() => createPipeline(ds, { batchSize: 3, indices: [30], mean: [0, 0, 0], std: [1, 1, 1] }), /index 30 is outside dataset 'synthetic' of 30 images/);
});

test('benchPipeline reports throughput on a synthetic set', () => {
  const ds = randomDataset(300, 32, 32, 3, 1, 'cifar10');
  const r = benchPipeline(ds, { batchSize: 128, batches: 5, augment: true }); // crosses into epoch 1
  assert.equal(r.images, 640);
  assert.ok(r.images_per_s > 0 && r.ms_per_batch > 0);
});

const cifarDir = join(resolveDataDir(), 'cifar-10-batches-bin');
test('pipeline speed on CIFAR-10 train: batch 128 with augmentation', {
  skip: existsSync(cifarDir) ? false : `${cifarDir} is absent: run \`npm run setup\``,
}, (t) => {
  const ds = loadCifar10(resolveDataDir(), 'train');
  const r = benchPipeline(ds, { batchSize: 128, batches: 100, augment: true });
  t.diagnostic(`augmented batch of 128: ${r.ms_per_batch.toFixed(2)} ms, ${Math.round(r.images_per_s)} images/s`);
  // A few ms is the target; 50 ms leaves room for slow, shared CI machines.
  assert.ok(r.ms_per_batch < 50, `${r.ms_per_batch} ms per batch`);
});

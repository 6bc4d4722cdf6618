// Loaders on the real datasets in their official formats. Skipped (with the reason) when the
// data directory has not been unpacked: `npm run setup` or MIMO_DATA_DIR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS, loadCifar10, loadImdb, loadMnist, resolveDataDir, type DatasetName } from '../../src/data/index.js';

const dataDir = resolveDataDir();

function skipUnless(name: DatasetName): string | false {
  const path = join(dataDir, DATASETS[name].folder);
  return existsSync(path) ? false : `${path} is absent: run \`npm run setup\` or set MIMO_DATA_DIR to test ${name} on real data`;
}

function histogram(labels: Uint8Array, classes: number): number[] {
  const h = new Array<number>(classes).fill(0);
  for (const l of labels) h[l]++;
  return h;
}

/** Pixel (y, x, c) of a record straight from the official bytes: label byte, then R, G, B planes. */
function rawPixel(file: Buffer, record: number, y: number, x: number, c: number): number {
  return file[record * 3073 + 1 + c * 1024 + y * 32 + x];
}

test('CIFAR-10 test split: 10 000 images, 1 000 per class, NHWC matches the raw CHW records', { skip: skipUnless('cifar10') }, () => {
  const ds = loadCifar10(dataDir, 'test');
  assert.equal(ds.count, 10000);
  assert.deepEqual([ds.height, ds.width, ds.channels, ds.numClasses], [32, 32, 3, 10]);
  assert.equal(ds.images.length, 10000 * 32 * 32 * 3);
  assert.deepEqual(histogram(ds.labels, 10), new Array(10).fill(1000));
  assert.equal(ds.classNames[3], 'cat');
  // The first test image of the official release is a cat.
  assert.equal(ds.labels[0], 3);

  // Every pixel of every record, indexed independently of the loader's loop structure.
  const raw = readFileSync(join(dataDir, 'cifar-10-batches-bin', 'test_batch.bin'));
  let mismatches = 0;
  for (let n = 0; n < 10000; n++) {
    if (ds.labels[n] !== raw[n * 3073]) mismatches++;
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) for (let c = 0; c < 3; c++) {
      if (ds.images[((n * 32 + y) * 32 + x) * 3 + c] !== rawPixel(raw, n, y, x, c)) mismatches++;
    }
  }
  assert.equal(mismatches, 0);
});

test('CIFAR-10 train split: 50 000 images, 5 000 per class, batches concatenated in order', { skip: skipUnless('cifar10') }, () => {
  const t0 = performance.now();
  const ds = loadCifar10(dataDir, 'train');
  const ms = performance.now() - t0;
  assert.ok(ms < 5000, `loading CIFAR-10 train took ${ms.toFixed(0)} ms`);
  assert.equal(ds.count, 50000);
  assert.equal(ds.split, 'train');
  assert.deepEqual(histogram(ds.labels, 10), new Array(10).fill(5000));
  assert.deepEqual(ds.classNames, ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
  // The first training image of the official release (data_batch_1, record 0) is a frog.
  assert.equal(ds.labels[0], 6);

  // Images from every file, including the first and last record of each, and all four corners.
  for (const n of [0, 1, 9999, 10000, 19999, 23456, 30000, 41234, 49999]) {
    const file = readFileSync(join(dataDir, 'cifar-10-batches-bin', `data_batch_${1 + Math.floor(n / 10000)}.bin`));
    const r = n % 10000;
    assert.equal(ds.labels[n], file[r * 3073], `label of image ${n}`);
    for (const [y, x] of [[0, 0], [0, 31], [31, 0], [31, 31], [5, 17], [16, 16]]) {
      for (let c = 0; c < 3; c++) {
        assert.equal(ds.images[((n * 32 + y) * 32 + x) * 3 + c], rawPixel(file, r, y, x, c), `image ${n} pixel (${y}, ${x}) channel ${c}`);
      }
    }
  }
});

// Class counts of the official MNIST release.
const MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

for (const [split, count, counts, first] of [
  ['train', 60000, MNIST_TRAIN_COUNTS, 5],
  ['test', 10000, MNIST_TEST_COUNTS, 7],
] as const) {
  test(`MNIST ${split} split: ${count} images of 28x28x1 with the official class counts`, { skip: skipUnless('mnist') }, () => {
    const ds = loadMnist(dataDir, split);
    assert.equal(ds.count, count);
    assert.deepEqual([ds.height, ds.width, ds.channels, ds.numClasses], [28, 28, 1, 10]);
    assert.equal(ds.images.length, count * 784);
    assert.deepEqual(histogram(ds.labels, 10), [...counts]);
    assert.equal(ds.labels[0], first);
    // The IDX body starts right after the 16-byte header.
    const raw = readFileSync(join(dataDir, 'mnist', `${split === 'train' ? 'train' : 't10k'}-images-idx3-ubyte`));
    assert.deepEqual(ds.images.subarray(0, 784 * 3), new Uint8Array(raw.subarray(16, 16 + 784 * 3)));
    assert.deepEqual(ds.images.subarray(ds.images.length - 784), new Uint8Array(raw.subarray(raw.length - 784)));
  });
}

for (const split of ['train', 'test'] as const) {
  test(`IMDb ${split} split: 25 000 reviews, 12 500 per class, neg then pos by id`, { skip: skipUnless('imdb') }, () => {
    const ds = loadImdb(dataDir, split);
    assert.equal(ds.count, 25000);
    assert.equal(ds.texts.length, 25000);
    assert.equal(ds.ids.length, 25000);
    assert.deepEqual(histogram(ds.labels, 2), [12500, 12500]);
    assert.deepEqual(ds.classNames, ['neg', 'pos']);
    for (let i = 0; i < ds.count; i++) {
      const neg = i < 12500;
      assert.equal(ds.labels[i], neg ? 0 : 1);
      const r = ds.ratings[i];
      assert.ok(neg ? r >= 1 && r <= 4 : r >= 7 && r <= 10, `rating ${r} of review ${i}`);
      if (i !== 0 && i !== 12500) assert.ok(ds.ids[i] > ds.ids[i - 1], `ids ascending at ${i}`);
      assert.ok(ds.texts[i].length > 0);
    }
    // Spot check contents against the file the name encodes.
    for (const i of [0, 12499, 12500, 24999]) {
      const file = join(dataDir, 'aclImdb', split, ds.labels[i] ? 'pos' : 'neg', `${ds.ids[i]}_${ds.ratings[i]}.txt`);
      assert.equal(ds.texts[i], readFileSync(file, 'utf8'));
    }
  });
}

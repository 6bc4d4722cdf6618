// Bad data on disk: every error must name the file, what was expected, what was found, and the fix.
import { tempDirs } from '../helpers/tmp.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  DataError, dataError, loadCifar10, loadImdb, loadMnist, packageRoot, requireDataset, resolveDataDir,
} from '../../src/data/index.js';

const freshDir = tempDirs('mimo-data-test-');

/** Asserts `fn` throws a DataError about `path` whose message contains every fragment. */
function assertDataError(fn: () => unknown, path: string, fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
    assert.equal(e.path, path);
    assert.ok(e.message.startsWith(`${path}: `), `message should start with the path: ${e.message}`);
    for (const f of fragments) assert.ok(e.message.includes(f), `message lacks "${f}": ${e.message}`);
    return true;
  });
}

// ---------- directory resolution ----------

test('resolveDataDir: flag, then MIMO_DATA_DIR, then <package root>/.cache/data', () => {
  assert.equal(resolveDataDir('/data'), '/data'); // the TSDoc example
  assert.equal(resolveDataDir('/flag', { MIMO_DATA_DIR: '/env' }), '/flag');
  assert.equal(resolveDataDir(undefined, { MIMO_DATA_DIR: '/env' }), '/env');
  assert.equal(resolveDataDir('', { MIMO_DATA_DIR: '' }), resolveDataDir(undefined, {}));
  const pkg = packageRoot();
  assert.ok(pkg !== undefined);
  assert.equal(JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).name, 'mimonets');
  assert.equal(resolveDataDir(undefined, {}), join(pkg, '.cache', 'data'));
});

test('requireDataset: missing folder names the path and how to get the official files', () => {
  const dir = freshDir();
  assertDataError(() => requireDataset(dir, 'cifar10'), join(dir, 'cifar-10-batches-bin'),
    ['expected the cifar10 dataset folder', 'binary version', 'found no such folder', 'npm run setup', '--data-dir', 'MIMO_DATA_DIR']);
  const absent = join(dir, 'nowhere');
  assertDataError(() => loadMnist(absent, 'train'), join(absent, 'mnist'), [`no data directory ${absent}`, 'npm run setup']);
  assertDataError(() => loadImdb(dir, 'train'), join(dir, 'aclImdb'), ['aclImdb_v1.tar.gz']);
});

test('requireDataset: accepts the dataset folder itself', () => {
  const dir = freshDir();
  const cifar = join(dir, 'cifar-10-batches-bin');
  mkdirSync(cifar);
  assert.equal(requireDataset(dir, 'cifar10'), cifar);
  assert.equal(requireDataset(cifar, 'cifar10'), cifar);
  const other = freshDir();
  writeFileSync(join(other, 't10k-labels-idx1-ubyte'), '');
  assert.equal(requireDataset(other, 'mnist'), other);
});

test('dataError: the documented message layout', () => {
  const e = dataError('a/b.bin', '30730000 bytes', '12 bytes', 'Re-download it.');
  assert.equal(e.message, 'a/b.bin: expected 30730000 bytes, found 12 bytes. Re-download it.');
  assert.equal(e.path, 'a/b.bin');
});

// ---------- CIFAR-10 ----------

const RECORD = 3073;
function cifarDir(files: Record<string, Buffer | string>): string {
  const dir = join(freshDir(), 'cifar-10-batches-bin');
  mkdirSync(dir);
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return dir;
}

test('CIFAR-10: missing file', () => {
  const dir = cifarDir({});
  assertDataError(() => loadCifar10(dir, 'test'), join(dir, 'test_batch.bin'), ['expected the CIFAR-10 binary file test_batch.bin', 'found no such file', 'npm run setup']);
  const train = cifarDir({ 'data_batch_1.bin': Buffer.alloc(10000 * RECORD) });
  assertDataError(() => loadCifar10(train, 'train'), join(train, 'data_batch_2.bin'), ['found no such file']);
});

test('CIFAR-10: the python version is recognised and the binary version asked for', () => {
  const dir = cifarDir({ test_batch: 'pickle' });
  assertDataError(() => loadCifar10(dir, 'test'), join(dir, 'test_batch.bin'), ['python-version pickle test_batch', 'binary* version']);
});

test('CIFAR-10: truncated file (not a multiple of 3073 bytes)', () => {
  const dir = cifarDir({ 'test_batch.bin': Buffer.alloc(RECORD * 10 + 100) });
  assertDataError(() => loadCifar10(dir, 'test'), join(dir, 'test_batch.bin'),
    ['expected 30730000 bytes (10000 records', 'found 30830 bytes', 'not a multiple of the 3073-byte record (10 records + 100 bytes)', 'truncated']);
});

test('CIFAR-10: whole records but not 10 000 of them', () => {
  const dir = cifarDir({ 'test_batch.bin': Buffer.alloc(RECORD * 20) });
  assertDataError(() => loadCifar10(dir, 'test'), join(dir, 'test_batch.bin'), ['expected 30730000 bytes', 'found 61460 bytes, 20 records']);
});

test('CIFAR-10: label byte 11 names the record and the file', () => {
  const body = Buffer.alloc(10000 * RECORD);
  body[5 * RECORD] = 11;
  const dir = cifarDir({ 'test_batch.bin': body });
  assertDataError(() => loadCifar10(dir, 'test'), join(dir, 'test_batch.bin'),
    ['expected a label byte 0..9 at record 5 (byte offset 15365)', 'found 11', 'CIFAR-100']);
});

test('CIFAR-10: batches.meta.txt with the wrong number of names; standard names without it', () => {
  const body = Buffer.alloc(10000 * RECORD);
  body[RECORD] = 9; // record 1 is a truck
  body[RECORD + 1 + 1024 + 2 * 32 + 7] = 200; // green at (2, 7)
  const bad = cifarDir({ 'test_batch.bin': body, 'batches.meta.txt': 'a\nb\nc\n' });
  assertDataError(() => loadCifar10(bad, 'test'), join(bad, 'batches.meta.txt'), ['expected 10 class names', 'found 3']);
  const good = cifarDir({ 'test_batch.bin': body });
  const ds = loadCifar10(good, 'test');
  assert.equal(ds.classNames[ds.labels[1]], 'truck');
  assert.equal(ds.images[((1 * 32 + 2) * 32 + 7) * 3 + 1], 200);
  assert.equal(ds.images[((1 * 32 + 2) * 32 + 7) * 3 + 0], 0);
});

// ---------- MNIST ----------

function idx(magic: number, dims: number[], body: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, body]);
}

function mnistDir(images: Buffer | null, labels: Buffer | null, gz = false): string {
  const dir = join(freshDir(), 'mnist');
  mkdirSync(dir);
  const ext = gz ? '.gz' : '';
  if (images) writeFileSync(join(dir, `t10k-images-idx3-ubyte${ext}`), gz ? gzipSync(images) : images);
  if (labels) writeFileSync(join(dir, `t10k-labels-idx1-ubyte${ext}`), gz ? gzipSync(labels) : labels);
  return dir;
}

const pixels = (n: number, side = 28): Uint8Array => Uint8Array.from({ length: n * side * side }, (_, i) => (i * 7) & 255);
const labelBytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i % 10);

test('MNIST: a small valid split loads, plain or gzipped', () => {
  for (const gz of [false, true]) {
    const dir = mnistDir(idx(2051, [12, 28, 28], pixels(12)), idx(2049, [12], labelBytes(12)), gz);
    const ds = loadMnist(dir, 'test');
    assert.equal(ds.count, 12);
    assert.deepEqual([ds.height, ds.width, ds.channels], [28, 28, 1]);
    assert.deepEqual(ds.images, pixels(12));
    assert.deepEqual(ds.labels, labelBytes(12));
  }
});

test('MNIST: missing label file', () => {
  const dir = mnistDir(idx(2051, [1, 28, 28], pixels(1)), null);
  assertDataError(() => loadMnist(dir, 'test'), join(dir, 't10k-labels-idx1-ubyte'), ['expected the MNIST IDX label file', 'found no such file']);
});

test('MNIST: bad IDX magic', () => {
  const swapped = mnistDir(idx(2049, [1, 28, 28], pixels(1)), idx(2049, [1], labelBytes(1)));
  assertDataError(() => loadMnist(swapped, 'test'), join(swapped, 't10k-images-idx3-ubyte'),
    ['expected IDX magic number 2051 (0x00000803)', 'found 2049 (0x00000801)', 'swapped']);
  const junk = mnistDir(idx(2051, [1, 28, 28], pixels(1)), Buffer.from('<html>not found</html>'));
  assertDataError(() => loadMnist(junk, 'test'), join(junk, 't10k-labels-idx1-ubyte'), ['expected IDX magic number 2049', 'not an IDX file']);
});

test('MNIST: truncated image file and too-short header', () => {
  const full = idx(2051, [100, 28, 28], pixels(100));
  const dir = mnistDir(full.subarray(0, 16 + 50 * 784), idx(2049, [100], labelBytes(100)));
  assertDataError(() => loadMnist(dir, 'test'), join(dir, 't10k-images-idx3-ubyte'),
    [`expected ${16 + 100 * 784} bytes (16-byte header + 100x28x28 bytes)`, `found ${16 + 50 * 784} bytes`, 'truncated']);
  const stub = mnistDir(Buffer.from([0, 0, 8]), idx(2049, [1], labelBytes(1)));
  assertDataError(() => loadMnist(stub, 'test'), join(stub, 't10k-images-idx3-ubyte'), ['expected an IDX header of 16 bytes', 'found a 3-byte file']);
});

test('MNIST: image size other than 28x28', () => {
  const dir = mnistDir(idx(2051, [2, 27, 27], pixels(2, 27)), idx(2049, [2], labelBytes(2)));
  assertDataError(() => loadMnist(dir, 'test'), join(dir, 't10k-images-idx3-ubyte'), ['expected 28x28 images', 'found 27x27']);
});

test('MNIST: image and label counts differ', () => {
  const dir = mnistDir(idx(2051, [100, 28, 28], pixels(100)), idx(2049, [90], labelBytes(90)));
  assertDataError(() => loadMnist(dir, 'test'), join(dir, 't10k-labels-idx1-ubyte'),
    [`expected 100 labels, one per image in ${join(dir, 't10k-images-idx3-ubyte')}`, 'found 90', 'different splits']);
});

test('MNIST: label 11', () => {
  const labels = labelBytes(20);
  labels[13] = 11;
  const dir = mnistDir(idx(2051, [20, 28, 28], pixels(20)), idx(2049, [20], labels));
  assertDataError(() => loadMnist(dir, 'test'), join(dir, 't10k-labels-idx1-ubyte'), ['expected labels 0..9 (label 13, byte offset 21)', 'found 11']);
});

test('MNIST: damaged gzip', () => {
  const dir = join(freshDir(), 'mnist');
  mkdirSync(dir);
  writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(idx(2051, [1, 28, 28], pixels(1))).subarray(0, 30));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idx(2049, [1], labelBytes(1)));
  assertDataError(() => loadMnist(dir, 'test'), join(dir, 't10k-images-idx3-ubyte.gz'), ['expected a complete gzip stream', 'found a damaged one']);
});

// ---------- IMDb ----------

function imdbDir(files: Record<string, string>): string {
  const root = join(freshDir(), 'aclImdb');
  for (const folder of ['train/neg', 'train/pos']) mkdirSync(join(root, folder), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
  return root;
}

test('IMDb: a small tree loads neg then pos, ids ascending numerically, hidden files ignored', () => {
  const dir = imdbDir({
    'train/neg/10_1.txt': 'ten', 'train/neg/2_4.txt': 'two', 'train/pos/7_10.txt': 'seven', 'train/pos/3_7.txt': 'three',
    'train/pos/.DS_Store': 'x',
  });
  const ds = loadImdb(dir, 'train');
  assert.deepEqual(ds.ids, [2, 10, 3, 7]);
  assert.deepEqual(ds.texts, ['two', 'ten', 'three', 'seven']);
  assert.deepEqual(Array.from(ds.labels), [0, 0, 1, 1]);
  assert.deepEqual(Array.from(ds.ratings), [4, 1, 7, 10]);
  assert.equal(ds.count, 4);
});

test('IMDb: missing folder', () => {
  const dir = imdbDir({ 'train/neg/1_1.txt': 'a' });
  rmSync(join(dir, 'train', 'pos'), { recursive: true });
  assertDataError(() => loadImdb(dir, 'train'), join(dir, 'train', 'pos'), ['expected the folder of positive train reviews', 'found no such folder', 'npm run setup']);
  assertDataError(() => loadImdb(dir, 'test'), join(dir, 'test', 'neg'), ['found no such folder']);
});

test('IMDb: a file name not of the form <id>_<rating>.txt', () => {
  const dir = imdbDir({ 'train/neg/1_1.txt': 'a', 'train/pos/review.txt': 'b', 'train/pos/2_9.txt': 'c' });
  assertDataError(() => loadImdb(dir, 'train'), join(dir, 'train', 'pos', 'review.txt'),
    ['expected a review file named <id>_<rating>.txt', "found the name 'review.txt'", 'Remove or rename']);
});

test('IMDb: ratings outside 1..4 (neg) or 7..10 (pos)', () => {
  const neg = imdbDir({ 'train/neg/5_7.txt': 'a', 'train/pos/1_8.txt': 'b' });
  assertDataError(() => loadImdb(neg, 'train'), join(neg, 'train', 'neg', '5_7.txt'), ['expected a rating 1..4 for a neg review', 'found 7']);
  const pos = imdbDir({ 'train/neg/5_2.txt': 'a', 'train/pos/1_5.txt': 'b' });
  assertDataError(() => loadImdb(pos, 'train'), join(pos, 'train', 'pos', '1_5.txt'), ['expected a rating 7..10 for a pos review', 'found 5']);
});

test('IMDb: duplicate id and empty folder', () => {
  const dup = imdbDir({ 'train/neg/5_2.txt': 'a', 'train/neg/5_3.txt': 'b', 'train/pos/1_8.txt': 'c' });
  assertDataError(() => loadImdb(dup, 'train'), join(dup, 'train', 'neg', '5_3.txt'), ['expected one file per review id', 'found id 5 also in 5_2.txt']);
  const empty = imdbDir({ 'train/neg/5_2.txt': 'a' });
  assertDataError(() => loadImdb(empty, 'train'), join(empty, 'train', 'pos'), ['expected pos review files', 'found an empty folder']);
});

test('unknown split is rejected', () => {
  assert.throws(() => loadCifar10(freshDir(), 'val' as 'test'), /unknown split 'val'/);
  assert.throws(() => loadMnist(freshDir(), 'val' as 'test'), /unknown split 'val'/);
  assert.throws(() => loadImdb(imdbDir({}), 'val' as 'test'), /unknown split 'val': expected 'train' or 'test'/);
});

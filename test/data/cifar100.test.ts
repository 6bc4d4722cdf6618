// CIFAR-100 in its official binary layout (cifar-100-binary/train.bin, test.bin: a coarse and a
// fine label byte per record), written here since the data is not on these machines: the loader
// reads fine labels and names, every bad file is an error naming the file, what was expected and
// the fix, and `--dataset cifar100` reaches training, evaluation and the results table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../src/backend/index.js';
import { DataError, defaultNormalization, loadCifar100, loadImageDataset, requireDataset } from '../../src/data/index.js';
import { trainConv } from '../../src/train/conv_trainer.js';
import { synthetic } from '../helpers/synthetic.js';
import { tempDirs } from '../helpers/tmp.js';

const freshDir = tempDirs('mimo-cifar100-');
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const RECORD = 2 + 3072;

function cifar100Dir(files: Record<string, Buffer | string>): string {
  const root = freshDir(), dir = join(root, 'cifar-100-binary');
  mkdirSync(dir);
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return root;
}

/** An official-size test.bin: record 1 is coarse 3 / fine 42 with green 200 at (2, 7); the rest zeros (class 0). */
function testBin(): Buffer {
  const body = Buffer.alloc(10000 * RECORD);
  body[RECORD] = 3;
  body[RECORD + 1] = 42;
  body[RECORD + 2 + 1024 + 2 * 32 + 7] = 200;
  return body;
}

function throwsData(fn: () => unknown, path: string, fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DataError, String(e));
    assert.equal(e.path, path);
    for (const f of fragments) assert.ok(e.message.includes(f), `message lacks "${f}": ${e.message}`);
    return true;
  });
}

test('CIFAR-100 test split: fine labels, NHWC pixels, label names from fine_label_names.txt, its own normalisation', () => {
  const names = Array.from({ length: 100 }, (_, i) => `fine${i}`);
  const dir = cifar100Dir({ 'test.bin': testBin(), 'fine_label_names.txt': names.join('\n') + '\n' });
  const ds = loadCifar100(dir, 'test');
  assert.equal(ds.count, 10000);
  assert.equal(ds.numClasses, 100);
  assert.equal(ds.name, 'cifar100');
  assert.equal(ds.labels[1], 42, 'the fine label, not the coarse one');
  assert.equal(ds.classNames[ds.labels[1]], 'fine42');
  assert.equal(ds.images[((1 * 32 + 2) * 32 + 7) * 3 + 1], 200);
  assert.equal(ds.images[((1 * 32 + 2) * 32 + 7) * 3 + 0], 0);
  // The dataset folder itself works as the data directory, and the generic loader picks CIFAR-100.
  assert.equal(loadImageDataset(join(dir, 'cifar-100-binary'), 'cifar100', 'test').labels[1], 42);
  assert.deepEqual(defaultNormalization('cifar100'), { mean: [0.5071, 0.4867, 0.4408], std: [0.2675, 0.2565, 0.2761] });
  assert.throws(() => loadImageDataset(dir, 'cifar1000', 'test'), /dataset 'cifar1000': expected one of cifar10, cifar100/);
});

test('CIFAR-100 bad files: missing folder, truncated, CIFAR-10 records, a fine label of 100, wrong names file', () => {
  const none = freshDir();
  throwsData(() => requireDataset(none, 'cifar100'), join(none, 'cifar-100-binary'), ['cifar-100-binary.tar.gz', 'npm run setup']);
  const missing = cifar100Dir({});
  throwsData(() => loadCifar100(missing, 'train'), join(missing, 'cifar-100-binary', 'train.bin'), ['expected the CIFAR-100 binary file train.bin (50000 records of 3074 bytes)', 'found no such file']);
  const cut = cifar100Dir({ 'train.bin': Buffer.alloc(RECORD * 10 + 100) });
  throwsData(() => loadCifar100(cut, 'train'), join(cut, 'cifar-100-binary', 'train.bin'),
    [`expected ${50000 * RECORD} bytes (50000 records of 2 label bytes + 3072 pixel bytes)`, '10 records + 100 bytes', 'truncated', 'Re-download the CIFAR-100 binary version']);
  const ten = cifar100Dir({ 'test.bin': Buffer.alloc(10000 * 3073) });
  throwsData(() => loadCifar100(ten, 'test'), join(ten, 'cifar-100-binary', 'test.bin'), ['not a multiple of the 3074-byte record']);
  const body = testBin();
  body[7 * RECORD + 1] = 100;
  const bad = cifar100Dir({ 'test.bin': body });
  throwsData(() => loadCifar100(bad, 'test'), join(bad, 'cifar-100-binary', 'test.bin'), [`a label byte 0..99 at record 7 (byte offset ${7 * RECORD + 1})`, 'found 100', 'CIFAR-10 records have 1 label byte']);
  const names = cifar100Dir({ 'test.bin': testBin(), 'fine_label_names.txt': 'a\nb\n' });
  throwsData(() => loadCifar100(names, 'test'), join(names, 'cifar-100-binary', 'fine_label_names.txt'), ['expected 100 class names', 'found 2']);
});

test('--dataset cifar100: the model gets 100 classes, a mismatch is refused, eval reads the checkpoint\'s dataset', async () => {
  await initBackend({});
  const dir = freshDir();
  const as100 = (n: number, seed: number, split: 'train' | 'test' = 'train') => ({ ...synthetic(n, 32, seed, split), name: 'cifar100', numClasses: 100 });
  const data = { train: as100(32, 1), test: as100(16, 2, 'test') };
  const model = { arch: 'mimonet', depth: 10, width: 1, initialWidth: 1, binding: 'hrr', capacity: 2 } as const;
  const train = { dataset: 'cifar100', epochs: 1, batch: 4, lr: 0.05, calibrationBatches: 1 } as const;
  await assert.rejects(trainConv({ model, train, out: join(dir, 'bad.ckpt'), dataDir: dir, data }), /the model has 10 classes, cifar100 has 100: start a new run with --dataset cifar100/);
  const out = join(dir, 'c100.ckpt');
  await trainConv({ model: { ...model, classes: 100 }, train, out, dataDir: dir, data });
  const dataDir = cifar100Dir({ 'test.bin': testBin() });
  const r = spawnSync(process.execPath, [MAIN, 'eval', '--checkpoint', out, '--data-dir', dataDir, '--images', '20', '--n', '2', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.equal(j.dataset, 'cifar100');
  assert.equal(j.results[0].images, 20);
  const u = spawnSync(process.execPath, [MAIN, 'train', 'conv', '--dataset', 'cifar99', '--out', join(dir, 'x.ckpt'), '--json'], { encoding: 'utf8' });
  assert.equal(u.status, 2);
  assert.match(JSON.parse(u.stdout.trim().split('\n').at(-1)!).error, /--dataset: dataset 'cifar99': expected one of cifar10, cifar100/);
});

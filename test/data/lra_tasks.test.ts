// LRA token sequences: grayscale formula, byte tokens, retrieval TSV parsing and its errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CIFAR10_CLASS_NAMES, type ImageDataset } from '../../src/data/index.js';
import { grayscale, imageTask, retrievalTsv, textTask } from '../../src/data/lra_tasks.js';
import { tempDirs } from '../helpers/tmp.js';

const fresh = tempDirs('mimo-lra-');

test('grayscale follows tf.image.rgb_to_grayscale on uint8 (values checked by hand)', () => {
  assert.equal(grayscale(0, 0, 0), 0);
  assert.equal(grayscale(255, 255, 255), 255);
  // 0.2989·255 = 76.22 -> [0,1] 0.29890 -> ·255.5 = 76.37 -> 76
  assert.equal(grayscale(255, 0, 0), 76);
  assert.equal(grayscale(0, 255, 0), 149); // 0.587·255.5 = 149.98
  assert.equal(grayscale(0, 0, 255), 29); // 0.114·255.5 = 29.13
  const ds: ImageDataset = { name: 'cifar10', split: 'test', images: Uint8Array.from([0, 0, 0, 255, 255, 255]), labels: Uint8Array.from([3]),
    count: 1, height: 1, width: 2, channels: 3, numClasses: 10, classNames: [...CIFAR10_CLASS_NAMES] };
  const t = imageTask(ds);
  assert.deepEqual([...t.tokens], [1, 256], 'black is token 1 (not padding), white 256');
  assert.equal(t.vocab, 257);
});

test('text task: bytes + 1, truncated and zero-padded', () => {
  const t = textTask({ name: 'imdb', split: 'test', texts: ['ab', 'é'], labels: Uint8Array.from([1, 0]), ratings: Uint8Array.from([8, 2]), ids: [0, 1], count: 2, numClasses: 2, classNames: ['neg', 'pos'] }, 3);
  assert.deepEqual([...t.tokens], [98, 99, 0, 0xc3 + 1, 0xa9 + 1, 0]);
});

test('retrieval TSV: pairs, labels, and errors that name the line', () => {
  const dir = fresh();
  const ok = join(dir, 'pairs.tsv');
  writeFileSync(ok, '1\tA\tB\tabc\txy\n0\tC\tD\tq\tr\n');
  const r = retrievalTsv(ok, 4);
  assert.equal(r.count, 2);
  assert.deepEqual([...r.labels], [1, 0]);
  assert.deepEqual([...r.tokens.slice(0, 4)], [98, 99, 100, 0]);
  assert.deepEqual([...r.tokens2!.slice(0, 4)], [121, 122, 0, 0]);
  const bad = join(dir, 'bad.tsv');
  writeFileSync(bad, '1\tA\tB\tabc\n');
  assert.throws(() => retrievalTsv(bad), /bad.tsv: expected 5 tab-separated columns .* on line 1, found 4/);
  writeFileSync(bad, '2\tA\tB\ta\tb\n');
  assert.throws(() => retrievalTsv(bad), /expected label 0 or 1 on line 1, found '2'/);
  assert.throws(() => retrievalTsv(join(dir, 'missing.tsv')), /missing.tsv: expected an LRA retrieval TSV file, found no readable file \(ENOENT\)/);
});

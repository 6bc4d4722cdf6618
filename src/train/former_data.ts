/**
 * Token sequence sets for MIMOFormer training, by task: ListOps (generated), its small
 * variant, LRA Image (CIFAR-10 grayscale) and Text (IMDb bytes), each with train / dev /
 * test splits.
 */
import { generateListOps, LISTOPS_VOCAB_SIZE, type ListOpsExample } from '../data/listops.js';
import { generatePathfinder } from '../data/pathfinder.js';
import { imageTask, textTask, type SequenceSet } from '../data/lra_tasks.js';
import { loadCifar10, loadImdb, requireDataset, type ImageDataset, type TextDataset } from '../data/index.js';

export type FormerTask = 'listops' | 'listops-mini' | 'image' | 'text' | 'pathfinder';
export const FORMER_TASKS: FormerTask[] = ['listops', 'listops-mini', 'image', 'text', 'pathfinder'];

export interface FormerData {
  task: FormerTask;
  train: SequenceSet;
  dev: SequenceSet;
  test: SequenceSet;
}

function fromListOps(ex: ListOpsExample[], length: number): SequenceSet {
  const tokens = new Uint16Array(ex.length * length);
  ex.forEach((e, i) => tokens.set(e.tokens.subarray(0, length), i * length));
  return { tokens, labels: Uint8Array.from(ex, (e) => e.label), count: ex.length, length, vocab: LISTOPS_VOCAB_SIZE, numClasses: 10 };
}

/** Rows [from, to) of a sequence set. */
export function slice(s: SequenceSet, from: number, to: number): SequenceSet {
  return { ...s, tokens: s.tokens.slice(from * s.length, to * s.length), tokens2: s.tokens2?.slice(from * s.length, to * s.length), labels: s.labels.slice(from, to), count: to - from };
}

function subsetImages(ds: ImageDataset, from: number, to: number): ImageDataset {
  const per = ds.height * ds.width * ds.channels;
  return { ...ds, images: ds.images.subarray(from * per, to * per), labels: ds.labels.subarray(from, to), count: to - from };
}

/**
 * The splits of a task. ListOps: LRA sizes 96k/2k/2k, lengths 500–2000 (SPEC §3.9);
 * listops-mini: SPEC §5.2 (depth 6, 5 arguments, 32 < length < 128, 20k/2k/2k).
 * Image: CIFAR-10 train first 45 000 / last 5 000, test 10 000 (as LRA). Text: IMDb
 * bytes, 1000 tokens; dev = the last 2 500 reviews of a shuffled-by-id train split held out
 * (LRA reuses the test set as dev, which tunes on test).
 */
export function loadFormerTask(task: FormerTask, dataDir: string, o: { seed: number; scale?: number } = { seed: 1 }): FormerData {
  const scale = o.scale ?? 1;
  const n = (x: number) => Math.max(1, Math.round(x * scale));
  switch (task) {
    case 'listops':
    case 'listops-mini': {
      const mini = task === 'listops-mini';
      const g = generateListOps(mini
        ? { seed: o.seed, train: n(20000), val: n(2000), test: n(2000), maxDepth: 6, maxArgs: 5, minLength: 32, maxLength: 128 }
        : { seed: o.seed, train: n(96000), val: n(2000), test: n(2000), maxDepth: 10, maxArgs: 10, minLength: 500, maxLength: 2000 });
      const length = mini ? 128 : 2000;
      return { task, train: fromListOps(g.train, length), dev: fromListOps(g.val, length), test: fromListOps(g.test, length) };
    }
    case 'image': {
      requireDataset(dataDir, 'cifar10');
      const tr = loadCifar10(dataDir, 'train'), te = loadCifar10(dataDir, 'test');
      const cut = n(45000);
      return { task, train: imageTask(subsetImages(tr, 0, cut)), dev: imageTask(subsetImages(tr, 45000, 45000 + n(5000))), test: imageTask(subsetImages(te, 0, n(10000))) };
    }
    case 'text': {
      requireDataset(dataDir, 'imdb');
      const tr = loadImdb(dataDir, 'train'), te = loadImdb(dataDir, 'test');
      // Interleave neg/pos so any prefix is balanced, then hold out the tail as dev.
      const order = Array.from({ length: tr.count }, (_, i) => (i % 2 ? tr.count / 2 + (i >> 1) : i >> 1));
      const pick = (ds: TextDataset, idx: number[]): TextDataset => ({ ...ds, texts: idx.map((i) => ds.texts[i]), labels: Uint8Array.from(idx, (i) => ds.labels[i]), count: idx.length });
      const trainN = n(22500), devN = n(2500);
      return { task, train: textTask(pick(tr, order.slice(0, trainN))), dev: textTask(pick(tr, order.slice(22500, 22500 + devN))), test: textTask(pick(te, Array.from({ length: n(25000) }, (_, i) => (i % 2 ? te.count / 2 + (i >> 1) : i >> 1)))) };
    }
    case 'pathfinder': {
      // Generated (hard: contour length 14); pixel tokens are value + 1 as for Image. 80/10/10 of 25 000.
      const make = (count: number, seed: number): SequenceSet => {
        const imgs = generatePathfinder(count, { seed, contourLength: 14 });
        const tokens = new Uint16Array(count * 1024);
        imgs.forEach((im, i) => { for (let k = 0; k < 1024; k++) tokens[i * 1024 + k] = im.pixels[k] + 1; });
        return { tokens, labels: Uint8Array.from(imgs, (im) => im.label), count, length: 1024, vocab: 257, numClasses: 2 };
      };
      return { task, train: make(n(20000), o.seed), dev: make(n(2500), o.seed + 1), test: make(n(2500), o.seed + 2) };
    }
    default:
      throw new Error(`unknown task '${task as string}' (known: ${FORMER_TASKS.join(', ')})`);
  }
}

/**
 * Token sequence sets for MIMOFormer training, by task: ListOps (generated), its small
 * variant, LRA Image (CIFAR-10 grayscale) and Text (IMDb bytes), each with train / dev /
 * test splits.
 */
import { generateListOps, LISTOPS_VOCAB_SIZE, type ListOpsExample } from '../data/listops.js';
import { generatePathfinder } from '../data/pathfinder.js';
import { imageTask, textTask, type SequenceSet } from '../data/lra_tasks.js';
import { deriveSeed, loadCifar10, loadImdb, requireDataset, Rng, shuffleInPlace, type ImageDataset, type TextDataset } from '../data/index.js';

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

const EVAL_ORDER_SEED = 0x5eed;

/**
 * Rows of a sequence set in a fixed random order (the same for every run of a task).
 *
 * Evaluation superposes consecutive rows, so the order of a dev or test set decides which
 * sequences share a superposition. Text (neg/pos interleaved) and Pathfinder (generated
 * 1, 0, 1, 0, ...) come with labels in a pattern, and partners with patterned labels change
 * a MIMOFormer's accuracy: Text att. M=N=2 scored 68.8% on the first 2048 test reviews in
 * that order and 56.5–60.0% in three random orders (a Performer, which sees each sequence
 * alone, is unaffected). Training draws its batches from a reshuffled stream already.
 */
export function inEvaluationOrder(s: SequenceSet, key: number): SequenceSet {
  const order = Array.from({ length: s.count }, (_, i) => i);
  shuffleInPlace(order, new Rng(deriveSeed(EVAL_ORDER_SEED, key)));
  const L = s.length;
  const rows = (a: Uint16Array) => {
    const out = new Uint16Array(a.length);
    order.forEach((from, to) => out.set(a.subarray(from * L, (from + 1) * L), to * L)); // row `to` of [count, L] ← row `from`
    return out;
  };
  return { ...s, tokens: rows(s.tokens), tokens2: s.tokens2 && rows(s.tokens2), labels: Uint8Array.from(order, (i) => s.labels[i]) };
}

/**
 * The splits of a task. ListOps: LRA sizes 96k/2k/2k, lengths 500–2000 (SPEC §3.9);
 * listops-mini: SPEC §5.2 (depth 6, 5 arguments, 32 < length < 128, 20k/2k/2k).
 * Image: CIFAR-10 train first 45 000 / last 5 000, test 10 000 (as LRA). Text: IMDb
 * bytes, 1000 tokens; dev = the last 2 500 reviews of a shuffled-by-id train split held out
 * (LRA reuses the test set as dev, which tunes on test). Dev and test rows are in a fixed
 * random order (`inEvaluationOrder`).
 */
export function loadFormerTask(task: FormerTask, dataDir: string, o: { seed: number; scale?: number } = { seed: 1 }): FormerData {
  const d = loadInFileOrder(task, dataDir, o);
  return { ...d, dev: inEvaluationOrder(d.dev, 1), test: inEvaluationOrder(d.test, 2) };
}

function loadInFileOrder(task: FormerTask, dataDir: string, o: { seed: number; scale?: number }): FormerData {
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

/**
 * Token sequences for the Long Range Arena tasks read from official files (SPEC §3.9):
 * Image (CIFAR-10 in grayscale, 1024 pixels), Text (IMDb, byte level) and Retrieval
 * (the LRA AAN TSV format). Token 0 is padding everywhere.
 *
 * Deviations from LRA, on purpose: black pixels are not padding (LRA masks every token
 * equal to 0, so pixel value 0 disappeared from the image task); pixel tokens are therefore
 * value + 1 (vocabulary 257).
 */
import { readFileSync } from 'node:fs';
import { dataError } from './errors.js';
import type { ImageDataset, TextDataset } from './types.js';

export interface SequenceSet {
  /** [count, length] token ids, zero-padded. */
  tokens: Uint16Array;
  /** For two-document tasks: the second document's tokens. */
  tokens2?: Uint16Array;
  labels: Uint8Array;
  count: number;
  length: number;
  vocab: number;
  numClasses: number;
}

/**
 * TensorFlow's rgb_to_grayscale on uint8 images: weights (0.2989, 0.5870, 0.1140) on
 * [0, 1] values, converted back with convert_image_dtype (scale by 255.5, truncate).
 */
export function grayscale(r: number, g: number, b: number): number {
  const v = (0.2989 * r + 0.587 * g + 0.114 * b) / 255;
  return Math.min(255, Math.floor(v * 255.5));
}

/** LRA Image: CIFAR-10 as 1024 grayscale pixel tokens (value + 1). */
export function imageTask(ds: ImageDataset): SequenceSet {
  if (ds.channels !== 3) throw new Error(`image task: expected RGB images, found ${ds.channels} channel(s)`);
  const length = ds.height * ds.width;
  const tokens = new Uint16Array(ds.count * length);
  for (let i = 0; i < ds.count * length; i++) {
    tokens[i] = 1 + grayscale(ds.images[i * 3], ds.images[i * 3 + 1], ds.images[i * 3 + 2]);
  }
  return { tokens, labels: ds.labels.slice(), count: ds.count, length, vocab: 257, numClasses: ds.numClasses };
}

/** Byte-level tokens (byte + 1) of a UTF-8 text, truncated to `length` and zero-padded. */
export function byteTokens(text: string, length: number, out: Uint16Array, offset: number): void {
  const bytes = Buffer.from(text, 'utf8');
  const n = Math.min(length, bytes.length);
  for (let i = 0; i < n; i++) out[offset + i] = bytes[i] + 1;
}

/** LRA Text: IMDb reviews as bytes + 1, truncated to `length` (default 1000, as LRA). */
export function textTask(ds: TextDataset, length = 1000): SequenceSet {
  const tokens = new Uint16Array(ds.texts.length * length);
  ds.texts.forEach((t, i) => byteTokens(t, length, tokens, i * length));
  return { tokens, labels: ds.labels.slice(), count: ds.texts.length, length, vocab: 257, numClasses: 2 };
}

/**
 * LRA Retrieval from an AAN TSV file: one pair per line, `label \t id1 \t id2 \t text1 \t text2`
 * (the official new_aan_pairs.*.tsv layout). Each text becomes byte tokens truncated to `length`.
 */
export function retrievalTsv(path: string, length = 4000): SequenceSet {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    throw dataError(path, 'an LRA retrieval TSV file', `no readable file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      'point --data-dir at the folder with the LRA AAN files (new_aan_pairs.train.tsv, ...)');
  }
  const lines = raw.split('\n').filter((l) => l.trim() !== '');
  const tokens = new Uint16Array(lines.length * length), tokens2 = new Uint16Array(lines.length * length);
  const labels = new Uint8Array(lines.length);
  lines.forEach((line, i) => {
    const cols = line.split('\t');
    if (cols.length !== 5) throw dataError(path, `5 tab-separated columns (label, id1, id2, text1, text2) on line ${i + 1}`, `${cols.length}`, 'check that the file is the LRA AAN pairs TSV');
    const label = Number(cols[0]);
    if (label !== 0 && label !== 1) throw dataError(path, `label 0 or 1 on line ${i + 1}`, `'${cols[0]}'`, 'check that the file is the LRA AAN pairs TSV');
    labels[i] = label;
    byteTokens(cols[3], length, tokens, i * length);
    byteTokens(cols[4], length, tokens2, i * length);
  });
  return { tokens, tokens2, labels, count: lines.length, length, vocab: 257, numClasses: 2 };
}

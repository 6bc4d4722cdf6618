/**
 * MNIST in the official IDX format (LeCun et al.): big-endian header, then raw unsigned bytes.
 *
 *   images: u32 magic 2051 (0x00000803), u32 count, u32 rows, u32 cols, count*rows*cols pixels
 *   labels: u32 magic 2049 (0x00000801), u32 count, count label bytes
 *
 * Files may be plain or gzipped as downloaded (`.gz`); both are accepted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { dataError } from './errors.js';
import { requireDataset, requireFile } from './dir.js';
import { checkSplit, type ImageDataset, type Split } from './types.js';

/** IDX magic number of a uint8 3-D array (the image files). */
export const IDX_IMAGES_MAGIC = 2051;
/** IDX magic number of a uint8 1-D array (the label files). */
export const IDX_LABELS_MAGIC = 2049;

/** Per-channel mean and std of the MNIST training set in 0..1 units (as in the reference code). */
export const MNIST_MEAN: readonly number[] = [0.1307];
export const MNIST_STD: readonly number[] = [0.3081];

const SIDE = 28;
const NUM_CLASSES = 10;
const REFETCH = 'Re-download the official MNIST IDX files or re-run `npm run setup`';

/** The official file names of a split: `[images, labels]`. */
export function mnistFiles(split: Split): [string, string] {
  checkSplit(split);
  const prefix = split === 'train' ? 'train' : 't10k';
  return [`${prefix}-images-idx3-ubyte`, `${prefix}-labels-idx1-ubyte`];
}

/** Reads an IDX file, transparently gunzipping a `.gz` sibling or gzip content. */
function readMaybeGzipped(path: string, what: string): { path: string; buf: Buffer } {
  const actual = !existsSync(path) && existsSync(`${path}.gz`) ? `${path}.gz` : path;
  requireFile(actual, what);
  let buf = readFileSync(actual);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw dataError(actual, 'a complete gzip stream', `a damaged one (${(e as Error).message})`, `${REFETCH}.`);
    }
  }
  return { path: actual, buf };
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/** Checks an IDX header's magic number and that the file holds exactly the bytes it announces. */
function checkIdx(path: string, buf: Buffer, magic: number, dims: number): number[] {
  const headerBytes = 4 + 4 * dims;
  if (buf.length < headerBytes) {
    throw dataError(path, `an IDX header of ${headerBytes} bytes`, `a ${buf.length}-byte file`, `The file is truncated. ${REFETCH}.`);
  }
  const found = buf.readUInt32BE(0);
  if (found !== magic) {
    const hint = found === IDX_IMAGES_MAGIC || found === IDX_LABELS_MAGIC
      ? 'The image and label files look swapped or misnamed.'
      : 'This is not an IDX file (or it is damaged).';
    throw dataError(path, `IDX magic number ${magic} (${hex(magic)})`, `${found} (${hex(found)})`, `${hint} ${REFETCH}.`);
  }
  const shape: number[] = [];
  for (let d = 0; d < dims; d++) shape.push(buf.readUInt32BE(4 + 4 * d));
  const want = headerBytes + shape.reduce((a, b) => a * b, 1);
  if (buf.length !== want) {
    throw dataError(path, `${want} bytes (${headerBytes}-byte header + ${shape.join('x')} bytes)`, `${buf.length} bytes`,
      `The file is ${buf.length < want ? 'truncated' : 'longer than its header says'}. ${REFETCH}.`);
  }
  return shape;
}

/**
 * Loads an MNIST split from the official IDX files (plain or `.gz`).
 *
 * @param dataDir the data directory holding `mnist/` (or that folder itself).
 * @returns images [count, 28, 28, 1] NHWC uint8 (train: 60 000, test: 10 000), labels [count].
 * @throws DataError on a missing or truncated file, a wrong magic number or image size,
 *   image and label counts that differ, or a label > 9.
 */
export function loadMnist(dataDir: string, split: Split): ImageDataset {
  const [imagesName, labelsName] = mnistFiles(split);
  const dir = requireDataset(dataDir, 'mnist');
  const img = readMaybeGzipped(join(dir, imagesName), `the MNIST IDX image file ${imagesName}`);
  const lab = readMaybeGzipped(join(dir, labelsName), `the MNIST IDX label file ${labelsName}`);

  const [count, rows, cols] = checkIdx(img.path, img.buf, IDX_IMAGES_MAGIC, 3);
  if (rows !== SIDE || cols !== SIDE) {
    throw dataError(img.path, `${SIDE}x${SIDE} images`, `${rows}x${cols}`, `This is not MNIST. ${REFETCH}.`);
  }
  const [labelCount] = checkIdx(lab.path, lab.buf, IDX_LABELS_MAGIC, 1);
  if (labelCount !== count) {
    throw dataError(lab.path, `${count} labels, one per image in ${img.path}`, `${labelCount}`,
      `The image and label files come from different splits or releases. ${REFETCH}.`);
  }

  const labels = new Uint8Array(lab.buf.subarray(8));
  for (let i = 0; i < count; i++) {
    if (labels[i] >= NUM_CLASSES) {
      throw dataError(lab.path, `labels 0..9 (label ${i}, byte offset ${8 + i})`, `${labels[i]}`, `The file is corrupt. ${REFETCH}.`);
    }
  }
  return {
    name: 'mnist', split, images: new Uint8Array(img.buf.subarray(16)), labels, count,
    height: SIDE, width: SIDE, channels: 1, numClasses: NUM_CLASSES,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  };
}

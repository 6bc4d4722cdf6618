/**
 * CIFAR-10, binary version (Krizhevsky 2009): the layout a user gets from cifar-10-binary.tar.gz.
 *
 * Each .bin file holds 10 000 records of 3073 bytes: 1 label byte, then the 32x32 red plane, green
 * plane and blue plane, each row-major. The loader transposes planes (CHW) to pixels (HWC) once at
 * load time so every later consumer (augmentation, batching) walks memory linearly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataError, HOW_TO_GET_DATA } from './errors.js';
import { requireDataset, requireFile } from './dir.js';
import { checkSplit, type ImageDataset, type Split } from './types.js';

/** The standard class names, used when batches.meta.txt is absent. */
export const CIFAR10_CLASS_NAMES: readonly string[] = [
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
];

/** Per-channel mean of the training set, in 0..1 units (R, G, B). */
export const CIFAR10_MEAN: readonly number[] = [0.4914, 0.4822, 0.4465];
/** Per-channel standard deviation of the training set, in 0..1 units (R, G, B). */
export const CIFAR10_STD: readonly number[] = [0.247, 0.2435, 0.2616];

const SIDE = 32;
const PLANE = SIDE * SIDE; // 1024
const RECORD = 1 + 3 * PLANE; // 3073
const RECORDS_PER_FILE = 10000;
const NUM_CLASSES = 10;

/** The official file names of a split, in the order their records are concatenated. */
export function cifar10Files(split: Split): string[] {
  checkSplit(split);
  return split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
}

const REFETCH = `Re-download the CIFAR-10 binary version or re-run \`npm run setup\``;

/**
 * Loads a CIFAR-10 split from the official binary files.
 *
 * @param dataDir the data directory holding `cifar-10-batches-bin/` (or that folder itself).
 * @returns images [count, 32, 32, 3] NHWC uint8 (train: 50 000, test: 10 000), labels [count].
 * @throws DataError on a missing file, a size other than 10 000 records of 3073 bytes, or a label > 9.
 *
 * @example
 * const ds = loadCifar10(resolveDataDir(), 'test');
 * ds.count;                      // 10000
 * ds.images[((5 * 32 + 2) * 32 + 7) * 3 + 1]; // green value of image 5 at row 2, column 7
 */
export function loadCifar10(dataDir: string, split: Split): ImageDataset {
  const files = cifar10Files(split);
  const dir = requireDataset(dataDir, 'cifar10');
  const count = files.length * RECORDS_PER_FILE;
  const images = new Uint8Array(count * 3 * PLANE);
  const labels = new Uint8Array(count);

  files.forEach((name, f) => {
    const path = join(dir, name);
    if (!existsSync(path) && existsSync(join(dir, name.replace(/\.bin$/, '')))) {
      // The python version ships pickles named data_batch_1 (no suffix); point at the right archive.
      throw dataError(path, `the binary file ${name}`, `only the python-version pickle ${name.replace(/\.bin$/, '')}`,
        `Download the CIFAR-10 *binary* version (cifar-10-binary.tar.gz); ${HOW_TO_GET_DATA}.`);
    }
    requireFile(path, `the CIFAR-10 binary file ${name} (${RECORDS_PER_FILE} records of ${RECORD} bytes)`);
    const buf = readFileSync(path);
    const want = RECORDS_PER_FILE * RECORD;
    if (buf.length !== want) {
      const shape = buf.length % RECORD === 0
        ? `${buf.length / RECORD} records`
        : `a size that is not a multiple of the ${RECORD}-byte record (${Math.floor(buf.length / RECORD)} records + ${buf.length % RECORD} bytes)`;
      throw dataError(path, `${want} bytes (${RECORDS_PER_FILE} records of 1 label byte + 3072 pixel bytes)`,
        `${buf.length} bytes, ${shape}`, `The file is truncated or not from the CIFAR-10 binary version. ${REFETCH}.`);
    }
    const base = f * RECORDS_PER_FILE;
    for (let r = 0; r < RECORDS_PER_FILE; r++) {
      const src = r * RECORD;
      const label = buf[src];
      if (label >= NUM_CLASSES) {
        throw dataError(path, `a label byte 0..9 at record ${r} (byte offset ${src})`, `${label}`,
          `The file is corrupt or from CIFAR-100 (whose records have 2 label bytes). ${REFETCH}.`);
      }
      labels[base + r] = label;
      // [3, 32, 32] planes -> [32, 32, 3] pixels
      let dst = (base + r) * 3 * PLANE;
      const red = src + 1;
      const green = red + PLANE;
      const blue = green + PLANE;
      for (let p = 0; p < PLANE; p++) {
        images[dst] = buf[red + p];
        images[dst + 1] = buf[green + p];
        images[dst + 2] = buf[blue + p];
        dst += 3;
      }
    }
  });

  return {
    name: 'cifar10', split, images, labels, count,
    height: SIDE, width: SIDE, channels: 3, numClasses: NUM_CLASSES,
    classNames: readClassNames(join(dir, 'batches.meta.txt')),
  };
}

/** Class names from batches.meta.txt (one per line, blank lines ignored), else the standard list. */
function readClassNames(path: string): string[] {
  if (!existsSync(path)) return [...CIFAR10_CLASS_NAMES];
  const names = readFileSync(path, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s !== '');
  if (names.length !== NUM_CLASSES) {
    throw dataError(path, `${NUM_CLASSES} class names, one per line`, `${names.length}`,
      `Restore the official batches.meta.txt or delete it to use the standard names.`);
  }
  return names;
}

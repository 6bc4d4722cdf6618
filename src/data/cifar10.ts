/**
 * CIFAR-10, binary version (Krizhevsky 2009): the layout a user gets from cifar-10-binary.tar.gz.
 *
 * Each .bin file holds 10 000 records of 3073 bytes: 1 label byte, then the 32x32 red plane, green
 * plane and blue plane, each row-major (decoded by cifar_binary.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dataError, HOW_TO_GET_DATA } from './errors.js';
import { CIFAR_SIDE, decodeCifarFile, readClassNames } from './cifar_binary.js';
import { requireDataset } from './dir.js';
import { checkSplit, type ImageDataset, type Split } from './types.js';

/** The standard class names, used when batches.meta.txt is absent. */
export const CIFAR10_CLASS_NAMES: readonly string[] = [
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
];

/** Per-channel mean of the training set, in 0..1 units (R, G, B). */
export const CIFAR10_MEAN: readonly number[] = [0.4914, 0.4822, 0.4465];
/** Per-channel standard deviation of the training set, in 0..1 units (R, G, B). */
export const CIFAR10_STD: readonly number[] = [0.247, 0.2435, 0.2616];

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
  const images = new Uint8Array(count * 3 * CIFAR_SIDE * CIFAR_SIDE);
  const labels = new Uint8Array(count);

  files.forEach((name, f) => {
    const path = join(dir, name);
    if (!existsSync(path) && existsSync(join(dir, name.replace(/\.bin$/, '')))) {
      // The python version ships pickles named data_batch_1 (no suffix); point at the right archive.
      throw dataError(path, `the binary file ${name}`, `only the python-version pickle ${name.replace(/\.bin$/, '')}`,
        `Download the CIFAR-10 *binary* version (cifar-10-binary.tar.gz); ${HOW_TO_GET_DATA}.`);
    }
    decodeCifarFile({
      path, records: RECORDS_PER_FILE, labelBytes: 1, labelIndex: 0, numClasses: NUM_CLASSES, what: `the CIFAR-10 binary file ${name}`,
      refetch: REFETCH, labelHint: 'The file is corrupt or from CIFAR-100 (whose records have 2 label bytes).',
    }, images, labels, f * RECORDS_PER_FILE);
  });

  return {
    name: 'cifar10', split, images, labels, count,
    height: CIFAR_SIDE, width: CIFAR_SIDE, channels: 3, numClasses: NUM_CLASSES,
    classNames: readClassNames(join(dir, 'batches.meta.txt'), NUM_CLASSES, CIFAR10_CLASS_NAMES),
  };
}

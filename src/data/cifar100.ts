/**
 * CIFAR-100, binary version (Krizhevsky 2009): the layout a user gets from cifar-100-binary.tar.gz,
 * a folder `cifar-100-binary/` with `train.bin` (50 000 records), `test.bin` (10 000) and the label
 * names `fine_label_names.txt` and `coarse_label_names.txt`. A record is 3074 bytes: the coarse
 * label (0..19), the fine label (0..99), then the red, green and blue 32x32 planes. Models are
 * trained on the 100 fine labels, as in the paper.
 */
import { join } from 'node:path';
import { CIFAR_SIDE, decodeCifarFile, readClassNames } from './cifar_binary.js';
import { requireDataset } from './dir.js';
import { checkSplit, type ImageDataset, type Split } from './types.js';

/** Per-channel mean of the training set, in 0..1 units (R, G, B), as the reference normalises. */
export const CIFAR100_MEAN: readonly number[] = [0.5071, 0.4867, 0.4408];
/** Per-channel standard deviation of the training set, in 0..1 units (R, G, B). */
export const CIFAR100_STD: readonly number[] = [0.2675, 0.2565, 0.2761];

const NUM_CLASSES = 100;
const REFETCH = 'Re-download the CIFAR-100 binary version (cifar-100-binary.tar.gz)';

/** The official file of a split. */
export function cifar100File(split: Split): string {
  checkSplit(split);
  return split === 'train' ? 'train.bin' : 'test.bin';
}

/**
 * Loads a CIFAR-100 split (fine labels) from the official binary files.
 *
 * @param dataDir the data directory holding `cifar-100-binary/` (or that folder itself).
 * @returns images [count, 32, 32, 3] NHWC uint8 (train: 50 000, test: 10 000), fine labels [count].
 * @throws DataError on a missing file, a size other than the official record count of 3074 bytes, or a fine label > 99.
 *
 * @example
 * const ds = loadCifar100(resolveDataDir(), 'test');
 * ds.count;        // 10000
 * ds.numClasses;   // 100
 */
export function loadCifar100(dataDir: string, split: Split): ImageDataset {
  const file = cifar100File(split);
  const dir = requireDataset(dataDir, 'cifar100');
  const count = split === 'train' ? 50000 : 10000;
  const images = new Uint8Array(count * 3 * CIFAR_SIDE * CIFAR_SIDE), labels = new Uint8Array(count);
  decodeCifarFile({
    path: join(dir, file), records: count, labelBytes: 2, labelIndex: 1, numClasses: NUM_CLASSES, what: `the CIFAR-100 binary file ${file}`,
    refetch: REFETCH, labelHint: 'The file is corrupt or not CIFAR-100 (CIFAR-10 records have 1 label byte).',
  }, images, labels, 0);
  const standard = Array.from({ length: NUM_CLASSES }, (_, i) => `class ${i}`);
  return {
    name: 'cifar100', split, images, labels, count, height: CIFAR_SIDE, width: CIFAR_SIDE, channels: 3, numClasses: NUM_CLASSES,
    classNames: readClassNames(join(dir, 'fine_label_names.txt'), NUM_CLASSES, standard),
  };
}

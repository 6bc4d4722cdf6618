/**
 * Where datasets live on disk, and clear errors when they are not there.
 *
 * Layout under the data directory (the datasets' official on-disk formats):
 *   cifar-10-batches-bin/   data_batch_1..5.bin, test_batch.bin, batches.meta.txt
 *   cifar-100-binary/       train.bin, test.bin, fine_label_names.txt, coarse_label_names.txt
 *   mnist/                  train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-... (or .gz)
 *   aclImdb/                {train,test}/{neg,pos}/<id>_<rating>.txt
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { DataError, HOW_TO_GET_DATA } from './errors.js';
import { packageRoot } from '../util/package_root.js';

export { packageRoot };

/** Environment variable that overrides the default data directory. */
export const DATA_DIR_ENV = 'MIMO_DATA_DIR';

/** What each dataset's folder is called and what a user should download to fill it. */
export const DATASETS = {
  cifar10: {
    folder: 'cifar-10-batches-bin',
    markers: ['test_batch.bin', 'data_batch_1.bin'],
    official: 'cifar-10-batches-bin from the CIFAR-10 binary version (cifar-10-binary.tar.gz, not the python version)',
  },
  cifar100: {
    folder: 'cifar-100-binary',
    markers: ['test.bin', 'train.bin'],
    official: 'cifar-100-binary from the CIFAR-100 binary version (cifar-100-binary.tar.gz, not the python version)',
  },
  mnist: {
    folder: 'mnist',
    markers: ['t10k-labels-idx1-ubyte', 't10k-labels-idx1-ubyte.gz', 'train-labels-idx1-ubyte', 'train-labels-idx1-ubyte.gz'],
    official: 'a folder "mnist" with the four official IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; gzipped or not)',
  },
  imdb: {
    folder: 'aclImdb',
    markers: ['train', 'test'],
    official: 'aclImdb from the Large Movie Review Dataset v1.0 (aclImdb_v1.tar.gz)',
  },
} as const;

/** A dataset this module knows how to locate. */
export type DatasetName = keyof typeof DATASETS;

/**
 * Picks the data directory: the `flag` (e.g. `--data-dir`) if given, else `$MIMO_DATA_DIR`, else
 * `<package root>/.cache/data` (where `npm run setup` unpacks the bundled copy).
 *
 * @example
 * resolveDataDir('/data');            // '/data'
 * resolveDataDir();                   // e.g. '/work/main/.cache/data'
 */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== '') return resolve(flag);
  const fromEnv = env[DATA_DIR_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return join(packageRoot() ?? process.cwd(), '.cache', 'data');
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The folder of dataset `name` under `dataDir`, checked to exist.
 *
 * `dataDir` may also be the dataset folder itself (e.g. a freshly unpacked
 * `cifar-10-batches-bin`), recognised by its name or by one of its official files.
 *
 * @throws DataError naming the path that was looked at and how to get the files.
 */
export function requireDataset(dataDir: string, name: DatasetName): string {
  const info = DATASETS[name];
  const nested = join(dataDir, info.folder);
  if (isDir(nested)) return nested;
  if (isDir(dataDir) && (basename(resolve(dataDir)) === info.folder || info.markers.some((m) => existsSync(join(dataDir, m))))) {
    return dataDir;
  }
  const found = isDir(dataDir) ? 'no such folder' : `no data directory ${dataDir} at all`;
  throw new DataError(
    nested,
    `${nested}: expected the ${name} dataset folder (${info.official}), found ${found}. ` +
      `${HOW_TO_GET_DATA}, e.g. ${info.official}.`,
  );
}

/**
 * Checks that a file exists and returns its path.
 *
 * @throws DataError naming the file, the dataset it belongs to and how to get it.
 */
export function requireFile(path: string, what: string): string {
  if (!existsSync(path)) {
    throw new DataError(path, `${path}: expected ${what}, found no such file. ${HOW_TO_GET_DATA}.`);
  }
  return path;
}

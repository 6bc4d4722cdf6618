/**
 * The image classification datasets MIMOConv trains on, by name: one place that picks the loader,
 * so training, evaluation, calibration and serving accept the same `--dataset` values.
 */
import { loadCifar10 } from './cifar10.js';
import { loadCifar100 } from './cifar100.js';
import type { ImageDataset, Split } from './types.js';

export const IMAGE_DATASETS = ['cifar10', 'cifar100'] as const;
export type ImageDatasetName = (typeof IMAGE_DATASETS)[number];

/** How the datasets are written in titles. */
export const IMAGE_DATASET_TITLES: Record<ImageDatasetName, string> = { cifar10: 'CIFAR-10', cifar100: 'CIFAR-100' };

/** Classes per dataset (what a model trained on it must output). */
export const IMAGE_DATASET_CLASSES: Record<ImageDatasetName, number> = { cifar10: 10, cifar100: 100 };

/** Checks a dataset name (e.g. from a CLI flag or a checkpoint). */
export function checkImageDataset(name: string): asserts name is ImageDatasetName {
  if (!(IMAGE_DATASETS as readonly string[]).includes(name)) throw new Error(`dataset '${name}': expected one of ${IMAGE_DATASETS.join(', ')}`);
}

/**
 * Loads a split of an image dataset from its official files under `dataDir`.
 *
 * @example
 * const test = loadImageDataset(resolveDataDir(), 'cifar100', 'test'); // 10 000 images, 100 classes
 */
export function loadImageDataset(dataDir: string, name: string, split: Split): ImageDataset {
  checkImageDataset(name);
  return name === 'cifar100' ? loadCifar100(dataDir, split) : loadCifar10(dataDir, split);
}

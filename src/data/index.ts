/** The data layer: official-format loaders and the training input pipeline (no tfjs dependency). */
export { DataError, dataError, HOW_TO_GET_DATA } from './errors.js';
export { checkSplit, type ImageDataset, type Split, type TextDataset } from './types.js';
export { DATA_DIR_ENV, DATASETS, packageRoot, requireDataset, requireFile, resolveDataDir, type DatasetName } from './dir.js';
export { CIFAR10_CLASS_NAMES, CIFAR10_MEAN, CIFAR10_STD, cifar10Files, loadCifar10 } from './cifar10.js';
export { CIFAR100_MEAN, CIFAR100_STD, cifar100File, loadCifar100 } from './cifar100.js';
export { checkImageDataset, IMAGE_DATASET_CLASSES, IMAGE_DATASET_TITLES, IMAGE_DATASETS, loadImageDataset, type ImageDatasetName } from './image_datasets.js';
export { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, MNIST_MEAN, MNIST_STD, loadMnist, mnistFiles } from './mnist.js';
export { loadImdb } from './imdb.js';
export { deriveSeed, Rng, shuffleInPlace, type MutableArrayLike } from './rng.js';
export { cropMaps, gatherNormalize, normalizationLut, normalizeContiguous, reflectIndex, type AugmentOptions, type CropMaps } from './augment.js';
export { holdOut } from './holdout.js';
export { createPipeline, defaultNormalization, evalPipeline, ImagePipeline, trainPipeline, type Batch, type PipelineOptions } from './pipeline.js';
export { benchPipeline, type BenchOptions, type BenchResult } from './bench.js';

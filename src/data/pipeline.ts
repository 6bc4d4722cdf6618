/**
 * The training / evaluation input pipeline over an in-memory {@link ImageDataset}: seeded
 * per-epoch shuffling, batching, optional flip + reflect-pad crop, and per-channel normalisation,
 * producing float32 NHWC batches ready to wrap in a tensor.
 *
 * Reproducibility: the order of epoch e depends only on (seed, e), and the augmentation of the
 * sample at position k of epoch e only on (seed, e, k). A run resumed at any epoch (or any batch,
 * via `startBatch`) therefore sees exactly the data an uninterrupted run would have seen, and the
 * order does not change when augmentation is switched on or off.
 */
import { cropMaps, gatherNormalize, normalizationLut, normalizeContiguous, type AugmentOptions, type CropMaps } from './augment.js';
import { CIFAR10_MEAN, CIFAR10_STD } from './cifar10.js';
import { CIFAR100_MEAN, CIFAR100_STD } from './cifar100.js';
import { MNIST_MEAN, MNIST_STD } from './mnist.js';
import { deriveSeed, Rng, shuffleInPlace } from './rng.js';
import type { ImageDataset } from './types.js';

/** One batch. `x` is [size, H, W, C] normalised float32, `y` the labels, `indices` the dataset rows. */
export interface Batch {
  x: Float32Array;
  y: Int32Array;
  /** Number of images in this batch: the batch size, or fewer for a kept last batch. */
  size: number;
  indices: Int32Array;
}

/** Options of {@link createPipeline}; `mode` picks the defaults of the others. */
export interface PipelineOptions {
  batchSize: number;
  /** `train`: shuffle, drop the last partial batch, augment. `eval`: none of these. Default `train`. */
  mode?: 'train' | 'eval';
  /** Base seed of shuffling and augmentation. Default 0. */
  seed?: number;
  shuffle?: boolean;
  /** Skip a last batch smaller than `batchSize` (the reference trains with drop_last=True). */
  dropLast?: boolean;
  /** `true` for the CIFAR recipe (flip + 4-pixel reflect crop), or the individual settings. */
  augment?: boolean | AugmentOptions;
  /** Per-channel mean and std in 0..1 units. Default: the dataset's standard constants. */
  mean?: ArrayLike<number>;
  std?: ArrayLike<number>;
  /** Iterate only over these dataset rows (e.g. a train/validation split). Default: all. */
  indices?: ArrayLike<number>;
  /**
   * Write every batch into the same buffers. Faster, but a batch is then valid only until the next
   * one is requested, and tfjs's CPU backend keeps a reference to (does not copy) the typed array a
   * tensor is made from, so only enable it when the consumer copies. Default false.
   */
  reuseBuffers?: boolean;
}

/** The standard normalisation constants of a dataset, by {@link ImageDataset.name}. */
export function defaultNormalization(name: string): { mean: readonly number[]; std: readonly number[] } {
  switch (name) {
    case 'cifar10': return { mean: CIFAR10_MEAN, std: CIFAR10_STD };
    case 'cifar100': return { mean: CIFAR100_MEAN, std: CIFAR100_STD };
    case 'mnist': return { mean: MNIST_MEAN, std: MNIST_STD };
    default:
      throw new Error(`dataset '${name}': no standard normalisation constants; pass mean and std (one per channel, 0..1 units)`);
  }
}

// Stream ids keep the shuffling and augmentation generators of one epoch independent.
const SHUFFLE_STREAM = 1;
const AUGMENT_STREAM = 2;

/** A configured pipeline; iterate an epoch with {@link ImagePipeline.batches}. */
export class ImagePipeline {
  readonly dataset: ImageDataset;
  readonly batchSize: number;
  readonly seed: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  /** Resolved augmentation, or null when off. */
  readonly augment: Required<AugmentOptions> | null;
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly reuseBuffers: boolean;
  /** Number of samples iterated per epoch. */
  readonly size: number;
  /** Number of batches per epoch, accounting for `dropLast`. */
  readonly batchesPerEpoch: number;

  private readonly base: Int32Array;
  private readonly lut: Float32Array;
  private readonly maps: CropMaps;
  private readonly imageSize: number;

  constructor(dataset: ImageDataset, options: PipelineOptions) {
    const train = (options.mode ?? 'train') === 'train';
    if (options.mode !== undefined && options.mode !== 'train' && options.mode !== 'eval') {
      throw new Error(`pipeline: expected mode 'train' or 'eval', found '${String(options.mode)}'`);
    }
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new Error(`pipeline: expected a positive integer batchSize, found ${options.batchSize}`);
    }
    this.dataset = dataset;
    this.batchSize = options.batchSize;
    this.seed = options.seed ?? 0;
    if (!Number.isSafeInteger(this.seed)) throw new Error(`pipeline: expected an integer seed, found ${this.seed}`);
    this.shuffle = options.shuffle ?? train;
    this.dropLast = options.dropLast ?? train;
    this.reuseBuffers = options.reuseBuffers ?? false;
    const aug = options.augment ?? train;
    const augOptions: AugmentOptions = aug === true ? {} : aug === false ? {} : aug;
    this.augment = aug === false ? null : { flip: augOptions.flip ?? true, padding: augOptions.padding ?? 4 };

    if ((options.mean === undefined) !== (options.std === undefined)) {
      throw new Error('pipeline: pass both mean and std, or neither (to use the dataset defaults)');
    }
    const norm = options.mean !== undefined && options.std !== undefined
      ? { mean: Array.from(options.mean), std: Array.from(options.std) }
      : defaultNormalization(dataset.name);
    this.mean = norm.mean;
    this.std = norm.std;
    const { height, width, channels } = dataset;
    this.lut = normalizationLut(this.mean, this.std, channels);
    this.maps = cropMaps(height, width, channels, this.augment?.padding ?? 0);
    this.imageSize = height * width * channels;
    if (dataset.images.length !== dataset.count * this.imageSize || dataset.labels.length !== dataset.count) {
      throw new Error(`dataset '${dataset.name}': expected ${dataset.count} images of ${height}x${width}x${channels} and as many labels, ` +
        `found ${dataset.images.length} pixel bytes and ${dataset.labels.length} labels`);
    }

    if (options.indices === undefined) {
      this.base = new Int32Array(dataset.count);
      for (let i = 0; i < dataset.count; i++) this.base[i] = i;
    } else {
      this.base = Int32Array.from(options.indices);
      for (const i of this.base) {
        if (i < 0 || i >= dataset.count) throw new Error(`pipeline: index ${i} is outside dataset '${dataset.name}' of ${dataset.count} images`);
      }
    }
    this.size = this.base.length;
    this.batchesPerEpoch = this.dropLast ? Math.floor(this.size / this.batchSize) : Math.ceil(this.size / this.batchSize);
  }

  /** The dataset rows of epoch `epoch` in iteration order; a function of (seed, epoch) only. */
  order(epoch: number): Int32Array {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new Error(`pipeline: expected an epoch integer >= 0, found ${epoch}`);
    const order = this.base.slice();
    if (this.shuffle) shuffleInPlace(order, new Rng(deriveSeed(this.seed, epoch, SHUFFLE_STREAM)));
    return order;
  }

  /**
   * The batches of one epoch, in order, starting at batch `startBatch` (to resume mid-epoch).
   *
   * @example
   * const p = createPipeline(cifarTrain, { batchSize: 128, seed: 1 });
   * for (const { x, y, size } of p.batches(epoch)) {
   *   // x: [size, 32, 32, 3] float32, y: [size] int32
   * }
   */
  *batches(epoch = 0, startBatch = 0): Generator<Batch, void, undefined> {
    const order = this.order(epoch);
    if (!Number.isSafeInteger(startBatch) || startBatch < 0) {
      throw new Error(`pipeline: expected startBatch an integer >= 0, found ${startBatch}`);
    }
    const B = this.batchSize;
    const shared = this.reuseBuffers
      ? { x: new Float32Array(B * this.imageSize), y: new Int32Array(B), indices: new Int32Array(B) }
      : null;
    const augSeed = this.augment === null ? 0 : deriveSeed(this.seed, epoch, AUGMENT_STREAM);
    for (let b = startBatch; b < this.batchesPerEpoch; b++) {
      const start = b * B;
      const size = Math.min(B, this.size - start);
      const x = shared ? shared.x.subarray(0, size * this.imageSize) : new Float32Array(size * this.imageSize);
      const y = shared ? shared.y.subarray(0, size) : new Int32Array(size);
      const indices = shared ? shared.indices.subarray(0, size) : new Int32Array(size);
      for (let k = 0; k < size; k++) {
        const row = order[start + k];
        indices[k] = row;
        y[k] = this.dataset.labels[row];
        this.writeImage(row, x, k * this.imageSize, augSeed, start + k);
      }
      yield { x, y, size, indices };
    }
  }

  /** Transforms dataset row `row` into `x` at `offset`; `position` in the epoch seeds its augmentation. */
  private writeImage(row: number, x: Float32Array, offset: number, augSeed: number, position: number): void {
    const { images, channels, height, width } = this.dataset;
    const src = row * this.imageSize;
    if (this.augment === null) {
      normalizeContiguous(images, src, x, offset, height * width, channels, this.lut);
      return;
    }
    const rng = new Rng(deriveSeed(augSeed, position));
    // Same draw order as torchvision's recipe: flip decision, then crop top, then crop left.
    const flip = this.augment.flip && rng.nextU32() < 0x80000000 ? 1 : 0;
    const span = 2 * this.maps.padding + 1;
    const dy = span > 1 ? rng.int(span) : 0;
    const dx = span > 1 ? rng.int(span) : 0;
    gatherNormalize(images, src, x, offset, channels, this.lut, this.maps.rows[dy], this.maps.cols[flip][dx]);
  }
}

/**
 * A pipeline over `dataset`. With the default `mode: 'train'` it shuffles per epoch, drops the
 * last partial batch and applies the CIFAR augmentation; `mode: 'eval'` does none of these.
 */
export function createPipeline(dataset: ImageDataset, options: PipelineOptions): ImagePipeline {
  return new ImagePipeline(dataset, options);
}

/** Training defaults: shuffle, dropLast, flip + 4-pixel reflect crop (each overridable). */
export function trainPipeline(dataset: ImageDataset, options: Omit<PipelineOptions, 'mode'>): ImagePipeline {
  return new ImagePipeline(dataset, { ...options, mode: 'train' });
}

/** Evaluation defaults: dataset order, no augmentation, the last partial batch kept. */
export function evalPipeline(dataset: ImageDataset, options: Omit<PipelineOptions, 'mode'>): ImagePipeline {
  return new ImagePipeline(dataset, { ...options, mode: 'eval' });
}

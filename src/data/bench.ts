/**
 * Throughput of the input pipeline, so the CLI can show that producing a batch costs far less
 * than the training step that consumes it.
 */
import { performance } from 'node:perf_hooks';
import type { AugmentOptions } from './augment.js';
import { createPipeline } from './pipeline.js';
import type { ImageDataset } from './types.js';

/** Options of {@link benchPipeline}. */
export interface BenchOptions {
  batchSize: number;
  /** Number of timed batches (after 2 untimed warm-up batches). Runs across epochs if needed. */
  batches: number;
  /** Augmentation as in the pipeline; default true (the training configuration). */
  augment?: boolean | AugmentOptions;
  seed?: number;
  reuseBuffers?: boolean;
}

/** Result of {@link benchPipeline}; snake_case so it can go straight into a results file. */
export interface BenchResult {
  images_per_s: number;
  ms_per_batch: number;
  batches: number;
  images: number;
}

/**
 * Times the training pipeline on `ds`: wall-clock per batch, including buffer allocation.
 *
 * @example
 * const r = benchPipeline(cifarTrain, { batchSize: 128, batches: 50, augment: true });
 * console.log(`${r.images_per_s.toFixed(0)} images/s, ${r.ms_per_batch.toFixed(2)} ms/batch`);
 */
export function benchPipeline(ds: ImageDataset, options: BenchOptions): BenchResult {
  if (!Number.isInteger(options.batches) || options.batches < 1) {
    throw new Error(`benchPipeline: expected batches >= 1, found ${options.batches}`);
  }
  const pipeline = createPipeline(ds, {
    batchSize: options.batchSize, augment: options.augment ?? true, seed: options.seed ?? 0,
    reuseBuffers: options.reuseBuffers ?? false, dropLast: true,
  });
  if (pipeline.batchesPerEpoch === 0) {
    throw new Error(`benchPipeline: dataset '${ds.name}' has ${ds.count} images, fewer than one batch of ${options.batchSize}`);
  }
  const warmup = 2;
  let epoch = 0;
  let it = pipeline.batches(epoch);
  const nextBatch = (): number => {
    let r = it.next();
    if (r.done === true) {
      it = pipeline.batches(++epoch);
      r = it.next();
    }
    // Touch the output so the work cannot be optimised away.
    return r.done === true ? 0 : r.value.x[0] + r.value.size;
  };
  let sink = 0;
  for (let i = 0; i < warmup; i++) sink += nextBatch();
  let images = 0;
  const t0 = performance.now();
  for (let i = 0; i < options.batches; i++) {
    sink += nextBatch();
    images += options.batchSize;
  }
  const ms = performance.now() - t0;
  if (Number.isNaN(sink)) throw new Error('benchPipeline: produced NaN values');
  return {
    images_per_s: images / (ms / 1000),
    ms_per_batch: ms / options.batches,
    batches: options.batches,
    images,
  };
}

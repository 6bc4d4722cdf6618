/**
 * A validation hold-out: the last `count` images of a dataset as views (no copies), so a
 * recipe can be chosen without looking at the test set (the reference holds out 5k of
 * CIFAR's 50k training images).
 */
import type { ImageDataset } from './types.js';

/** Rows [0, count − k) for training and [count − k, count) for validation; k = 0 gives no validation set. */
export function holdOut(ds: ImageDataset, k: number): { train: ImageDataset; val: ImageDataset | null } {
  if (!Number.isInteger(k) || k < 0) throw new Error(`validation hold-out: need a whole number of images >= 0, got ${k}`);
  if (k === 0) return { train: ds, val: null };
  if (k >= ds.count) throw new Error(`validation hold-out of ${k} images leaves nothing to train on (${ds.name} ${ds.split} has ${ds.count}); lower --val-images`);
  const pix = ds.height * ds.width * ds.channels, cut = ds.count - k;
  const view = (from: number, to: number): ImageDataset => ({
    ...ds, images: ds.images.subarray(from * pix, to * pix), labels: ds.labels.subarray(from, to), count: to - from,
  });
  return { train: view(0, cut), val: view(cut, ds.count) };
}

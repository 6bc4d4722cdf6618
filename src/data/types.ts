/** In-memory dataset shapes shared by every loader and by the input pipeline. */

/** Which official split to read. */
export type Split = 'train' | 'test';

/** An image classification dataset held as packed bytes. */
export interface ImageDataset {
  /** Short identifier, e.g. `cifar10`, `mnist`; used to pick default normalisation constants. */
  name: string;
  split: Split;
  /** Pixels, [count, height, width, channels] row-major (NHWC), 0..255. */
  images: Uint8Array;
  /** Class index per image, [count]. */
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  classNames: string[];
}

/** A text classification dataset (one document per entry). */
export interface TextDataset {
  name: string;
  split: Split;
  /** Document text, decoded as UTF-8. */
  texts: string[];
  /** Class per document, [count]; for IMDb 0 = negative, 1 = positive. */
  labels: Uint8Array;
  /** The rating in the file name, [count]; for IMDb 1..4 (negative) or 7..10 (positive). */
  ratings: Uint8Array;
  /** The numeric id in the file name, [count]. */
  ids: number[];
  count: number;
  numClasses: number;
  classNames: string[];
}

/** Throws unless `split` is `train` or `test`; callers may pass strings straight from a CLI. */
export function checkSplit(split: string): asserts split is Split {
  if (split !== 'train' && split !== 'test') {
    throw new Error(`unknown split '${split}': expected 'train' or 'test'`);
  }
}

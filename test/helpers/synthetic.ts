// A small synthetic image set with a learnable rule, for training tests without CIFAR.
import { CIFAR10_CLASS_NAMES, type ImageDataset } from '../../src/data/index.js';

/** count images of size×size×3 whose label is the brightest colour channel (classes 0..2). */
export function synthetic(count: number, size: number, seed: number, split: 'train' | 'test' = 'train'): ImageDataset {
  const images = new Uint8Array(count * size * size * 3), labels = new Uint8Array(count);
  let s = seed >>> 0 || 1;
  const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
  for (let i = 0; i < count; i++) {
    const label = i % 3;
    labels[i] = label;
    for (let p = 0; p < size * size; p++) {
      for (let c = 0; c < 3; c++) images[(i * size * size + p) * 3 + c] = Math.floor(rnd() * 120 + (c === label ? 100 : 0));
    }
  }
  // Named cifar10 so the pipeline uses CIFAR-10's normalisation constants.
  return { name: 'cifar10', split, images, labels, count, height: size, width: size, channels: 3, numClasses: 10, classNames: [...CIFAR10_CLASS_NAMES] };
}

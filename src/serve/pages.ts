/**
 * What `mimo serve` shows a person: the demo page (web/index.html), test images of the model's dataset to
 * pick from, and the accuracy–throughput plot of the model's operating points.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CIFAR10_CLASS_NAMES } from '../data/cifar10.js';
import { IMAGE_DATASET_TITLES, loadImageDataset, type ImageDatasetName } from '../data/image_datasets.js';
import { resolveDataDir } from '../data/dir.js';
import type { ImageDataset } from '../data/types.js';
import { modelName } from '../models/mimoconv/config.js';
import { operatingPointsSvg } from '../plot/operating_points.js';
import type { ConvCheckpointMeta } from '../checkpoint/conv.js';
import { packageRoot } from '../util/package_root.js';
import { encodeRgbPng } from '../util/png.js';
import { BadRequestError } from './decode.js';

export interface OperatingPointRow {
  n: number;
  accuracy: number | null;
  images_per_s: number | null;
  measured_images_per_s: number;
}

export class Pages {
  readonly classNames: string[];
  private test: ImageDataset | null | undefined;
  private html: string | undefined;
  private readonly dataset: ImageDatasetName;

  constructor(private readonly opts: { meta: ConvCheckpointMeta; points: number[]; dataDir?: string }) {
    this.dataset = opts.meta.train.dataset;
    const classes = opts.meta.model.classes;
    this.classNames = classes === CIFAR10_CLASS_NAMES.length ? [...CIFAR10_CLASS_NAMES] : Array.from({ length: classes }, (_, i) => `class ${i}`);
  }

  /** The demo page. */
  index(): string {
    if (this.html === undefined) {
      const file = join(packageRoot() ?? process.cwd(), 'web', 'index.html');
      this.html = existsSync(file) ? readFileSync(file, 'utf8') : '<!doctype html><title>mimo serve</title><p>The demo page (web/index.html) is missing from this installation; the API works: POST /v1/classify.';
    }
    return this.html;
  }

  /** `count` test images of the model's dataset from `offset` as PNG data URLs with their true labels. */
  samples(count: number, offset: number): Record<string, unknown> {
    if (!Number.isInteger(count) || count < 1 || count > 100) throw new BadRequestError(422, `count=${count}: ask for 1 to 100 samples`, 'bad_count');
    if (!Number.isInteger(offset) || offset < 0) throw new BadRequestError(422, `offset=${offset}: must be a whole number >= 0`, 'bad_offset');
    if (this.test === undefined) {
      try {
        this.test = loadImageDataset(resolveDataDir(this.opts.dataDir), this.dataset, 'test');
        // The dataset's own class names (e.g. CIFAR-100's fine_label_names.txt).
        if (this.test.numClasses === this.classNames.length) this.classNames.splice(0, this.classNames.length, ...this.test.classNames);
      } catch {
        this.test = null;
      }
    }
    if (this.test === null) throw new BadRequestError(404, `the ${IMAGE_DATASET_TITLES[this.dataset]} test set is not in the data directory; start the server with --data-dir (or run \`npm run setup\`) to offer sample images`, 'no_samples');
    const ds = this.test;
    const px = ds.height * ds.width * ds.channels;
    const images = [];
    for (let k = 0; k < count; k++) {
      const index = (offset + k) % ds.count;
      // CIFAR in memory is HWC uint8.
      const png = encodeRgbPng(ds.images.subarray(index * px, (index + 1) * px), ds.width, ds.height);
      images.push({ index, class: ds.labels[index], label: this.classNames[ds.labels[index]], png: `data:image/png;base64,${png.toString('base64')}` });
    }
    return { dataset: this.dataset, split: 'test', total: ds.count, images };
  }

  /** The accuracy–throughput plot (recorded accuracy; recorded images/s, else measured here). */
  plotSvg(rows: OperatingPointRow[]): string {
    const points = rows.filter((r) => r.accuracy !== null).map((r) => ({ n: r.n, accuracy: r.accuracy!, images_per_s: r.images_per_s ?? r.measured_images_per_s }));
    if (points.length === 0) throw new BadRequestError(404, 'the checkpoint has no recorded accuracy per n; run `mimo eval --checkpoint <path> --record` to add it', 'no_operating_points');
    return operatingPointsSvg([{ name: modelName(this.opts.meta.model), points }], { title: 'Operating points of this model', width: 560, height: 380 });
  }
}

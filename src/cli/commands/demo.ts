import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../backend/index.js';
import { KERNEL_WORKLOADS, runWorkloads } from '../../bench/kernels.js';
import { loadCifar10, requireDataset, resolveDataDir, type ImageDataset } from '../../data/index.js';
import { modelName, operatingPoints } from '../../models/mimoconv/index.js';
import { loadConvCheckpoint } from '../../checkpoint/conv.js';
import { evaluateConv } from '../../train/evaluate_conv.js';
import { trainTinyCnn } from '../../train/tiny_cnn.js';
import { packageRoot } from '../../util/package_root.js';
import { UsageError } from '../args.js';
import { Progress } from '../progress.js';
import { BACKEND_OPTS, DATA_OPTS, table, type Command } from '../command.js';

/** The committed MIMONet the demo shows classifying in superposition: the dynamic one, trained at every n it serves. */
export const DEMO_CHECKPOINT = join('models', 'mimonet-16-4-N4-dyn.ckpt');

export interface SuperpositionDemo {
  checkpoint: string;
  model: string;
  capacity: number;
  images: number;
  results: { n: number; accuracy: number; images_per_s: number; speedup: number }[];
}

/** One set of weights at every operating point n on the first `images` test images. */
function superpositionDemo(path: string, test: ImageDataset, images: number, json: boolean): SuperpositionDemo {
  const { net } = loadConvCheckpoint(path);
  try {
    const ns = operatingPoints(net.config);
    const bar = new Progress(ns.length, 'superposition', { json });
    const batch = 128; // superpositions per pass
    const results = ns.map((n) => {
      // One untimed batch first: the first pass at a shape builds the oneDNN primitives.
      evaluateConv(net, test, n, { batch, images: Math.min(batch * n, images || test.count) });
      const r = evaluateConv(net, test, n, { batch, images });
      bar.tick(1, `n=${n}`);
      return { n, accuracy: Math.round(r.accuracy * 1e4) / 1e4, images_per_s: Math.round(r.images_per_s) };
    });
    bar.finish();
    return {
      checkpoint: path, model: modelName(net.config), capacity: net.config.capacity, images: Math.min(images || test.count, test.count),
      results: results.map((r) => ({ ...r, speedup: Math.round((r.images_per_s / results[0].images_per_s) * 100) / 100 })),
    };
  } finally {
    net.dispose();
  }
}

export const demo: Command = {
  path: ['demo'],
  summary: 'The end-to-end check: kernel throughput, a small CNN trained on CIFAR-10 (2 epochs, about a minute) and its test accuracy, then the committed MIMONet classifying test images at every number of superposed inputs n.',
  options: {
    ...BACKEND_OPTS, ...DATA_OPTS,
    'train-images': { type: 'number', default: 0, help: 'CIFAR-10 training images to use (0: all 50000)' },
    epochs: { type: 'number', default: 2, help: 'passes over those images' },
    seed: { type: 'number', default: 0, help: 'seed of initialisation, shuffling and augmentation' },
    checkpoint: { type: 'string', help: `MIMONet checkpoint to run in superposition (default: ${DEMO_CHECKPOINT} of this repository; "none" skips it)` },
    'superposition-images': { type: 'number', default: 2048, help: 'test images it classifies at each n (0: all 10000; multiples of 512 keep every batch full)' },
  },
  async run(args) {
    const b = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    const json = Boolean(args.json);
    const images = args['superposition-images'] as number;
    if (!(Number.isInteger(images) && images >= 0)) throw new UsageError(`--superposition-images ${images}: give a whole number of test images >= 0 (0: all)`);
    // Check the checkpoint before a minute of training, not after.
    const given = args.checkpoint as string | undefined;
    const fallback = join(packageRoot() ?? process.cwd(), DEMO_CHECKPOINT);
    const ckpt = given === 'none' ? null : given ?? (existsSync(fallback) ? fallback : null);
    if (ckpt !== null && !existsSync(ckpt)) throw new UsageError(`--checkpoint ${ckpt}: no such file; give a MIMONet checkpoint (e.g. ${DEMO_CHECKPOINT}) or "none"`);
    const kernels = runWorkloads(KERNEL_WORKLOADS(), { minSeconds: 0.5 });
    const dir = resolveDataDir(args['data-dir'] as string | undefined);
    requireDataset(dir, 'cifar10');
    const train = loadCifar10(dir, 'train'), test = loadCifar10(dir, 'test');
    let bar: Progress | undefined;
    const r = await trainTinyCnn(train, test, {
      trainImages: args['train-images'] as number, epochs: args.epochs as number, seed: args.seed as number, testImages: 0,
    }, (step, total, loss) => {
      bar ??= new Progress(total, '', { json });
      bar.tick(1, `loss ${loss.toFixed(3)}`);
    });
    bar?.finish();
    let sup: SuperpositionDemo | null = null;
    if (ckpt !== null) sup = superpositionDemo(ckpt, test, images, json);
    const text = [
      `backend ${b.backend} (${b.threads} threads${b.onednn ? `, oneDNN ${b.onednn}` : ''})`,
      table(['workload', 'GFLOP/s'], kernels.map((k) => [k.name, k.gflops])),
      '',
      `tiny CNN on ${r.steps * r.config.batchSize / r.config.epochs} CIFAR-10 images x ${r.config.epochs} epochs: ` +
        `${r.train_seconds} s (${r.images_per_s} images/s)`,
      `loss by tenths: ${r.loss_curve.join(' ')}`,
      `test accuracy on ${r.config.testImages || test.count} test images: ${(r.test_accuracy * 100).toFixed(2)}%`,
      ...(sup ? ['',
        `${sup.model} (N=${sup.capacity}, ${sup.checkpoint}): one set of weights, n test images bound into one tensor per pass, on the first ${sup.images} test images`,
        table(['n', 'accuracy', 'images/s', 'speed vs n=1'], sup.results.map((p) => [p.n, (p.accuracy * 100).toFixed(2) + '%', p.images_per_s, p.speedup.toFixed(2) + 'x'])),
      ] : ['', 'no MIMONet checkpoint found: pass --checkpoint PATH to see one classify in superposition']),
    ].join('\n');
    return { json: { backend: b.backend, threads: b.threads, kernels, tiny_cnn: r, superposition: sup }, text };
  },
};

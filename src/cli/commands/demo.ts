import { initBackend } from '../../backend/index.js';
import { KERNEL_WORKLOADS, runWorkloads } from '../../bench/kernels.js';
import { loadCifar10, requireDataset, resolveDataDir } from '../../data/index.js';
import { trainTinyCnn } from '../../train/tiny_cnn.js';
import { Progress } from '../progress.js';
import { BACKEND_OPTS, DATA_OPTS, table, type Command } from '../command.js';

export const demo: Command = {
  path: ['demo'],
  summary: 'The end-to-end check: kernel throughput, then a small CNN trained on CIFAR-10 (2 epochs, about a minute) and its test accuracy.',
  options: {
    ...BACKEND_OPTS, ...DATA_OPTS,
    'train-images': { type: 'number', default: 0, help: 'CIFAR-10 training images to use (0: all 50000)' },
    epochs: { type: 'number', default: 2, help: 'passes over those images' },
    seed: { type: 'number', default: 0, help: 'seed of initialisation, shuffling and augmentation' },
  },
  async run(args) {
    const b = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    const json = Boolean(args.json);
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
    const text = [
      `backend ${b.backend} (${b.threads} threads${b.onednn ? `, oneDNN ${b.onednn}` : ''})`,
      table(['workload', 'GFLOP/s'], kernels.map((k) => [k.name, k.gflops])),
      '',
      `tiny CNN on ${r.steps * r.config.batchSize / r.config.epochs} CIFAR-10 images x ${r.config.epochs} epochs: ` +
        `${r.train_seconds} s (${r.images_per_s} images/s)`,
      `loss by tenths: ${r.loss_curve.join(' ')}`,
      `test accuracy on ${r.config.testImages || test.count} test images: ${(r.test_accuracy * 100).toFixed(2)}%`,
    ].join('\n');
    return { json: { backend: b.backend, threads: b.threads, kernels, tiny_cnn: r }, text };
  },
};

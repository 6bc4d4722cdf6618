import { benchPipeline, loadCifar10, requireDataset, resolveDataDir } from '../../data/index.js';
import { DATA_OPTS, type Command } from '../command.js';

export const benchData: Command = {
  path: ['bench', 'data'],
  summary: 'Input-pipeline throughput on CIFAR-10 train (shuffle, flip, reflect-pad crop, normalise).',
  options: {
    ...DATA_OPTS,
    'batch-size': { type: 'number', default: 128, help: 'images per batch' },
    batches: { type: 'number', default: 200, help: 'timed batches' },
    augment: { type: 'boolean', default: true, help: 'flip + 4-pixel reflect crop (--no-augment to measure without)' },
  },
  async run(args) {
    const dir = resolveDataDir(args['data-dir'] as string | undefined);
    requireDataset(dir, 'cifar10');
    const t0 = performance.now();
    const ds = loadCifar10(dir, 'train');
    const loadMs = performance.now() - t0;
    const r = benchPipeline(ds, { batchSize: args['batch-size'] as number, batches: args.batches as number, augment: args.augment as boolean });
    return {
      json: { dataset: 'cifar10', split: 'train', batch_size: args['batch-size'], augment: args.augment, load_ms: Math.round(loadMs), ...r },
      text: `CIFAR-10 train loaded in ${loadMs.toFixed(0)} ms; batch ${args['batch-size']}: ${r.ms_per_batch.toFixed(3)} ms/batch, ${Math.round(r.images_per_s)} images/s`,
    };
  },
};

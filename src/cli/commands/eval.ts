import { initBackend } from '../../backend/index.js';
import { IMAGE_DATASET_TITLES, loadImageDataset, resolveDataDir } from '../../data/index.js';
import { operatingPoints } from '../../models/mimoconv/index.js';
import { loadConvCheckpoint } from '../../checkpoint/conv.js';
import { evaluateConv } from '../../train/evaluate_conv.js';
import { evaluateConvOnnx } from '../../train/evaluate_onnx.js';
import { readCheckpointMeta, updateCheckpointMeta } from '../../checkpoint/index.js';
import { loadFormerTask } from '../../train/former_data.js';
import { evaluateFormer, loadFormerCheckpoint } from '../../train/former_trainer.js';
import type { BackendInfo } from '../../backend/index.js';
import { UsageError, type Parsed } from '../args.js';
import { BACKEND_OPTS, DATA_OPTS, table, type Command } from '../command.js';
import { plural } from '../../util/plural.js';

export const evalCommand: Command = {
  path: ['eval'],
  summary: 'Accuracy and measured images/s per number of superposed inputs n, on the CIFAR-10 test set, from a checkpoint alone.',
  options: {
    ...BACKEND_OPTS, ...DATA_OPTS,
    checkpoint: { type: 'string', help: 'checkpoint path (required)' },
    n: { type: 'list', help: 'operating points to evaluate (default: every divisor of N)' },
    batch: { type: 'number', default: 128, help: 'superpositions per forward pass' },
    images: { type: 'number', default: 0, help: 'evaluate the first K test images (0: all 10000)' },
    record: { type: 'boolean', help: 'store the results in the checkpoint as its operating points (what `mimo serve` reports); needs every n and all test images' },
    engine: { type: 'string', default: 'mimonets', help: 'mimonets (this library\'s backend) or onnxruntime (the graph mimo export onnx writes, run by ONNX Runtime)' },
  },
  async run(args) {
    if (!args.checkpoint) throw new UsageError('--checkpoint <path> is required');
    const b = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    if (readCheckpointMeta(args.checkpoint as string).kind === 'mimoformer') return evalFormer(args.checkpoint as string, args, b);
    const { net, meta } = loadConvCheckpoint(args.checkpoint as string);
    try {
      const ns = args.n ? (args.n as string[]).map((s) => Number(s)) : operatingPoints(net.config);
      for (const n of ns) {
        if (!Number.isInteger(n) || n < 1 || net.config.capacity % n !== 0) {
          throw new UsageError(`--n ${n}: the model holds N=${net.config.capacity} inputs; n must divide it (${operatingPoints(net.config).join(', ')})`);
        }
      }
      if (args.record && (args.images || ns.length !== operatingPoints(net.config).length)) {
        throw new UsageError('--record stores the operating points a server reports: evaluate every n (no --n) on the whole test set (no --images)');
      }
      const dir = resolveDataDir(args['data-dir'] as string | undefined);
      const dataset = meta.train.dataset;
      const test = loadImageDataset(dir, dataset, 'test');
      const engine = args.engine as string;
      if (engine !== 'mimonets' && engine !== 'onnxruntime') throw new UsageError(`--engine must be mimonets or onnxruntime, got '${engine}'`);
      if (args.record && engine !== 'mimonets') throw new UsageError('--record stores what mimonets itself measures; drop --engine onnxruntime');
      const results: { n: number; accuracy: number; images: number; images_per_s: number }[] = [];
      for (const n of ns) {
        const o = { batch: args.batch as number, images: args.images as number };
        const r = engine === 'onnxruntime' ? await evaluateConvOnnx(net, test, n, { ...o, threads: b.threads }) : evaluateConv(net, test, n, o);
        results.push({ n, accuracy: round(r.accuracy, 5), images: r.images, images_per_s: Math.round(r.images_per_s) });
      }
      if (args.record) {
        updateCheckpointMeta(args.checkpoint as string, (m) => ({ ...m, operatingPoints: results.map(({ n, accuracy, images_per_s }) => ({ n, accuracy, images_per_s })) }));
      }
      return {
        json: { dataset, split: 'test', checkpoint: args.checkpoint, engine, backend: engine === 'mimonets' ? b.backend : 'onnxruntime', threads: b.threads, model: meta.model, results, recorded: Boolean(args.record) },
        text: `${args.checkpoint} on ${IMAGE_DATASET_TITLES[dataset]} test (${engine === 'mimonets' ? b.backend : 'ONNX Runtime'}, ${plural(b.threads, 'thread')})\n` +
          table(['n', 'accuracy', 'images', 'images/s'], results.map((r) => [r.n, (r.accuracy * 100).toFixed(2) + '%', r.images, r.images_per_s])),
      };
    } finally {
      net.dispose();
    }
  },
};

function round(v: number, d: number): number {
  return Math.round(v * 10 ** d) / 10 ** d;
}

/** Test accuracy and sequences/s of a MIMOFormer checkpoint on its task. */
function evalFormer(path: string, args: Parsed, b: BackendInfo) {
  const { model, meta } = loadFormerCheckpoint(path);
  try {
    const data = loadFormerTask(meta.train.task, resolveDataDir(args['data-dir'] as string | undefined), { seed: meta.train.seed, scale: meta.train.scale });
    const r = evaluateFormer(model, data.test, meta.train.batch);
    const results = [{ scheme: meta.model.scheme, grid: meta.model.grid, accuracy: round(r.accuracy, 5), sequences: r.sequences, sequences_per_s: Math.round(r.sequences_per_s * 10) / 10 }];
    return {
      json: { dataset: meta.train.task, split: 'test', checkpoint: path, backend: b.backend, threads: b.threads, model: meta.model, results },
      text: `${path} on ${meta.train.task} test (${b.backend}, ${plural(b.threads, 'thread')})\n` +
        table(['scheme', 'M=N', 'accuracy', 'sequences', 'seq/s'], results.map((x) => [x.scheme, x.grid, (x.accuracy * 100).toFixed(2) + '%', x.sequences, x.sequences_per_s])),
    };
  } finally {
    model.dispose();
  }
}

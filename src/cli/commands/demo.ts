import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initBackend } from '../../backend/index.js';
import { operatingPointSpeeds } from '../../bench/operating_points_speed.js';
import { loadConvCheckpoint } from '../../checkpoint/conv.js';
import { loadCifar10, requireDataset, resolveDataDir } from '../../data/index.js';
import { modelName, operatingPoints } from '../../models/mimoconv/index.js';
import { operatingPointsSvg } from '../../plot/operating_points.js';
import { evaluateConv } from '../../train/evaluate_conv.js';
import { machineLine } from '../../util/machine.js';
import { packageRoot } from '../../util/package_root.js';
import { UsageError } from '../args.js';
import { formatOf, writePlot } from '../plot_files.js';
import { Progress } from '../progress.js';
import { BACKEND_OPTS, DATA_OPTS, table, type Command } from '../command.js';

/** The committed MIMONet the demo shows classifying in superposition: the dynamic one, trained at every n it serves. */
export const DEMO_CHECKPOINT = join('models', 'mimonet-16-4-N4-dyn.ckpt');
/** Where the demo's operating-points plot goes by default (git-ignored). */
export const DEMO_PLOT = join('.cache', 'demo', 'operating-points.svg');

export interface DemoPoint {
  n: number;
  /** On the first `images` test images. */
  accuracy: number;
  /** Interleaved timing, 128 superpositions (128·n images) per pass. */
  images_per_s: number;
  /** images_per_s over that of n = 1. */
  speedup: number;
}

export interface DemoResult {
  checkpoint: string;
  model: string;
  capacity: number;
  dynamic: boolean;
  images: number;
  results: DemoPoint[];
  plot: string;
  machine: string;
}

export const demo: Command = {
  path: ['demo'],
  summary: 'Computation in superposition, shown: one set of weights (the committed dynamic MIMONet) classifies CIFAR-10 test images with n = 1, 2, 4 images bound into each pass; prints accuracy, images/s and the speed-up over n=1 (timed in interleaved rounds, as mimo bench conv times), and writes the operating-points plot.',
  options: {
    ...BACKEND_OPTS, ...DATA_OPTS,
    checkpoint: { type: 'string', help: `MIMONet checkpoint to run in superposition (default: ${DEMO_CHECKPOINT} of this repository)` },
    images: { type: 'number', default: 2048, help: 'test images classified at each n for the accuracy (0: all 10000)' },
    'min-seconds': { type: 'number', default: 2, help: 'time each n for at least this long (128 superpositions per pass)' },
    out: { type: 'string', default: DEMO_PLOT, help: 'the operating-points plot; the extension (.svg or .png) picks the format' },
  },
  async run(args) {
    const json = Boolean(args.json);
    const images = args.images as number, minSeconds = args['min-seconds'] as number;
    if (!(Number.isInteger(images) && images >= 0)) throw new UsageError(`--images ${images}: give a whole number of test images >= 0 (0: all)`);
    if (!(minSeconds >= 0)) throw new UsageError(`--min-seconds ${minSeconds}: give a number of seconds >= 0`);
    const out = resolve(args.out as string), format = formatOf(out, 'out');
    const root = packageRoot() ?? process.cwd();
    const ckpt = (args.checkpoint as string | undefined) ?? join(root, DEMO_CHECKPOINT);
    if (!existsSync(ckpt)) throw new UsageError(`--checkpoint ${ckpt}: no such file; give a MIMONet checkpoint (e.g. ${DEMO_CHECKPOINT} of this repository, or one from mimo train conv)`);
    const b = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    const dir = resolveDataDir(args['data-dir'] as string | undefined);
    requireDataset(dir, 'cifar10');
    const test = loadCifar10(dir, 'test');
    const { net, meta } = loadConvCheckpoint(ckpt);
    let result: DemoResult;
    try {
      const ns = operatingPoints(net.config);
      const count = Math.min(images || test.count, test.count);
      const bar = new Progress(ns.length + 1, 'superposition', { json });
      const acc = ns.map((n) => {
        const r = evaluateConv(net, test, n, { images: count });
        bar.tick(1, `accuracy at n=${n}`);
        return r.accuracy;
      });
      const speeds = operatingPointSpeeds(net, test, ns, { minSeconds });
      bar.tick(1, 'timing');
      bar.finish();
      const results = ns.map((n, i) => ({
        n, accuracy: Math.round(acc[i] * 1e4) / 1e4, images_per_s: Math.round(speeds[i].images_per_s),
        speedup: Math.round((speeds[i].images_per_s / speeds[0].images_per_s) * 100) / 100,
      }));
      const machine = `${machineLine()}, backend ${b.backend} (${b.threads} threads)`;
      const dynamic = meta.train.supLow !== null && meta.train.supFrequency < 1;
      const name = `${modelName(net.config)} N=${net.config.capacity}${dynamic ? ' dynamic' : ''}`;
      const svg = operatingPointsSvg([{ name, points: results }], {
        title: `One set of weights at every n: CIFAR-10, first ${count} test images`, footnote: machine,
      });
      await writePlot(svg, out, format, undefined);
      result = { checkpoint: ckpt, model: modelName(net.config), capacity: net.config.capacity, dynamic, images: count, results, plot: out, machine };
    } finally {
      net.dispose();
    }
    const text = [
      `${result.model} (N=${result.capacity}${result.dynamic ? ', dynamic' : ''}, ${result.checkpoint})`,
      `one set of weights; at each n, n test images are bound to keys and summed into one tensor, so the network runs once per n images`,
      '',
      table(['n', `accuracy (first ${result.images} test images)`, 'images/s', 'speed-up vs n=1'],
        result.results.map((p) => [p.n, (p.accuracy * 100).toFixed(2) + '%', p.images_per_s, p.speedup.toFixed(2) + 'x'])),
      '',
      `timed in interleaved rounds, 128 superpositions per pass, on ${result.machine}`,
      `plot: ${result.plot}`,
    ].join('\n');
    return { json: result as unknown as Record<string, unknown>, text };
  },
};

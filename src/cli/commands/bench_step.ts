import { initBackend } from '../../backend/index.js';
import { benchWrnStep } from '../../bench/wrn_step.js';
import { Progress } from '../progress.js';
import { UsageError } from '../args.js';
import { BACKEND_OPTS, table, type Command } from '../command.js';

export const benchStep: Command = {
  path: ['bench', 'step'],
  summary: 'Training-step time of a plain WideResNet (SGD, batch statistics), optionally profiled per kernel.',
  options: {
    ...BACKEND_OPTS,
    depth: { type: 'number', default: 16, help: 'WRN depth (6k+4)' },
    width: { type: 'number', default: 4, help: 'WRN width multiplier' },
    batch: { type: 'number', default: 128, help: 'images per step' },
    size: { type: 'number', default: 32, help: 'input height and width' },
    reps: { type: 'number', default: 5, help: 'timed steps (median reported)' },
    profile: { type: 'boolean', help: 'also profile one step: time per kernel' },
    bn: { type: 'string', default: 'fused', help: 'batch norm: fused (batchNormTrain) or composed (tf.moments + tf.batchNorm)' },
  },
  async run(args) {
    for (const k of ['depth', 'width', 'batch', 'size', 'reps']) {
      const v = args[k] as number;
      if (!Number.isInteger(v) || v < 1) throw new UsageError(`--${k} must be a whole number >= 1, got ${v}`);
    }
    if (args.bn !== 'fused' && args.bn !== 'composed') throw new UsageError(`--bn must be fused or composed, got '${args.bn}'`);
    const b = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    const bar = new Progress(args.reps as number, 'steps', { json: Boolean(args.json) });
    const r = await benchWrnStep({ depth: args.depth as number, width: args.width as number, batch: args.batch as number,
      size: args.size as number, classes: 10, bn: args.bn as 'fused' | 'composed' }, { reps: args.reps as number, profile: Boolean(args.profile), onStep: () => bar.tick() });
    bar.finish();
    const name = `wrn-${r.config.depth}-${r.config.width}`;
    const bnNote = r.config.bn === 'composed' ? ', composed batch norm' : '';
    let text = `${name}, batch ${r.config.batch}, ${r.config.size}x${r.config.size} on ${b.backend} (${b.threads} threads${bnNote}): ` +
      `${r.step_ms} ms/step, ${r.images_per_s} images/s, ${r.train_gflops} GFLOP/s (3x forward)`;
    if (r.kernels) {
      const total = r.kernels.reduce((a, k) => a + k.ms, 0) + (r.outside_kernels_ms ?? 0);
      text += '\n\n' + table(['kernel', 'ms', 'calls', 'share'], [
        ...r.kernels.filter((k) => k.ms >= 0.5).map((k) => [k.name, k.ms.toFixed(1), k.calls, `${((100 * k.ms) / total).toFixed(1)}%`]),
        ['(outside kernels)', (r.outside_kernels_ms ?? 0).toFixed(1), '', `${((100 * (r.outside_kernels_ms ?? 0)) / total).toFixed(1)}%`],
      ]);
    }
    return { json: { backend: b.backend, threads: b.threads, model: name, ...r }, text };
  },
};

import { initBackend } from '../../backend/index.js';
import { benchConvSpeed, profileConvStep } from '../../bench/conv_speed.js';
import { benchOnnxSpeed } from '../../bench/onnx_speed.js';
import { parseModelName, type Binding, type MimoConvConfig } from '../../models/mimoconv/index.js';
import { UsageError } from '../args.js';
import { Progress } from '../progress.js';
import { BACKEND_OPTS, table, type Command } from '../command.js';
import { plural } from '../../util/plural.js';

export const benchConv: Command = {
  path: ['bench', 'conv'],
  summary: 'MIMOConv speed per n: inference images/s (128 superpositions per batch), training-step seconds, FLOPs per image; a WRN baseline alongside.',
  options: {
    ...BACKEND_OPTS,
    model: { type: 'string', default: 'mimonet-16-4', help: 'wrn-D-W or mimonet-D-W' },
    'initial-width': { type: 'number', default: 2, help: 'stem width multiplier' },
    binding: { type: 'string', default: 'hrr', help: 'hrr, mbat or none' },
    capacity: { type: 'number', default: 4, help: 'N' },
    n: { type: 'list', help: 'operating points (default: 1,2,4 dividing N)' },
    baseline: { type: 'string', help: 'plain WRN to compare with, e.g. wrn-16-4 (default: wrn with the same depth and width; "none" to skip)' },
    batch: { type: 'number', default: 128, help: 'superpositions per batch' },
    'image-size': { type: 'number', default: 32, help: 'input height and width' },
    reps: { type: 'number', default: 3, help: 'timed repetitions (median)' },
    'min-seconds': { type: 'number', default: 2, help: 'time inference at each n for at least this long (more repetitions for fast models)' },
    'inference-only': { type: 'boolean', help: 'skip the training-step timings' },
    profile: { type: 'boolean', help: 'also profile one training step at n = N, per kernel' },
    'no-fold': { type: 'boolean', help: 'measure inference without folding batch norm into the convolutions (for comparison)' },
    'compare-fold': { type: 'boolean', help: 'also time inference without folding, interleaved with the folded runs, and report the ratio' },
    onnx: { type: 'boolean', help: 'instead: inference of the native backend against ONNX Runtime on the same exported graph (mimo export onnx), per n, same threads' },
  },
  async run(args) {
    const { arch, depth, width } = parseModelName(args.model as string);
    const N = args.capacity as number;
    const cfg: Partial<MimoConvConfig> = { arch, depth, width, initialWidth: args['initial-width'] as number, binding: args.binding as Binding, capacity: N };
    const ns = args.n ? (args.n as string[]).map(Number) : [1, 2, 4].filter((n) => N % n === 0);
    for (const n of ns) if (!Number.isInteger(n) || n < 1 || N % n !== 0) throw new UsageError(`--n ${n} must divide --capacity ${N}`);
    const baseName = (args.baseline as string | undefined) ?? `wrn-${depth}-${width}`;
    const b = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    if (args.onnx) {
      const bar = new Progress(2 * ns.length, 'bench conv --onnx', { json: Boolean(args.json) });
      const r = await benchOnnxSpeed(cfg, ns, { batch: args.batch as number, imageSize: args['image-size'] as number, reps: args.reps as number, minSeconds: args['min-seconds'] as number, threads: b.threads, onProgress: () => bar.tick() });
      bar.finish();
      return {
        json: { backend: b.backend, threads: b.threads, model: r.model, batch: args.batch, image_size: args['image-size'], config: r.config, onnxruntime: r.onnxruntime, results: r.rows },
        text: `${r.model} iw=${r.config.initialWidth} ${r.config.binding} N=${N}: ${b.backend} vs ONNX Runtime ${r.onnxruntime} (${plural(b.threads, 'thread')} each), batch ${args.batch} superpositions, interleaved\n` +
          table(['n', `${b.backend} images/s`, 'onnxruntime images/s', `${b.backend} / onnxruntime`], r.rows.map((x) => [x.n, x.native_images_per_s, x.onnxruntime_images_per_s, x.native_vs_onnxruntime.toFixed(2) + 'x'])),
      };
    }
    if (args['compare-fold'] && args['no-fold']) throw new UsageError('--compare-fold times both passes; drop --no-fold');
    const steps = (ns.length + (baseName === 'none' ? 0 : 1)) * (args['inference-only'] ? 1 : 2) + (args['compare-fold'] ? ns.length : 0);
    const bar = new Progress(steps, 'bench conv', { json: Boolean(args.json) });
    const common = { batch: args.batch as number, imageSize: args['image-size'] as number, reps: args.reps as number, minSeconds: args['min-seconds'] as number, inferenceOnly: Boolean(args['inference-only']), fold: !args['no-fold'], compareUnfolded: Boolean(args['compare-fold']), onProgress: () => bar.tick() };
    // The baseline is timed in the same interleaved rounds as the model (see benchConvSpeed).
    const main = benchConvSpeed(cfg, ns, common, baseName === 'none' ? undefined : { ...parseModelName(baseName), initialWidth: 1, binding: 'none', capacity: 1 });
    let baseline: { model: string; images_per_s: number; train_step_s: number; flops_per_image: number } | null = null;
    if (main.baseline) {
      const { images_per_s, train_step_s, flops_per_image } = main.baseline.row;
      baseline = { model: main.baseline.model, images_per_s, train_step_s, flops_per_image };
    }
    bar.finish();
    const profile = args.profile ? await profileConvStep(cfg, N, args.batch as number, args['image-size'] as number) : undefined;
    const rows = main.rows.map((r) => [r.n, r.images_per_s, r.train_step_s, (r.flops_per_image / 1e6).toFixed(1),
      (r.images_per_s / main.rows[0].images_per_s).toFixed(2) + 'x', (main.rows[0].flops_per_image / r.flops_per_image).toFixed(2) + 'x']);
    let text = `${main.model} iw=${main.config.initialWidth} ${main.config.binding} N=${N} on ${b.backend} (${plural(b.threads, 'thread')}), batch ${args.batch} superpositions\n` +
      table(['n', 'images/s', 'train step s', 'MFLOP/img', 'speedup', 'FLOP ratio'], rows);
    if (baseline) text += `\nbaseline ${baseline.model}: ${baseline.images_per_s} images/s, train step ${baseline.train_step_s} s, ${(baseline.flops_per_image / 1e6).toFixed(1)} MFLOP/img`;
    const foldGain = main.unfolded?.map((u) => ({ n: u.n, unfolded_images_per_s: u.images_per_s, fold_speedup: Math.round((main.rows.find((r) => r.n === u.n)!.images_per_s / u.images_per_s) * 100) / 100 }));
    if (foldGain) text += `\nfolded vs unfolded batch norm (interleaved): ${foldGain.map((g) => `n=${g.n} ${g.fold_speedup.toFixed(2)}x`).join(', ')}`;
    if (profile) text += '\n\n' + table(['kernel', 'ms', 'calls'], profile.kernels.filter((k) => k.ms >= 1).map((k) => [k.name, k.ms.toFixed(1), k.calls])) + `\n(outside kernels) ${profile.outside_kernels_ms.toFixed(1)} ms of ${profile.wall_ms.toFixed(1)}`;
    return { json: { backend: b.backend, threads: b.threads, fold: !args['no-fold'], model: main.model, batch: args.batch, image_size: args['image-size'], config: main.config, results: main.rows, baseline, ...(foldGain ? { unfolded: foldGain } : {}), ...(profile ? { profile } : {}) }, text };
  },
};

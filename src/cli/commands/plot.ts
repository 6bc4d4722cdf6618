import { resolve } from 'node:path';
import { operatingPointsSvg } from '../../plot/operating_points.js';
import { loadOperatingPoints } from '../../plot/operating_points_data.js';
import { learningCurvesSvg } from '../../plot/learning_curves.js';
import { learningCurvesFromCheckpoints } from '../../plot/learning_curves_data.js';
import { UsageError } from '../args.js';
import type { Command } from '../command.js';
import { formatOf, writePlot } from '../plot_files.js';
import { plural } from '../../util/plural.js';


function wholeAtLeast(v: number, min: number, flag: string): number {
  if (!Number.isInteger(v) || v < min) throw new UsageError(`--${flag} must be a whole number of pixels >= ${min}, got ${v}`);
  return v;
}

/** --out, --png, --width and --height, checked. */
function outputs(args: Record<string, unknown>) {
  const out = resolve(args.out as string), format = formatOf(out, 'out');
  const png = args.png === undefined ? undefined : resolve(args.png as string);
  if (png !== undefined && formatOf(png, 'png') !== 'png') throw new UsageError(`--png ${args.png}: must end in .png (use --out for the SVG)`);
  return { out, format, png, width: wholeAtLeast(args.width as number, 320, 'width'), height: wholeAtLeast(args.height as number, 240, 'height') };
}


export const plotOperatingPoints: Command = {
  path: ['plot', 'operating-points'],
  summary: 'Plot test accuracy vs images/s for every operating point (n superposed inputs) of each model in a `mimo results conv` JSON, as SVG or PNG.',
  options: {
    results: { type: 'string', default: 'results/cifar10.json', help: 'results JSON written by `mimo results conv`' },
    out: { type: 'string', default: 'docs/operating-points.svg', help: 'output file; the extension (.svg or .png) picks the format' },
    png: { type: 'string', help: 'also write a PNG to this path' },
    title: { type: 'string', help: 'plot title (default: from the dataset in the JSON)' },
    width: { type: 'number', default: 800, help: 'width in pixels' },
    height: { type: 'number', default: 500, help: 'height in pixels' },
  },
  async run(args) {
    const { out, format, png, width, height } = outputs(args);
    const resultsPath = args.results as string;

    const { series, options } = loadOperatingPoints(resultsPath);
    const title = (args.title as string | undefined) ?? options.title;
    await writePlot(operatingPointsSvg(series, { ...options, title, width, height }), out, format, png);

    const points = series.reduce((k, s) => k + s.points.length, 0);
    const written = [out, ...(png ? [png] : [])];
    return {
      json: { out, format, png: png ?? null, results: resolve(resultsPath), series: series.length, points, width, height, title: title ?? null, models: series.map((s) => s.name) },
      text: `${written.join(', ')}: ${plural(series.length, 'model')}, ${points} operating points (${width}x${height})`,
    };
  },
};

export const plotLearningCurves: Command = {
  path: ['plot', 'learning-curves'],
  summary: 'Plot accuracy after every epoch for MIMOConv checkpoints (one line per model and evaluated n), as SVG or PNG.',
  options: {
    checkpoints: { type: 'list', help: 'MIMOConv checkpoints (their stored training history is plotted)' },
    out: { type: 'string', default: 'docs/learning-curves.svg', help: 'output file; the extension (.svg or .png) picks the format' },
    png: { type: 'string', help: 'also write a PNG to this path' },
    title: { type: 'string', help: 'plot title (default: Accuracy per epoch)' },
    footnote: { type: 'string', help: 'small grey line under the plot, e.g. the machine' },
    width: { type: 'number', default: 800, help: 'width in pixels' },
    height: { type: 'number', default: 500, help: 'height in pixels' },
  },
  async run(args) {
    const paths = (args.checkpoints as string[] | undefined) ?? [];
    if (paths.length === 0) throw new UsageError('--checkpoints a.ckpt,b.ckpt is required, e.g. --checkpoints models/wrn-16-4.ckpt,models/mimonet-16-4-N4.ckpt');
    const { out, format, png, width, height } = outputs(args);
    const { curves, split } = learningCurvesFromCheckpoints(paths);
    const yLabel = split === 'test' ? 'Test accuracy (%)' : 'Validation accuracy (%)';
    await writePlot(learningCurvesSvg(curves, { title: args.title as string | undefined, footnote: args.footnote as string | undefined, width, height, yLabel }), out, format, png);
    const written = [out, ...(png ? [png] : [])];
    return {
      json: { out, format, png: png ?? null, split, curves: curves.map((c) => ({ name: c.name, epochs: c.points.length, last: c.points.at(-1)!.accuracy })), width, height },
      text: `${written.join(', ')}: ${plural(curves.length, 'curve')} (${split} accuracy per epoch, ${width}x${height})`,
    };
  },
};

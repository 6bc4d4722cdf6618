import { relative, resolve } from 'node:path';
import { writeResults } from '../../util/atomic_write.js';
import { initBackend } from '../../backend/index.js';
import { IMAGE_DATASET_TITLES, loadImageDataset, resolveDataDir } from '../../data/index.js';
import { existsSync } from 'node:fs';
import { MIMOCONV_DEFAULTS, modelName, operatingPoints } from '../../models/mimoconv/index.js';
import { TRAIN_CONV_DEFAULTS } from '../../train/conv_config.js';
import { packageRoot } from '../../util/package_root.js';
import { loadConvCheckpoint, readConvCheckpointMeta, type ConvCheckpointMeta } from '../../checkpoint/conv.js';
import { evaluateConv } from '../../train/evaluate_conv.js';
import { UsageError } from '../args.js';
import { Progress } from '../progress.js';
import { BACKEND_OPTS, DATA_OPTS, type Command } from '../command.js';
import { plural } from '../../util/plural.js';
import { machineLine } from '../../util/machine.js';
import { convTargets, PAPER_WRN_DELTA_PP, wrnComparisons } from '../../train/conv_targets.js';

/** The `mimo train conv` command line that reproduces a checkpoint's training. */
export function trainCommand(meta: ConvCheckpointMeta, out: string): string {
  const m = meta.model, t = meta.train;
  const parts = [`npx mimo train conv --recipe ${t.recipe}${t.dataset !== 'cifar10' ? ` --dataset ${t.dataset}` : ''}`,
    `--model ${modelName(m)} --initial-width ${m.initialWidth} --binding ${m.binding} --capacity ${m.capacity}${m.arch === 'mimonet' && m.preluInit !== MIMOCONV_DEFAULTS.preluInit ? ` --prelu-init ${m.preluInit}` : ''}`,
    `--epochs ${t.epochs} --batch ${t.batch} --lr ${t.lr} --weight-decay ${t.weightDecay} --mixup ${t.mixupAlpha} --grad-filter ${t.gradFilter}`,
    t.supLow !== null ? `--sup-low ${t.supLow} --sup-frequency ${t.supFrequency}` : '',
    t.labelSmoothing ? `--label-smoothing ${t.labelSmoothing}` : '', t.nesterov ? '--nesterov' : '',
    t.isometryReg !== undefined && t.isometryReg !== TRAIN_CONV_DEFAULTS.isometryReg ? `--isometry-reg ${t.isometryReg}` : '', t.bindingReg !== undefined && t.bindingReg !== TRAIN_CONV_DEFAULTS.bindingReg ? `--binding-reg ${t.bindingReg}` : '',
    t.initFrom ? `--init-from ${t.initFrom}` : '', t.teacher ? `--teacher ${t.teacher} --distill-weight ${t.distillWeight} --distill-temperature ${t.distillTemperature}` : '',
    `--seed ${t.seed}`, t.trainImages ? `--train-images ${t.trainImages}` : '', t.valImages ? `--val-images ${t.valImages}` : '', `--out ${out} --resume`];
  return parts.filter(Boolean).join(' ');
}

/**
 * Training seconds of the checkpoints a run started from (--init-from) or learned from (--teacher),
 * which count in its budget; null when one of them is no longer on disk.
 */
function prerequisiteSeconds(train: { initFrom?: string | null; teacher?: string | null }): number | null {
  let total = 0;
  for (const p of new Set([train.initFrom, train.teacher].filter((x): x is string => Boolean(x)))) {
    if (!existsSync(p)) return null;
    total += Math.round(readConvCheckpointMeta(p).state.trainSeconds);
  }
  return total;
}

export const resultsConv: Command = {
  path: ['results', 'conv'],
  summary: 'Evaluate MIMOConv checkpoints at every operating point and write results/<name>.md and .json (accuracy, images/s, training time, commands).',
  options: {
    ...BACKEND_OPTS, ...DATA_OPTS,
    checkpoints: { type: 'list', help: 'checkpoint paths (required)' },
    out: { type: 'string', default: 'results/cifar10', help: 'output path without extension' },
    images: { type: 'number', default: 0, help: 'evaluate the first K test images (0: all)' },
  },
  async run(args) {
    const paths = (args.checkpoints as string[] | undefined) ?? [];
    if (paths.length === 0) throw new UsageError('--checkpoints a.ckpt,b.ckpt is required');
    const b = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    const dir = resolveDataDir(args['data-dir'] as string | undefined);
    // One table, one dataset: the checkpoints say which they were trained on.
    const datasets = [...new Set(paths.map((p) => readConvCheckpointMeta(p).train.dataset))];
    if (datasets.length > 1) throw new UsageError(`--checkpoints: these were trained on different datasets (${datasets.join(', ')}); write one table per dataset`);
    const dataset = datasets[0] as keyof typeof IMAGE_DATASET_TITLES, title = IMAGE_DATASET_TITLES[dataset];
    const test = loadImageDataset(dir, dataset, 'test');
    const root = packageRoot() ?? process.cwd();
    const bar = new Progress(paths.length, 'checkpoints', { json: Boolean(args.json) });
    const models = [];
    for (const p of paths) {
      const { net, meta } = loadConvCheckpoint(p);
      try {
        const rel = relative(root, resolve(p));
        const results = operatingPoints(net.config).map((n) => {
          const r = evaluateConv(net, test, n, { images: args.images as number });
          return { n, accuracy: Math.round(r.accuracy * 1e5) / 1e5, images_per_s: Math.round(r.images_per_s) };
        });
        models.push({
          name: rel.replace(/^models\//, '').replace(/\.ckpt$/, ''), checkpoint: rel, model: modelName(meta.model), binding: meta.model.binding,
          capacity: meta.model.capacity, dynamic: meta.train.supLow !== null && meta.train.supFrequency < 1, initial_width: meta.model.initialWidth,
          epochs: meta.state.epoch, epochs_planned: meta.train.epochs, train_seconds: Math.round(meta.state.trainSeconds),
          prerequisite_seconds: prerequisiteSeconds(meta.train), recipe: meta.train.recipe,
          command: trainCommand(meta, rel), results,
        });
      } finally {
        net.dispose();
      }
      bar.tick(1, p);
    }
    bar.finish();
    const machine = `${machineLine()}, backend ${b.backend} (${plural(b.threads, 'thread')})`;
    const targets = convTargets(models), vsWrn = wrnComparisons(models);
    const json = { dataset, split: 'test', date: new Date().toISOString().slice(0, 10), machine, models, targets, vs_wrn: vsWrn };
    const verdict = (met: boolean | null) => (met === null ? 'pending (model not in this table)' : met ? 'met' : 'NOT met');
    const shown = (v: number | null, kind: 'difference' | 'ratio') => (v === null ? '–' : kind === 'difference' ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)} pt` : `${v.toFixed(2)}x`);
    const ns = [...new Set(models.flatMap((m) => m.results.map((r) => r.n)))].sort((x, y) => x - y);
    const md = [
      `# ${title} results`, '',
      `Test accuracy on ${args.images ? `the first ${args.images}` : 'all 10 000'} ${title} test images and measured inference images/s (batches of 128 superpositions) per number of superposed inputs n. Measure on an otherwise idle machine.`,
      `Machine: ${machine}; ${json.date}. Regenerate with \`npx mimo results conv --checkpoints ${paths.join(',')} --out ${args.out}\`.`, '',
      `| model | binding | N | dynamic | epochs | train time | ${ns.map((n) => `acc n=${n}`).join(' | ')} | ${ns.map((n) => `img/s n=${n}`).join(' | ')} |`,
      `|---|---|---|---|---|---|${ns.map(() => '---').join('|')}|${ns.map(() => '---').join('|')}|`,
      ...models.map((m) => {
        const at = (n: number) => m.results.find((r) => r.n === n);
        return `| ${m.model} | ${m.binding} | ${m.capacity} | ${m.dynamic ? 'yes' : 'no'} | ${m.epochs}/${m.epochs_planned} | ${(m.train_seconds / 3600).toFixed(2)} h | ` +
          `${ns.map((n) => (at(n) ? (at(n)!.accuracy * 100).toFixed(2) + '%' : '–')).join(' | ')} | ${ns.map((n) => at(n)?.images_per_s ?? '–').join(' | ')} |`;
      }),
      // The paper's absolute targets are CIFAR-10 numbers.
      ...(dataset === 'cifar10' ? ['', '## Targets', '',
        '| check | measured | target | |', '|---|---|---|---|',
        ...targets.map((t) => `| ${t.check} | ${shown(t.value, t.kind)} | ${t.target} | ${verdict(t.met)} |`)] : []),
      '', `## Against the WideResNet of the same size`, '',
      `Each static MIMONet at n = N vs the plain WRN at n = 1 (the paper, WRN-28-10: the WRN trained for 200 epochs, the MIMONets for 1200; ≈2–4x at +${PAPER_WRN_DELTA_PP.best} to ${PAPER_WRN_DELTA_PP.worst} pp).`, '',
      ...(vsWrn.length ? ['| model | n | accuracy delta (pp) | measured speed-up |', '|---|---|---|---|',
        ...vsWrn.map((c) => `| ${c.name} | ${c.n} | ${c.delta_pp >= 0 ? '+' : ''}${c.delta_pp} | ${c.speedup}x |`)] : ['No WRN baseline of the same depth and width in this table.']),
      '', '## Commands', '', ...models.map((m) => `- ${m.name}: \`${m.command}\``), '',
    ].join('\n');
    writeResults(resolve(args.out as string), json, md);
    return { json, text: md };
  },
};

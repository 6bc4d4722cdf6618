import { initBackend } from '../../backend/index.js';
import { resolveDataDir } from '../../data/index.js';
import { parseModelName, type Binding, type MimoConvConfig } from '../../models/mimoconv/index.js';
import type { TrainConvConfig } from '../../train/conv_config.js';
import { trainConv } from '../../train/conv_trainer.js';
import { UsageError } from '../args.js';
import { Progress } from '../progress.js';
import { BACKEND_OPTS, DATA_OPTS, table, type Command } from '../command.js';

export const trainConvCommand: Command = {
  path: ['train', 'conv'],
  summary: 'Train a MIMOConv network (or the WRN baseline) on CIFAR-10 with the reference recipe; checkpoints every epoch, --resume continues.',
  options: {
    ...BACKEND_OPTS, ...DATA_OPTS,
    model: { type: 'string', default: 'mimonet-16-4', help: 'wrn-D-W or mimonet-D-W' },
    'initial-width': { type: 'number', default: 2, help: 'stem width multiplier (binding happens on 16x this many channels)' },
    binding: { type: 'string', default: 'hrr', help: 'hrr, mbat or none' },
    capacity: { type: 'number', default: 1, help: 'N, inputs per superposition' },
    epochs: { type: 'number', default: 200, help: 'epochs (each makes N passes over the data)' },
    batch: { type: 'number', default: 128, help: 'superpositions per step (loader batch = batch x N images)' },
    lr: { type: 'number', default: 0.2, help: 'one-cycle maximum learning rate' },
    'weight-decay': { type: 'number', default: 1e-5, help: 'coupled L2 (not on PReLU slopes)' },
    mixup: { type: 'number', default: 1, help: 'mixup alpha (0: off)' },
    'grad-filter': { type: 'number', default: 10, help: 'skip steps with gradient norm >= this x last epoch mean (0: off)' },
    'sup-low': { type: 'number', help: 'dynamic mode: n of the slow steps (divides N)' },
    'sup-frequency': { type: 'number', default: 1, help: 'dynamic mode: probability of a fast (n = N) step' },
    seed: { type: 'number', default: 42, help: 'seed of initialisation, shuffling, augmentation, mixup' },
    'train-images': { type: 'number', default: 0, help: 'use the first K training images (0: all 50000)' },
    'test-images': { type: 'number', default: 0, help: 'per-epoch evaluation on the first K test images (0: all)' },
    out: { type: 'string', help: 'checkpoint path (required)' },
    resume: { type: 'boolean', help: 'continue from --out if it exists' },
    log: { type: 'string', help: 'JSONL metrics log (default: <out>.jsonl)' },
    'max-epochs': { type: 'number', help: 'stop after this many epochs in this process (resumable)' },
  },
  async run(args) {
    if (!args.out) throw new UsageError('--out <checkpoint path> is required, e.g. --out models/mimonet-16-4-N4.ckpt');
    const { arch, depth, width } = parseModelName(args.model as string);
    const binding = args.binding as Binding;
    if (!['hrr', 'mbat', 'none'].includes(binding)) throw new UsageError(`--binding must be hrr, mbat or none, got '${binding}'`);
    const model: Partial<MimoConvConfig> = { arch, depth, width, initialWidth: args['initial-width'] as number, binding, capacity: args.capacity as number };
    const train: Partial<TrainConvConfig> = {
      epochs: args.epochs as number, batch: args.batch as number, lr: args.lr as number, weightDecay: args['weight-decay'] as number,
      mixupAlpha: args.mixup as number, gradFilter: args['grad-filter'] as number, supLow: (args['sup-low'] as number | undefined) ?? null,
      supFrequency: args['sup-frequency'] as number, seed: args.seed as number, trainImages: args['train-images'] as number,
      testImages: args['test-images'] as number,
    };
    const b = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    let bar: Progress | undefined;
    const json = Boolean(args.json);
    const r = await trainConv({
      model, train, out: args.out as string, dataDir: resolveDataDir(args['data-dir'] as string | undefined), resume: Boolean(args.resume),
      log: (args.log as string | undefined) ?? `${args.out}.jsonl`, maxEpochs: args['max-epochs'] as number | undefined,
      onStep: ({ step, totalSteps, loss, epoch }) => {
        bar ??= new Progress(totalSteps, '', { json });
        bar.update(step, `epoch ${epoch} loss ${loss.toFixed(3)}`);
      },
      onEpoch: (m) => {
        if (!json && !process.stderr.isTTY) process.stderr.write(`epoch ${m.epoch}: loss ${m.train_loss} acc ${m.train_accuracy} ${m.eval.map((e) => `n=${e.n} ${(e.accuracy * 100).toFixed(2)}%`).join(' ')} (${m.seconds}s)\n`);
      },
    });
    bar?.finish();
    const last = r.history[r.history.length - 1];
    return {
      json: { backend: b.backend, checkpoint: r.out, model: r.model, train: r.train, epochs_done: r.state.epoch, done: r.state.done, train_seconds: Math.round(r.state.trainSeconds), last_epoch: last ?? null },
      text: `checkpoint ${r.out}: ${r.state.epoch}/${r.train.epochs} epochs, ${Math.round(r.state.trainSeconds)} s\n` +
        table(['epoch', 'loss', 'train acc', ...(last?.eval ?? []).map((e) => `test acc n=${e.n}`)],
          r.history.slice(-10).map((m) => [m.epoch, m.train_loss, m.train_accuracy, ...m.eval.map((e) => (e.accuracy * 100).toFixed(2) + '%')])),
    };
  },
};

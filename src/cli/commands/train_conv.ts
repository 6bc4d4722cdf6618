import { initBackend } from '../../backend/index.js';
import { checkImageDataset, IMAGE_DATASET_CLASSES, IMAGE_DATASETS, resolveDataDir } from '../../data/index.js';
import { MIMOCONV_DEFAULTS, parseModelName, type Binding, type MimoConvConfig } from '../../models/mimoconv/index.js';
import { DEFAULT_CONV_RECIPE, recipeValues, resolveTrainConfig, type TrainConvConfig } from '../../train/conv_config.js';
import { trainConv } from '../../train/conv_trainer.js';
import { definedOnly, UsageError } from '../args.js';
import { Progress } from '../progress.js';
import { BACKEND_OPTS, DATA_OPTS, table, timeLimitOption, type Command } from '../command.js';

// The defaults shown in --help are the values a new run gets (the default recipe's), read from the configs.
const TRAIN = resolveTrainConfig({}, 1), MODEL = MIMOCONV_DEFAULTS;

export const trainConvCommand: Command = {
  path: ['train', 'conv'],
  summary: 'Train a MIMOConv network (or the WRN baseline) on CIFAR-10 or CIFAR-100; checkpoints every epoch, --resume continues.',
  options: {
    ...BACKEND_OPTS, ...DATA_OPTS,
    recipe: { type: 'string', help: `training recipe: fast (chosen on the recipe benchmark, results/recipes.md) or reference (the paper's) (default ${DEFAULT_CONV_RECIPE}); other flags override its values` },
    dataset: { type: 'string', help: `${IMAGE_DATASETS.join(' or ')}, official binary files under the data directory (default cifar10)` },
    model: { type: 'string', help: 'wrn-D-W or mimonet-D-W (default mimonet-16-4)' },
    'initial-width': { type: 'number', help: `stem width multiplier (binding happens on 16x this many channels) (default ${MODEL.initialWidth})` },
    binding: { type: 'string', help: `hrr, mbat or none (default ${MODEL.binding})` },
    capacity: { type: 'number', help: `N, inputs per superposition (default ${MODEL.capacity})` },
    'prelu-init': { type: 'number', help: `initial slope of the PReLU activations of a mimonet (default ${MODEL.preluInit})` },
    epochs: { type: 'number', help: `epochs (each makes N passes over the data) (default ${TRAIN.epochs})` },
    batch: { type: 'number', help: `superpositions per step (loader batch = batch x N images) (default ${TRAIN.batch})` },
    lr: { type: 'number', help: `one-cycle maximum learning rate (default ${TRAIN.lr})` },
    'weight-decay': { type: 'number', help: `coupled L2 (not on PReLU slopes) (default ${TRAIN.weightDecay})` },
    mixup: { type: 'number', help: `mixup alpha (0: off) (default ${TRAIN.mixupAlpha})` },
    'grad-filter': { type: 'number', help: `skip steps with gradient norm >= this x last epoch mean (0: off) (default ${TRAIN.gradFilter})` },
    'sup-low': { type: 'number', help: 'dynamic mode: n of the slow steps (divides N)' },
    'sup-frequency': { type: 'number', help: `dynamic mode: probability of a fast (n = N) step (default ${TRAIN.supFrequency})` },
    seed: { type: 'number', help: `seed of initialisation, shuffling, augmentation, mixup (default ${TRAIN.seed})` },
    'train-images': { type: 'number', help: `use the first K training images (0: all 50000) (default ${TRAIN.trainImages})` },
    'test-images': { type: 'number', help: `per-epoch evaluation on the first K images of the evaluation set (0: all) (default ${TRAIN.testImages})` },
    'val-images': { type: 'number', help: `hold out the last K training images and evaluate on them instead of the test set, for choosing a recipe (0: evaluate on the test set) (default ${TRAIN.valImages})` },
    'label-smoothing': { type: 'number', help: `label smoothing epsilon of the cross-entropy (0: off) (default ${TRAIN.labelSmoothing})` },
    nesterov: { type: 'boolean', help: 'Nesterov momentum' },
    'init-from': { type: 'string', help: 'warm start: copy stem, trunk and classifier from this MIMOConv checkpoint of the same architecture (keys and unbinding fresh)' },
    teacher: { type: 'string', help: 'distil from this trained MIMOConv checkpoint (run at n=1): per-slot soft targets' },
    'distill-weight': { type: 'number', help: `weight alpha of the distillation term, (1-alpha) CE + alpha T^2 KL (default ${TRAIN.distillWeight})` },
    'distill-temperature': { type: 'number', help: `softmax temperature T of the distillation term (default ${TRAIN.distillTemperature})` },
    'isometry-reg': { type: 'number', help: `weight of the isometry regulariser (default ${TRAIN.isometryReg})` },
    'binding-reg': { type: 'number', help: `weight of the HRR binding regulariser (default ${TRAIN.bindingReg})` },
    out: { type: 'string', help: 'checkpoint path (required)' },
    resume: { type: 'boolean', help: 'continue from --out if it exists' },
    log: { type: 'string', help: 'JSONL metrics log (default: <out>.jsonl)' },
    'max-epochs': { type: 'number', help: 'stop after this many epochs in this process (resumable)' },
    'time-limit': { type: 'number', help: 'minutes: start an epoch only if it should end within this time from now (resumable)' },
  },
  async run(args) {
    if (!args.out) throw new UsageError('--out <checkpoint path> is required, e.g. --out models/mimonet-16-4-N4.ckpt');
    if (args.recipe !== undefined) {
      try {
        recipeValues(args.recipe as string);
      } catch (e) {
        throw new UsageError(`--recipe: ${(e as Error).message}`);
      }
    }
    const dataset = args.dataset as string | undefined;
    if (dataset !== undefined) {
      try {
        checkImageDataset(dataset);
      } catch (e) {
        throw new UsageError(`--dataset: ${(e as Error).message}`);
      }
    }
    // Only what was given on the command line: a resumed run takes everything else from its
    // checkpoint, a new run from the defaults.
    const model: Partial<MimoConvConfig> = definedOnly({
      ...(args.model ? parseModelName(args.model as string) : {}),
      initialWidth: args['initial-width'] as number | undefined, binding: args.binding as Binding | undefined, capacity: args.capacity as number | undefined,
      preluInit: args['prelu-init'] as number | undefined,
      classes: dataset === undefined ? undefined : IMAGE_DATASET_CLASSES[dataset as keyof typeof IMAGE_DATASET_CLASSES],
    });
    if (model.binding && !['hrr', 'mbat', 'none'].includes(model.binding)) throw new UsageError(`--binding must be hrr, mbat or none, got '${model.binding}'`);
    const train: Partial<TrainConvConfig> = definedOnly({
      recipe: args.recipe as TrainConvConfig['recipe'] | undefined, dataset: dataset as TrainConvConfig['dataset'] | undefined, epochs: args.epochs as number | undefined, batch: args.batch as number | undefined, lr: args.lr as number | undefined,
      weightDecay: args['weight-decay'] as number | undefined, mixupAlpha: args.mixup as number | undefined, gradFilter: args['grad-filter'] as number | undefined,
      supLow: args['sup-low'] as number | undefined, supFrequency: args['sup-frequency'] as number | undefined, seed: args.seed as number | undefined,
      trainImages: args['train-images'] as number | undefined, testImages: args['test-images'] as number | undefined,
      valImages: args['val-images'] as number | undefined, labelSmoothing: args['label-smoothing'] as number | undefined,
      nesterov: args.nesterov === undefined ? undefined : Boolean(args.nesterov), initFrom: args['init-from'] as string | undefined,
      teacher: args.teacher as string | undefined, distillWeight: args['distill-weight'] as number | undefined,
      distillTemperature: args['distill-temperature'] as number | undefined,
      isometryReg: args['isometry-reg'] as number | undefined, bindingReg: args['binding-reg'] as number | undefined,
    });
    const b = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    let bar: Progress | undefined;
    const json = Boolean(args.json);
    const r = await trainConv({
      model, train, out: args.out as string, dataDir: resolveDataDir(args['data-dir'] as string | undefined), resume: Boolean(args.resume),
      log: (args.log as string | undefined) ?? `${args.out}.jsonl`, maxEpochs: args['max-epochs'] as number | undefined,
      timeLimit: timeLimitOption(args['time-limit']),
      onStep: ({ step, totalSteps, loss, epoch }) => {
        bar ??= new Progress(totalSteps, '', { json });
        bar.update(step, `epoch ${epoch} loss ${loss.toFixed(3)}`);
      },
      onEpoch: (m) => {
        if (!json && !process.stderr.isTTY) process.stderr.write(`epoch ${m.epoch}: loss ${m.train_loss} acc ${m.train_accuracy} ${m.eval.map((e) => `n=${e.n} ${(e.accuracy * 100).toFixed(2)}%`).join(' ')} (${m.seconds}s; s/step ${(m.step_seconds ?? []).map((t) => `n=${t.n} ${t.mean}`).join(' ')})\n`);
      },
    });
    bar?.finish();
    const last = r.history[r.history.length - 1];
    return {
      json: { backend: b.backend, checkpoint: r.out, model: r.model, train: r.train, epochs_done: r.state.epoch, done: r.state.done, stopped_by_time_limit: r.stoppedByTimeLimit, train_seconds: Math.round(r.state.trainSeconds), last_epoch: last ?? null },
      text: `checkpoint ${r.out}: ${r.state.epoch}/${r.train.epochs} epochs, ${Math.round(r.state.trainSeconds)} s` +
        `${r.stoppedByTimeLimit ? ' (stopped: the next epoch would overrun --time-limit; --resume continues)' : ''}\n` +
        table(['epoch', 'loss', 'train acc', ...(last?.eval ?? []).map((e) => `${r.train.valImages > 0 ? 'val' : 'test'} acc n=${e.n}`)],
          r.history.slice(-10).map((m) => [m.epoch, m.train_loss, m.train_accuracy, ...m.eval.map((e) => (e.accuracy * 100).toFixed(2) + '%')])),
    };
  },
};

import { readFileSync } from 'node:fs';
import { initBackend } from '../../backend/index.js';
import { saveConvCheckpoint } from '../../checkpoint/conv.js';
import { convFromTorch } from '../../checkpoint/torch.js';
import { IMAGE_DATASET_CLASSES } from '../../data/index.js';
import { modelName, operatingPoints, parseModelName, type Binding, type MimoConvConfig } from '../../models/mimoconv/index.js';
import { resolveTrainConfig } from '../../train/conv_config.js';
import { definedOnly, UsageError } from '../args.js';
import { BACKEND_OPTS, type Command } from '../command.js';

export const importTorch: Command = {
  path: ['import', 'torch'],
  summary: "Read a checkpoint of the authors' PyTorch MIMOConv code (torch.save: a state_dict or the training checkpoint holding one) into a mimonets checkpoint; no Python needed.",
  options: {
    ...BACKEND_OPTS,
    'state-dict': { type: 'string', help: '.pt file written by torch.save (required)' },
    model: { type: 'string', help: 'wrn-D-W or mimonet-D-W (default: read off the tensors)' },
    'initial-width': { type: 'number', help: 'stem width multiplier (default: read off the tensors)' },
    binding: { type: 'string', help: 'hrr, mbat or none (default: read off the tensors)' },
    capacity: { type: 'number', help: 'N (default: read off the tensors)' },
    out: { type: 'string', help: 'mimonets checkpoint to write (required)' },
  },
  async run(args) {
    if (!args['state-dict']) throw new UsageError('--state-dict <file.pt> is required');
    if (!args.out) throw new UsageError('--out <checkpoint> is required, e.g. --out models/imported.ckpt');
    if (args.binding !== undefined && !['hrr', 'mbat', 'none'].includes(args.binding as string)) throw new UsageError(`--binding must be hrr, mbat or none, got '${args.binding}'`);
    let given: Partial<MimoConvConfig>;
    try {
      given = definedOnly({
        ...(args.model ? parseModelName(args.model as string) : {}),
        initialWidth: args['initial-width'] as number | undefined, binding: args.binding as Binding | undefined, capacity: args.capacity as number | undefined,
      });
    } catch (e) {
      throw new UsageError(`--model: ${(e as Error).message}`);
    }
    const file = args['state-dict'] as string;
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new UsageError(`--state-dict ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    const b = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    const imported = convFromTorch(bytes, file, given);
    const { net } = imported;
    try {
      const c = net.config;
      const dataset = Object.entries(IMAGE_DATASET_CLASSES).find(([, k]) => k === c.classes)?.[0] as 'cifar10' | 'cifar100' | undefined;
      const out = args.out as string;
      saveConvCheckpoint(out, net, {
        train: resolveTrainConfig({ dataset: dataset ?? 'cifar10' }, c.capacity),
        state: { epoch: 0, step: 0, avgNormPrev: null, trainSeconds: 0, done: true },
        history: [],
        imported: { from: file, format: 'torch-reference', key: imported.key, epoch: imported.epoch },
      });
      const others = operatingPoints(c).filter((n) => n !== c.capacity);
      const desc = `${modelName(c)}, initial width ${c.initialWidth}, binding ${c.binding}, N=${c.capacity}, ${c.classes} classes`;
      return {
        json: {
          checkpoint: out, from: file, backend: b.backend, model: c, key: imported.key, stripped_prefix: imported.strippedPrefix,
          epoch: imported.epoch, tensors: imported.tensors, bn_n: [c.capacity], uncalibrated_n: others,
        },
        text: `${out}: ${desc} from ${file}${imported.key ? ` (its '${imported.key}'` + (imported.epoch !== null ? `, epoch ${imported.epoch})` : ')') : ''}, ${imported.tensors} tensors` +
          `${imported.strippedPrefix ? `, prefix '${imported.strippedPrefix}' removed` : ''}.\n` +
          `Batch-norm statistics: n = ${c.capacity} (the reference's running statistics are those of n = N).` +
          (others.length ? ` For n = ${others.join(', ')} run: mimo calibrate --checkpoint ${out}` : ''),
      };
    } finally {
      net.dispose();
    }
  },
};

import { initBackend } from '../../backend/index.js';
import { resolveDataDir } from '../../data/index.js';
import type { MimoFormerConfig, Scheme } from '../../models/mimoformer/config.js';
import { FORMER_TASKS, type FormerTask } from '../../train/former_data.js';
import { trainFormer, type TrainFormerConfig } from '../../train/former_trainer.js';
import { definedOnly, UsageError } from '../args.js';
import { Progress } from '../progress.js';
import { BACKEND_OPTS, DATA_OPTS, table, timeLimitOption, type Command } from '../command.js';

export const trainFormerCommand: Command = {
  path: ['train', 'former'],
  summary: 'Train a Performer or MIMOFormer (att. / att.+MLP) on an LRA task; checkpoint at every evaluation, --resume continues.',
  options: {
    ...BACKEND_OPTS, ...DATA_OPTS,
    task: { type: 'string', help: `task: ${FORMER_TASKS.join(', ')} (default listops-mini)` },
    scheme: { type: 'string', help: 'performer, att or attmlp (default att)' },
    grid: { type: 'number', help: 'M = N (default 2; 1 for performer)' },
    d: { type: 'number', help: 'model width (default 64)' },
    hid: { type: 'number', help: 'MLP width (default 128)' },
    heads: { type: 'number', help: 'heads (default 2)' },
    dh: { type: 'number', help: 'head width (default 32)' },
    layers: { type: 'number', help: 'layers (default 2)' },
    features: { type: 'number', help: 'random features R (default 64)' },
    steps: { type: 'number', help: 'optimiser steps (default 3000)' },
    batch: { type: 'number', help: 'sequences per step, a multiple of M·N (default 32)' },
    lr: { type: 'number', help: 'peak learning rate (default 1e-3)' },
    warmup: { type: 'number', help: 'one-cycle warm-up steps (default 150)' },
    'mimo-warmup': { type: 'number', help: 'steps at half the grid, att. only (default 0)' },
    'eval-every': { type: 'number', help: 'steps between dev evaluations (default 200)' },
    'eval-batches': { type: 'number', help: 'dev batches per evaluation (default 32)' },
    scale: { type: 'number', help: 'fraction of each split to use (default 1)' },
    seed: { type: 'number', help: 'seed (default 1234)' },
    out: { type: 'string', help: 'checkpoint path (required)' },
    resume: { type: 'boolean', help: 'continue from --out if it exists' },
    'max-steps': { type: 'number', help: 'stop after this many steps in this process (resumable)' },
    'time-limit': { type: 'number', help: 'minutes: start an evaluation interval only if it should end within this time from now (resumable)' },
  },
  async run(args) {
    if (!args.out) throw new UsageError('--out <checkpoint path> is required');
    if (args.task !== undefined && !FORMER_TASKS.includes(args.task as FormerTask)) throw new UsageError(`--task must be one of ${FORMER_TASKS.join(', ')}, got '${args.task}'`);
    const scheme = args.scheme as Scheme | undefined;
    const model: Partial<MimoFormerConfig> = definedOnly({ scheme, grid: (args.grid as number | undefined) ?? (scheme === 'performer' ? 1 : undefined), d: args.d, hid: args.hid, heads: args.heads, dh: args.dh, layers: args.layers, features: args.features } as Partial<MimoFormerConfig>);
    const train: Partial<TrainFormerConfig> = definedOnly({ task: args.task, steps: args.steps, batch: args.batch, lr: args.lr, warmup: args.warmup, mimoWarmup: args['mimo-warmup'],
      evalEvery: args['eval-every'], evalBatches: args['eval-batches'], scale: args.scale, seed: args.seed } as Partial<TrainFormerConfig>);
    const b = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    let bar: Progress | undefined;
    const meta = await trainFormer({
      model, train, out: args.out as string, dataDir: resolveDataDir(args['data-dir'] as string | undefined), resume: Boolean(args.resume),
      log: `${args.out}.jsonl`, maxSteps: args['max-steps'] as number | undefined,
      timeLimit: timeLimitOption(args['time-limit']),
      onStep: (s, total, loss) => { bar ??= new Progress(total, '', { json: Boolean(args.json) }); bar.update(s, `loss ${loss.toFixed(3)}`); },
    });
    bar?.finish();
    return {
      json: { backend: b.backend, checkpoint: args.out, model: meta.model, train: meta.train, state: meta.state, stopped_by_time_limit: meta.stoppedByTimeLimit, test: meta.test ?? null, last: meta.history[meta.history.length - 1] ?? null },
      text: `${args.out}: step ${meta.state.step}/${meta.train.steps}, best dev ${(meta.state.bestDev * 100).toFixed(2)}% at step ${meta.state.bestStep}` +
        (meta.test ? `, test ${(meta.test.accuracy * 100).toFixed(2)}%` : '') +
        (meta.stoppedByTimeLimit ? ' (stopped: the next interval would overrun --time-limit; --resume continues)' : '') + '\n' +
        table(['step', 'train loss', 'train acc', 'dev acc', 'M=N'], meta.history.slice(-10).map((h) => [h.step, h.train_loss, h.train_accuracy, (h.dev_accuracy * 100).toFixed(2) + '%', h.grid])),
    };
  },
};

import { statSync } from 'node:fs';
import { readCheckpoint, writeCheckpoint } from '../../checkpoint/index.js';
import { UsageError } from '../args.js';
import type { Command } from '../command.js';

export const checkpointCompact: Command = {
  path: ['checkpoint', 'compact'],
  summary: 'Write a smaller copy of a checkpoint: optimizer state in float16 (still resumable), or with --final no optimizer state and float16 weights (for evaluation and serving).',
  options: {
    in: { type: 'string', help: 'checkpoint to read (never modified)' },
    out: { type: 'string', help: 'checkpoint to write (atomically)' },
    final: { type: 'boolean', help: 'drop the optimizer state and store weights in float16 (batch-norm statistics stay float32)' },
  },
  async run(args) {
    if (!args.in || !args.out) throw new UsageError('--in <checkpoint> and --out <checkpoint> are required');
    if (args.in === args.out) throw new UsageError('--out must differ from --in (the input is never modified)');
    const ck = readCheckpoint(args.in as string);
    const final = Boolean(args.final);
    const tensors = final ? Object.fromEntries(Object.entries(ck.tensors).filter(([k]) => !k.startsWith('sgd/'))) : ck.tensors;
    // float16 for what tolerates it: momentum buffers, or (final) the weights; batch-norm statistics stay exact.
    const keepFp32 = (name: string) => name.startsWith('bn/') || (!final && name.startsWith('param/'));
    const meta = final ? { ...ck.meta, optimizer: 'dropped' } : ck.meta;
    const { bytes } = writeCheckpoint(args.out as string, { meta, tensors }, { fp16: true, keepFp32 });
    const before = statSync(args.in as string).size;
    return {
      json: { in: args.in, out: args.out, final, bytes_in: before, bytes_out: bytes },
      text: `${args.out}: ${(bytes / 1e6).toFixed(1)} MB (from ${(before / 1e6).toFixed(1)} MB)${final ? ', optimizer state dropped, float16 weights' : ', float16 optimizer state'}`,
    };
  },
};

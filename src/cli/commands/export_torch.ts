import { statSync } from 'node:fs';
import { initBackend } from '../../backend/index.js';
import { loadConvCheckpoint } from '../../checkpoint/conv.js';
import { convToTorch } from '../../checkpoint/torch.js';
import { modelName } from '../../models/mimoconv/index.js';
import { writeFileAtomic } from '../../util/atomic_write.js';
import { UsageError } from '../args.js';
import { BACKEND_OPTS, type Command } from '../command.js';

export const exportTorch: Command = {
  path: ['export', 'torch'],
  summary: "Write a MIMOConv checkpoint as a PyTorch file in the authors' state-dict names and layouts, for their code (train on a GPU cluster, then mimo import torch).",
  options: {
    ...BACKEND_OPTS,
    checkpoint: { type: 'string', help: 'mimonets checkpoint to read (required)' },
    out: { type: 'string', help: '.pt file to write (required)' },
    bare: { type: 'boolean', help: "write the state dict alone (model.load_state_dict(torch.load(f))) instead of the reference's training checkpoint { model_state_dict, epoch }" },
  },
  async run(args) {
    if (!args.checkpoint) throw new UsageError('--checkpoint <path> is required');
    if (!args.out) throw new UsageError('--out <file.pt> is required');
    const b = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    const { net, meta } = loadConvCheckpoint(args.checkpoint as string);
    try {
      const bytes = convToTorch(net, { bare: Boolean(args.bare), epoch: meta.state.epoch });
      const out = args.out as string;
      writeFileAtomic(out, bytes);
      const c = net.config;
      return {
        json: { checkpoint: args.checkpoint, out, backend: b.backend, bare: Boolean(args.bare), bytes: statSync(out).size, model: c, bn_n: c.capacity },
        text: `${out}: ${modelName(c)} (binding ${c.binding}, N=${c.capacity}) in the reference's names, ${args.bare ? 'a bare state dict' : "its training-checkpoint dict (torch.load(f)['model_state_dict'])"}, ` +
          `batch-norm statistics of n = ${c.capacity}; ${(statSync(out).size / 1e6).toFixed(1)} MB`,
      };
    } finally {
      net.dispose();
    }
  },
};

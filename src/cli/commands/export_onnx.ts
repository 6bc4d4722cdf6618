import { statSync } from 'node:fs';
import { initBackend } from '../../backend/index.js';
import { loadConvCheckpoint } from '../../checkpoint/conv.js';
import { exportMimoConvOnnx, modelName, operatingPoints } from '../../models/mimoconv/index.js';
import { writeFileAtomic } from '../../util/atomic_write.js';
import { UsageError } from '../args.js';
import { BACKEND_OPTS, type Command } from '../command.js';

export const exportOnnx: Command = {
  path: ['export', 'onnx'],
  summary: 'Write the evaluation graph of a MIMOConv checkpoint at n superposed inputs as ONNX (opset 13, batch norm folded into the convolutions it follows), for ONNX Runtime and other engines.',
  options: {
    ...BACKEND_OPTS,
    checkpoint: { type: 'string', help: 'mimonets checkpoint to read (required)' },
    n: { type: 'number', help: 'superposed inputs per pass, a divisor of N (default N)' },
    out: { type: 'string', help: '.onnx file to write (required)' },
    'image-size': { type: 'number', default: 32, help: 'input height and width' },
  },
  async run(args) {
    if (!args.checkpoint) throw new UsageError('--checkpoint <path> is required');
    if (!args.out) throw new UsageError('--out <file.onnx> is required');
    const size = args['image-size'] as number;
    if (!Number.isInteger(size) || size < 4) throw new UsageError(`--image-size must be a whole number >= 4, got ${size}`);
    const b = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    const { net } = loadConvCheckpoint(args.checkpoint as string);
    try {
      const c = net.config;
      const n = (args.n as number | undefined) ?? c.capacity;
      if (!operatingPoints(c).includes(n)) throw new UsageError(`--n ${n} must divide the checkpoint's N=${c.capacity} (one of ${operatingPoints(c).join(', ')})`);
      if (!net.hasStats(n)) throw new Error(`${args.checkpoint} has no batch-norm statistics for n=${n} (only n = ${[...net.bnStats.keys()].join(', ') || 'none'}); run mimo calibrate --checkpoint ${args.checkpoint} --n ${n}`);
      const bytes = exportMimoConvOnnx(net, n, { imageSize: size });
      const out = args.out as string;
      writeFileAtomic(out, bytes);
      return {
        json: { checkpoint: args.checkpoint, out, backend: b.backend, n, capacity: c.capacity, opset: 13, input: { name: 'images', layout: 'NCHW', shape: ['batch', c.inChannels, size, size], batch_multiple_of: n }, output: { name: 'logits', shape: ['batch', c.classes] }, bytes: statSync(out).size },
        text: `${out}: ${modelName(c)} (binding ${c.binding}, N=${c.capacity}) at n=${n}, ONNX opset 13, ${(statSync(out).size / 1e6).toFixed(1)} MB\n` +
          `input 'images' [batch, ${c.inChannels}, ${size}, ${size}] float32 NCHW, normalised as in training, batch a multiple of ${n}; output 'logits' [batch, ${c.classes}]`,
      };
    } finally {
      net.dispose();
    }
  },
};

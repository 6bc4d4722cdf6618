import { initBackend } from '../../backend/index.js';
import { loadImageDataset, resolveDataDir } from '../../data/index.js';
import { calibrateFromTraining } from '../../train/calibrate.js';
import { operatingPoints } from '../../models/mimoconv/index.js';
import { loadConvCheckpoint, saveConvCheckpoint } from '../../checkpoint/conv.js';
import { UsageError } from '../args.js';
import { BACKEND_OPTS, DATA_OPTS, type Command } from '../command.js';

export const calibrate: Command = {
  path: ['calibrate'],
  summary: 'Compute batch-norm statistics for operating points n a MIMOConv checkpoint lacks (or --force all), from training batches; weights are not changed.',
  options: {
    ...BACKEND_OPTS, ...DATA_OPTS,
    checkpoint: { type: 'string', help: 'checkpoint to read (required)' },
    out: { type: 'string', help: 'where to write (default: the same path, replaced atomically)' },
    n: { type: 'list', help: 'operating points (default: every divisor of N without statistics)' },
    batches: { type: 'number', default: 50, help: 'training batches of 128 superpositions per n' },
    force: { type: 'boolean', help: 'recompute statistics that already exist' },
  },
  async run(args) {
    if (!args.checkpoint) throw new UsageError('--checkpoint <path> is required');
    const batches = args.batches as number;
    if (!Number.isInteger(batches) || batches < 1) throw new UsageError(`--batches must be a whole number >= 1, got ${batches}`);
    const b = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    const { net, meta, sgdState } = loadConvCheckpoint(args.checkpoint as string);
    try {
      const all = operatingPoints(net.config);
      const ns = args.n ? (args.n as string[]).map(Number) : all.filter((n) => args.force || !net.hasStats(n));
      for (const n of ns) if (!all.includes(n)) throw new UsageError(`--n ${n}: must divide N=${net.config.capacity} (${all.join(', ')})`);
      const dir = resolveDataDir(args['data-dir'] as string | undefined);
      const train = loadImageDataset(dir, meta.train.dataset, 'train');
      for (const n of ns) {
        calibrateFromTraining(net, train, n, { seed: meta.train.seed, batches });
      }
      const out = (args.out as string | undefined) ?? (args.checkpoint as string);
      const { kind: _kind, model: _model, bnN: _bnN, ...rest } = meta; // everything else (history, operating points, provenance) is kept
      if (ns.length > 0 || out !== args.checkpoint) saveConvCheckpoint(out, net, rest, sgdState);
      return {
        json: { checkpoint: out, backend: b.backend, calibrated: ns, batches, bn_n: [...net.bnStats.keys()].sort((x, y) => x - y) },
        text: ns.length ? `${out}: batch-norm statistics for n = ${ns.join(', ')} from ${batches} batches each` : `${out}: every operating point already has statistics (use --force to recompute)`,
      };
    } finally {
      net.dispose();
    }
  },
};

import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../backend/index.js';
import { runWorkloads, type WorkloadResult } from '../../bench/kernels.js';
import { opWorkloads } from '../../bench/ops.js';
import { Progress } from '../progress.js';
import { UsageError } from '../args.js';
import { BACKEND_OPTS, table, type Command } from '../command.js';
import { plural } from '../../util/plural.js';

export const benchOps: Command = {
  path: ['bench', 'ops'],
  summary: 'Memory-bound kernel throughput (GB/s read + written): add, relu, dropout, layer norm and its gradient, transpose, sum, on one activation shape; the pure-JS cpu backend alongside.',
  options: {
    ...BACKEND_OPTS,
    shape: { type: 'list', default: ['32', '2000', '64'], help: 'activation shape, feature axis last (default: a MIMOFormer layer at L=2000)' },
    'min-seconds': { type: 'number', default: 1, help: 'time each workload for at least this long' },
    'skip-cpu': { type: 'boolean', help: 'do not measure the pure-JS cpu backend' },
  },
  async run(args) {
    const shape = (args.shape as string[]).map(Number);
    if (shape.length < 2 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new UsageError(`--shape needs at least two positive integers, feature axis last, e.g. --shape 32,2000,64; got ${(args.shape as string[]).join(',')}`);
    }
    const info = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    const workloads = opWorkloads(shape);
    const compareCpu = !args['skip-cpu'] && info.backend !== 'cpu';
    const bar = new Progress(workloads.length * (compareCpu ? 2 : 1), 'ops', { json: Boolean(args.json) });
    const minSeconds = args['min-seconds'] as number;
    const main = runWorkloads(workloads, { minSeconds, onDone: (r) => bar.tick(1, r.name) });
    let cpu: WorkloadResult[] | undefined;
    if (compareCpu) {
      await tf.setBackend('cpu');
      cpu = runWorkloads(opWorkloads(shape), { minSeconds, maxReps: 5, onDone: (r) => bar.tick(1, 'cpu ' + r.name) });
      await tf.setBackend(info.backend);
    }
    bar.finish();
    const rows = main.map((r, i) => [r.name, r.gbps ?? '', r.ms, ...(cpu ? [cpu[i].gbps ?? '', (cpu[i].ms / r.ms).toFixed(1) + 'x'] : [])]);
    const header = ['workload', `${info.backend} GB/s`, 'ms/call', ...(cpu ? ['cpu GB/s', 'speed-up'] : [])];
    return {
      json: { backend: info.backend, threads: info.threads, shape, workloads: main, ...(cpu ? { cpu: { backend: 'cpu', workloads: cpu } } : {}) },
      text: `shape [${shape}] on ${info.backend} (${plural(info.threads, 'thread')})\n` + table(header, rows),
    };
  },
};

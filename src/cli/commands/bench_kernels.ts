import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../backend/index.js';
import { KERNEL_WORKLOADS, runWorkloads, type WorkloadResult } from '../../bench/kernels.js';
import { Progress } from '../progress.js';
import { BACKEND_OPTS, table, type Command } from '../command.js';

export const benchKernels: Command = {
  path: ['bench', 'kernels'],
  summary: 'Kernel throughput (GFLOP/s): 3x3 conv forward, forward+backward, 1024^3 matmul; the pure-JS cpu backend alongside for the ratio.',
  options: {
    ...BACKEND_OPTS,
    'min-seconds': { type: 'number', default: 1, help: 'time each workload for at least this long' },
    'skip-cpu': { type: 'boolean', help: 'do not measure the pure-JS cpu backend (it needs ~30 s)' },
  },
  async run(args) {
    const info = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    const workloads = KERNEL_WORKLOADS();
    const compareCpu = !args['skip-cpu'] && info.backend !== 'cpu';
    const bar = new Progress(workloads.length * (compareCpu ? 2 : 1), 'kernels', { json: Boolean(args.json) });
    const main = runWorkloads(workloads, { minSeconds: args['min-seconds'] as number, onDone: (r) => bar.tick(1, r.name) });
    let cpu: WorkloadResult[] | undefined;
    if (compareCpu) {
      await tf.setBackend('cpu');
      // One call each: the pure-JS kernels take seconds per call.
      cpu = runWorkloads(workloads, { minSeconds: 0, maxReps: 1, warmup: false, onDone: (r) => bar.tick(1, 'cpu ' + r.name) });
      await tf.setBackend(info.backend);
    }
    bar.finish();
    const rows = main.map((r, i) => [r.name, r.gflops, r.ms, ...(cpu ? [cpu[i].gflops, (r.gflops / cpu[i].gflops).toFixed(0) + 'x'] : [])]);
    const header = ['workload', `${info.backend} GFLOP/s`, 'ms/call', ...(cpu ? ['cpu GFLOP/s', 'ratio'] : [])];
    return {
      json: {
        backend: info.backend,
        threads: info.threads,
        onednn: info.onednn ?? null,
        workloads: main,
        ...(cpu ? { cpu: { backend: 'cpu', threads: 1, workloads: cpu } } : {}),
      },
      text: `backend ${info.backend} (${info.threads} threads${info.onednn ? `, oneDNN ${info.onednn}` : ''})\n` + table(header, rows),
    };
  },
};

import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../backend/index.js';
import { convWorkloads, KERNEL_WORKLOADS, matmulWorkload, runWorkloads, type WorkloadResult } from '../../bench/kernels.js';

const CPU_CONV_BATCH = 2;
import { Progress } from '../progress.js';
import { BACKEND_OPTS, table, type Command } from '../command.js';

export const benchKernels: Command = {
  path: ['bench', 'kernels'],
  summary: 'Kernel throughput (GFLOP/s): 3x3 conv forward, forward+backward, 1024^3 matmul; the pure-JS cpu backend alongside for the ratio.',
  options: {
    ...BACKEND_OPTS,
    'min-seconds': { type: 'number', default: 1, help: 'time each workload for at least this long' },
    'skip-cpu': { type: 'boolean', help: 'do not measure the pure-JS cpu backend (it needs ~30 s; its convolutions run at batch 2)' },
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
      // One call each, and the convolutions at batch 2: the pure-JS conv gradients take
      // about 7 minutes at batch 64. GFLOP/s is a rate, so the rows stay comparable.
      cpu = runWorkloads([...convWorkloads(CPU_CONV_BATCH), matmulWorkload()], { minSeconds: 0, maxReps: 1, warmup: false, onDone: (r) => bar.tick(1, 'cpu ' + r.name) });
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
        ...(cpu ? { cpu: { backend: 'cpu', threads: 1, conv_batch: CPU_CONV_BATCH, workloads: cpu } } : {}),
      },
      text: `backend ${info.backend} (${info.threads} threads${info.onednn ? `, oneDNN ${info.onednn}` : ''})\n` + table(header, rows),
    };
  },
};

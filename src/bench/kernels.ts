/**
 * Kernel throughput on the active backend: the workloads the foundation issue names.
 * conv3x3: batch 64, 32x32, 64 -> 64 channels, stride 1, same padding.
 * conv3x3_fwd_bwd: forward + input gradient + filter gradient (3x the forward FLOPs).
 * matmul_1024: 1024 x 1024 x 1024.
 */
import * as tf from '@tensorflow/tfjs';

export interface Workload {
  name: string;
  /** FLOPs of one call of run(). */
  flops: number;
  /** Bytes read and written by one call (memory-bound workloads; reported as GB/s). */
  bytes?: number;
  /** Creates inputs; returns the timed function and a disposer. */
  setup(): { run: () => void; dispose: () => void };
}

export interface WorkloadResult {
  name: string;
  gflops: number;
  /** For workloads that declare their bytes moved. */
  gbps?: number;
  ms: number;
  reps: number;
}

const randn = (shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', 7);

/** Runs a function and forces completion by reading the outputs' data. */
function sync(ts: tf.Tensor[]): void {
  for (const t of ts) t.dataSync();
  tf.dispose(ts);
}

export function convWorkloads(batch = 64, size = 32, channels = 64): Workload[] {
  const fwdFlops = 2 * batch * size * size * channels * channels * 9;
  const mk = (withBwd: boolean): Workload => ({
    name: withBwd ? 'conv3x3_fwd_bwd' : 'conv3x3_fwd',
    flops: withBwd ? 3 * fwdFlops : fwdFlops,
    setup() {
      const x = randn([batch, size, size, channels]) as tf.Tensor4D;
      const w = randn([3, 3, channels, channels]) as tf.Tensor4D;
      const dy = randn([batch, size, size, channels]) as tf.Tensor4D;
      const run = () => {
        const outs: tf.Tensor[] = [tf.conv2d(x, w, 1, 'same')];
        if (withBwd) {
          // The two kernels a training step runs for the gradient, called directly so the
          // number is the convolution's and not tfjs's elementwise glue.
          outs.push(tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w },
            { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor);
          outs.push(tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy },
            { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: w.shape } as unknown as tf.NamedAttrMap) as tf.Tensor);
        }
        sync(outs);
      };
      return { run, dispose: () => tf.dispose([x, w, dy]) };
    },
  });
  return [mk(false), mk(true)];
}

export function matmulWorkload(n = 1024): Workload {
  return {
    name: `matmul_${n}`,
    flops: 2 * n * n * n,
    setup() {
      const a = randn([n, n]), b = randn([n, n]);
      return { run: () => sync([tf.matMul(a, b)]), dispose: () => tf.dispose([a, b]) };
    },
  };
}

export const KERNEL_WORKLOADS = (): Workload[] => [...convWorkloads(), matmulWorkload()];

/**
 * Times each workload: one warm-up call unless `warmup` is false (primitive creation, weight reorders), then
 * repeats until `minSeconds` have passed or `maxReps` calls; reports the median call.
 */
export function runWorkloads(workloads: Workload[], opts: { minSeconds?: number; maxReps?: number; warmup?: boolean; onDone?: (r: WorkloadResult) => void } = {}): WorkloadResult[] {
  const minSeconds = opts.minSeconds ?? 1, maxReps = opts.maxReps ?? 50;
  const results: WorkloadResult[] = [];
  for (const w of workloads) {
    const { run, dispose } = w.setup();
    try {
      if (opts.warmup ?? true) run();
      const times: number[] = [];
      const t0 = performance.now();
      do {
        const t = performance.now();
        run();
        times.push(performance.now() - t);
      } while (times.length < maxReps && performance.now() - t0 < minSeconds * 1000);
      times.sort((a, b) => a - b);
      const ms = times[Math.floor(times.length / 2)];
      const r: WorkloadResult = {
        name: w.name, gflops: round(w.flops / (ms / 1000) / 1e9),
        ...(w.bytes !== undefined ? { gbps: round(w.bytes / (ms / 1000) / 1e9) } : {}), ms: round(ms), reps: times.length,
      };
      results.push(r);
      opts.onDone?.(r);
    } finally {
      dispose();
    }
  }
  return results;
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

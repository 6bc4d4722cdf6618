/** Per-kernel time of one run of a function (tf.profile), aggregated by kernel name. */
import * as tf from '@tensorflow/tfjs';

export interface KernelTime {
  name: string;
  ms: number;
  calls: number;
}

export interface Profile {
  kernels: KernelTime[];
  /** Wall-clock not spent inside kernels (JS glue, gradient tape, allocation). */
  outside_kernels_ms: number;
  wall_ms: number;
}

export async function profileKernels(f: () => void): Promise<Profile> {
  const t = performance.now();
  const info = await tf.profile(f);
  const wall = performance.now() - t;
  const agg = new Map<string, KernelTime>();
  // Ops with a custom gradient (fusedMatMul__op, softmaxCrossEntropy__op, ...) are listed
  // as well as the kernels they run: count the kernels only, or time is counted twice.
  for (const k of info.kernels.filter((x) => !x.name.endsWith('__op'))) {
    const e = agg.get(k.name) ?? { name: k.name, ms: 0, calls: 0 };
    e.ms += k.kernelTimeMs as number;
    e.calls++;
    agg.set(k.name, e);
  }
  const kernels = [...agg.values()].map((k) => ({ ...k, ms: Math.round(k.ms * 100) / 100 })).sort((a, b) => b.ms - a.ms);
  const inside = kernels.reduce((a, k) => a + k.ms, 0);
  return { kernels, outside_kernels_ms: Math.round((wall - inside) * 100) / 100, wall_ms: Math.round(wall * 100) / 100 };
}

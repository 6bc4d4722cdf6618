/**
 * A plain pre-activation WideResNet training step (conv stem, residual blocks of
 * BN-ReLU-conv-BN-ReLU-conv, global average pool, linear head, SGD with momentum) as a
 * benchmark and profiling workload for the backend. It is not the MIMOConv model: it
 * exists so the foundation can measure where a realistic training step spends its time.
 */
import * as tf from '@tensorflow/tfjs';
import { disposeMomentum } from '../util/tf_fixes.js';
import { batchNormTrain } from '../ops/batch_norm.js';
import { profileKernels, type KernelTime } from './profile.js';

export interface WrnStepConfig {
  depth: number;
  width: number;
  batch: number;
  /** Input height and width. */
  size: number;
  classes: number;
  /** 'fused': batchNormTrain (default); 'composed': tf.moments + tf.batchNorm, as plain tfjs code would. */
  bn?: 'fused' | 'composed';
}

export type { KernelTime } from './profile.js';

export interface WrnStepResult {
  config: WrnStepConfig;
  /** Median wall-clock of a full step (forward, backward, optimizer update). */
  step_ms: number;
  images_per_s: number;
  /** Forward FLOPs per image: 2 x MACs of convolutions and the head. */
  flops_per_image: number;
  /** Training FLOP rate, counting a step as 3x the forward. */
  train_gflops: number;
  /** Per-kernel time of one profiled step, largest first (when profiled). */
  kernels?: KernelTime[];
  /** Time of the profiled step not inside any kernel (JS glue, tape, allocation). */
  outside_kernels_ms?: number;
}

export function buildWrn(cfg: WrnStepConfig) {
  if ((cfg.depth - 4) % 6 !== 0 || cfg.depth < 10) throw new Error(`wrn depth must be 6k+4 >= 10 (10, 16, 22, 28, ...), got ${cfg.depth}`);
  const perStage = (cfg.depth - 4) / 6;
  const widths = [16 * cfg.width, 32 * cfg.width, 64 * cfg.width];
  let flops = 0, hw = cfg.size * cfg.size;
  const vars: tf.Variable[] = [];
  const conv = (k: number, cin: number, cout: number, stride: number) => {
    if (stride === 2) hw /= 4;
    flops += 2 * k * k * cin * cout * hw;
    // tidy disposes the initial value; the variable keeps its own reference.
    const v = tf.tidy(() => tf.variable(tf.randomNormal([k, k, cin, cout], 0, Math.sqrt(2 / (k * k * cout)), 'float32', vars.length)));
    vars.push(v);
    return v as tf.Variable<tf.Rank.R4>;
  };
  const vec = (n: number, value: number) => { const v = tf.tidy(() => tf.variable(tf.fill([n], value))) as tf.Variable<tf.Rank.R1>; vars.push(v); return v; };
  const stem = conv(3, 3, 16, 1);
  const blocks: { stride: number; w1: tf.Tensor4D; w2: tf.Tensor4D; sc: tf.Tensor4D | null; g1: tf.Tensor1D; b1: tf.Tensor1D; g2: tf.Tensor1D; b2: tf.Tensor1D }[] = [];
  let cin = 16;
  for (let s = 0; s < 3; s++) {
    for (let b = 0; b < perStage; b++) {
      const cout = widths[s], stride = b === 0 && s > 0 ? 2 : 1;
      const g1 = vec(cin, 1), b1 = vec(cin, 0);
      const sc = cin !== cout ? conv(1, cin, cout, stride) : null;
      // The resolution drops once per block: count it with the shortcut when there is one.
      const w1 = conv(3, cin, cout, sc ? 1 : stride);
      const w2 = conv(3, cout, cout, 1);
      blocks.push({ stride, w1, w2, sc, g1, b1, g2: vec(cout, 1), b2: vec(cout, 0) });
      cin = cout;
    }
  }
  const gf = vec(cin, 1), bf = vec(cin, 0);
  const fc = tf.tidy(() => tf.variable(tf.randomNormal([cin, cfg.classes], 0, 0.01, 'float32', 99))) as tf.Variable<tf.Rank.R2>;
  vars.push(fc);
  flops += 2 * cin * cfg.classes;
  const bn = (x: tf.Tensor, g: tf.Tensor1D, b: tf.Tensor1D): tf.Tensor => {
    if (cfg.bn !== 'composed') return batchNormTrain(x, g, b).y;
    const m = tf.moments(x, x.shape.slice(0, -1).map((_, i) => i));
    return tf.batchNorm(x, m.mean, m.variance, b, g, 1e-5);
  };
  const forward = (x: tf.Tensor4D): tf.Tensor2D => {
    let h = tf.conv2d(x, stem, 1, 'same'); // [B,H,W,16]
    for (const bl of blocks) {
      const o = tf.relu(bn(h, bl.g1, bl.b1)) as tf.Tensor4D;
      const sc = bl.sc ? tf.conv2d(o, bl.sc, bl.stride, 'same') : h;
      let y = tf.conv2d(o, bl.w1, bl.stride, 'same');
      y = tf.conv2d(tf.relu(bn(y, bl.g2, bl.b2)) as tf.Tensor4D, bl.w2, 1, 'same');
      h = y.add(sc);
    }
    const pooled = tf.relu(bn(h, gf, bf)).mean([1, 2]) as tf.Tensor2D; // [B,C]
    return tf.matMul(pooled, fc);
  };
  return { forward, vars, flopsPerImage: flops };
}

/** Times `reps` training steps (after two warm-ups) and optionally profiles one. */
export async function benchWrnStep(cfg: WrnStepConfig, opts: { reps?: number; profile?: boolean; onStep?: () => void } = {}): Promise<WrnStepResult> {
  const { forward, vars, flopsPerImage } = buildWrn(cfg);
  const x = tf.randomNormal([cfg.batch, cfg.size, cfg.size, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform([cfg.batch], 0, cfg.classes, 'int32', 6) as tf.Tensor1D, cfg.classes));
  const opt = tf.train.momentum(0.01, 0.9);
  const step = () => {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)) as tf.Scalar, true)!;
    loss.dataSync();
    loss.dispose();
  };
  try {
    step();
    step();
    const times: number[] = [];
    for (let i = 0; i < (opts.reps ?? 5); i++) {
      const t = performance.now();
      step();
      times.push(performance.now() - t);
      opts.onStep?.();
    }
    times.sort((a, b) => a - b);
    const ms = times[Math.floor(times.length / 2)];
    const r: WrnStepResult = {
      config: cfg, step_ms: round(ms), images_per_s: round((cfg.batch * 1000) / ms),
      flops_per_image: flopsPerImage, train_gflops: round((3 * flopsPerImage * cfg.batch) / (ms / 1000) / 1e9),
    };
    if (opts.profile) {
      const p = await profileKernels(step);
      r.kernels = p.kernels;
      r.outside_kernels_ms = p.outside_kernels_ms;
    }
    return r;
  } finally {
    tf.dispose([x, y, ...vars]);
    disposeMomentum(opt);
  }
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

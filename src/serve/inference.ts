/**
 * The inference engine behind `mimo serve`: a MIMOConv checkpoint, its per-n batch-norm
 * statistics, and classification of uint8 RGB images in passes planned by the batcher.
 * Runs inside the worker thread (it loads tfjs and the native backend); the HTTP side never
 * touches tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { normalizationLut, normalizeContiguous } from '../data/augment.js';
import { defaultNormalization } from '../data/pipeline.js';
import { operatingPoints, type MimoConvNet } from '../models/mimoconv/index.js';
import { loadConvCheckpoint, type ConvCheckpointMeta } from '../checkpoint/conv.js';
import { fitCost, type PassCost } from './policy.js';

export const IMAGE_SIZE = { height: 32, width: 32, channels: 3 } as const;

export interface PassTiming {
  n: number;
  count: number;
  seconds: number;
}

export interface EngineInfo {
  meta: ConvCheckpointMeta;
  /** Operating points with batch-norm statistics (the ones served). */
  points: number[];
  /** Measured pass cost per n on this machine at start-up. */
  costs: [number, PassCost][];
}

/**
 * Superpositions per forward for a pass of `superpositions`: powers of two, largest first, none
 * above `max` (rounded down to a power of two), summing to `superpositions`. A server then runs
 * at most log2(max) + 1 batch shapes per n, whatever the traffic; every new shape would cost
 * oneDNN primitives, reordered weights and pooled buffers that are kept for the process's life.
 */
export function passSizes(superpositions: number, max: number): number[] {
  if (!Number.isInteger(superpositions) || superpositions < 0 || superpositions > 0x7fffffff) throw new Error(`passSizes: ${superpositions} superpositions (a whole number from 0 to 2^31 - 1)`);
  if (!Number.isInteger(max) || max < 1 || max > 0x7fffffff) throw new Error(`passSizes: max ${max} must be a whole number from 1 to 2^31 - 1`);
  const pow2Floor = (x: number) => 2 ** (31 - Math.clz32(x)); // exact, unlike 2 ** floor(log2 x)
  const top = pow2Floor(max);
  const out: number[] = [];
  for (let left = superpositions; left > 0;) {
    const c = Math.min(top, pow2Floor(left));
    out.push(c);
    left -= c;
  }
  return out;
}

export class InferenceEngine {
  readonly net: MimoConvNet;
  readonly meta: ConvCheckpointMeta;
  readonly points: number[];
  private readonly lut: Float32Array;

  constructor(path: string, readonly maxSuperpositions = 128) {
    const { net, meta } = loadConvCheckpoint(path);
    this.net = net;
    this.meta = meta;
    this.points = operatingPoints(net.config).filter((n) => net.hasStats(n));
    if (this.points.length === 0) {
      net.dispose();
      throw new Error(`${path}: no operating point has batch-norm statistics; run \`mimo calibrate --checkpoint ${path}\` first`);
    }
    if (net.config.inChannels !== IMAGE_SIZE.channels) {
      net.dispose();
      throw new Error(`${path}: the model takes ${net.config.inChannels} input channels; mimo serve classifies RGB images (3)`);
    }
    // uint8 value v of channel c → (v/255 − mean_c)/std_c with the training set's constants, as in the evaluation pipeline.
    const { mean, std } = defaultNormalization(meta.train.dataset);
    this.lut = normalizationLut(mean, std, IMAGE_SIZE.channels);
  }

  /**
   * Class probabilities of `count` images (uint8 HWC, concatenated) in the given passes
   * (counts sum to `count`). Each pass runs as forwards of power-of-two superposition counts
   * (`passSizes`); a last forward that its images do not fill is padded with repeats of its
   * own images, and the padding's outputs are dropped.
   */
  classify(images: Uint8Array, count: number, plan: { n: number; count: number }[]): { probs: Float32Array; passes: PassTiming[] } {
    const { height: H, width: W, channels: C } = IMAGE_SIZE;
    const px = H * W * C;
    if (images.length !== count * px) throw new Error(`classify: ${images.length} bytes for ${count} images of ${H}x${W}x${C}`);
    if (plan.reduce((s, p) => s + p.count, 0) !== count) throw new Error('classify: the plan does not cover every image');
    const classes = this.net.config.classes;
    const probs = new Float32Array(count * classes);
    const passes: PassTiming[] = [];
    let at = 0;
    for (const { n, count: k } of plan) {
      if (!this.points.includes(n)) throw new Error(`classify: n=${n} is not served (${this.points.join(', ')})`);
      const t0 = performance.now();
      let s = 0;
      for (const sup of passSizes(Math.ceil(k / n), this.maxSuperpositions)) {
        const padded = sup * n;
        const real = Math.min(k - s, padded);
        const x = new Float32Array(padded * px);
        for (let i = 0; i < padded; i++) normalizeContiguous(images, (at + s + (i % real)) * px, x, i * px, H * W, C, this.lut);
        const p = tf.tidy(() => {
          const xt = tf.tensor4d(x, [padded, H, W, C]); // [sup·n, H, W, C]
          return tf.softmax(this.net.forward(xt, n, { training: false }).logits).dataSync() as Float32Array;
        });
        probs.set(p.subarray(0, real * classes), (at + s) * classes);
        s += real;
      }
      passes.push({ n, count: k, seconds: (performance.now() - t0) / 1000 });
      at += k;
    }
    return { probs, passes };
  }

  /**
   * Measures each served n on this machine: one superposition and `big` superpositions,
   * median of `reps` after a warm-up round over every n (first calls build primitives),
   * fitted as overhead + k·perImage.
   */
  measureCosts(big = 32, reps = 5): [number, PassCost][] {
    const { height: H, width: W, channels: C } = IMAGE_SIZE;
    const imgs = new Uint8Array(Math.max(big, this.maxSuperpositions) * this.points[this.points.length - 1] * H * W * C).map((_, i) => (i * 2654435761) >>> 24);
    const once = (n: number, k: number) => this.classify(imgs.subarray(0, k * H * W * C), k, [{ n, count: k }]).passes[0].seconds;
    // Warm-up: every forward shape the server will ever run (oneDNN primitives, pooled buffers),
    // so memory is at its working size before the first request.
    for (const n of this.points) for (let sup = 1; sup <= this.maxSuperpositions; sup *= 2) once(n, sup * n);
    const median = (n: number, k: number) => {
      const ts = Array.from({ length: reps }, () => once(n, k)).sort((a, b) => a - b);
      return ts[Math.floor(reps / 2)];
    };
    return this.points.map((n) => [n, fitCost(n, median(n, n), big * n, median(n, big * n))]);
  }

  dispose(): void {
    this.net.dispose();
  }
}

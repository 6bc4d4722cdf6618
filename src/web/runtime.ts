/**
 * MIMOConv inference in the browser: the folder `mimo export web` writes (model.json +
 * weights.bin) loaded into TensorFlow.js, run by the same forward() as on Node. Browser-safe:
 * no Node modules at run time (the exported page maps the native addon's imports to a stub,
 * so the pure TensorFlow.js path is taken).
 */
import * as tf from '@tensorflow/tfjs';
import { forward, type BnStat } from '../models/mimoconv/forward.js';
import { operatingPoints, resolveConfig, type MimoConvConfig } from '../models/mimoconv/config.js';

/** model.json of an exported folder. */
export interface WebModelManifest {
  format: 'mimonets-web';
  version: 1;
  config: MimoConvConfig;
  /** Offsets and lengths are in float32 elements of weights.bin. */
  params: { name: string; shape: number[]; offset: number }[];
  /** Batch-norm statistics per operating point n. */
  stats: { n: number; layers: { name: string; offset: number; length: number }[] }[];
  /** Per-channel mean and standard deviation of pixels scaled to [0, 1] (training normalisation). */
  normalization: { mean: number[]; std: number[] };
  classNames: string[];
  imageSize: number;
  /** Accuracy and images/s per n measured at the end of training, when the checkpoint has them. */
  operatingPoints?: { n: number; accuracy: number; images_per_s: number }[];
  source: { checkpoint: string; exported: string };
}

export interface WebResult {
  label: string;
  class: number;
  probability: number;
}

export class WebModel {
  readonly config: MimoConvConfig;
  private readonly params: Record<string, tf.Tensor> = {};
  private readonly stats = new Map<number, Record<string, BnStat>>();

  constructor(readonly manifest: WebModelManifest, weights: Float32Array) {
    if (manifest.format !== 'mimonets-web' || manifest.version !== 1) throw new Error(`not a mimonets web model (format ${manifest.format} version ${manifest.version}); export it again with mimo export web`);
    this.config = resolveConfig(manifest.config);
    const slice = (offset: number, length: number) => {
      if (offset + length > weights.length) throw new Error(`weights.bin holds ${weights.length} values, model.json needs ${offset + length}; copy the folder again`);
      return weights.subarray(offset, offset + length);
    };
    for (const p of manifest.params) this.params[p.name] = tf.tensor(slice(p.offset, p.shape.reduce((a, b) => a * b, 1)), p.shape);
    for (const s of manifest.stats) {
      const layers: Record<string, BnStat> = {};
      for (const l of s.layers) {
        const half = l.length / 2;
        layers[l.name] = { mean: tf.tensor1d(slice(l.offset, half)), variance: tf.tensor1d(slice(l.offset + half, half)) };
      }
      this.stats.set(s.n, layers);
    }
  }

  /** The operating points n this model has statistics for. */
  get ns(): number[] {
    return operatingPoints(this.config).filter((n) => this.stats.has(n));
  }

  /**
   * Classifies k images given as RGB bytes [k, H, W, 3] (row-major, like canvas ImageData
   * without alpha) at n superposed inputs. A last pass the images do not fill is padded with
   * repeats of its own images (as `mimo serve` does), and the padding's outputs are dropped.
   */
  classify(pixels: Uint8Array, k: number, n: number): WebResult[] {
    const stats = this.stats.get(n);
    if (!stats) throw new Error(`no statistics for n=${n}; this model runs at n = ${this.ns.join(', ')}`);
    const { imageSize: s, normalization: norm, classNames } = this.manifest;
    const px = s * s * 3;
    if (pixels.length !== k * px) throw new Error(`expected ${k} images of ${s}x${s}x3 bytes (${k * px}), got ${pixels.length}`);
    const padded = Math.ceil(k / n) * n;
    const x = new Float32Array(padded * px);
    for (let i = 0; i < padded; i++) {
      const pass = Math.floor(i / n) * n, real = Math.min(n, k - pass); // a pass's real images, repeated to fill it
      const src = (pass + ((i - pass) % real)) * px;
      for (let j = 0; j < px; j++) x[i * px + j] = (pixels[src + j] / 255 - norm.mean[j % 3]) / norm.std[j % 3];
    }
    const probs = tf.tidy(() => {
      const xt = tf.tensor4d(x, [padded, s, s, 3]); // [k', H, W, C]
      return tf.softmax(forward(this.config, this.params, xt, n, { kind: 'running', stats }).logits).arraySync() as number[][];
    });
    return probs.slice(0, k).map((p) => {
      const c = p.indexOf(Math.max(...p));
      return { label: classNames[c] ?? String(c), class: c, probability: p[c] };
    });
  }

  dispose(): void {
    tf.dispose(Object.values(this.params));
    for (const s of this.stats.values()) for (const v of Object.values(s)) tf.dispose([v.mean, v.variance]);
  }
}

/** Loads an exported folder over HTTP (relative to `base`, e.g. the page's own URL). */
export async function loadWebModel(base: string | URL): Promise<WebModel> {
  const get = async (name: string) => {
    const r = await fetch(new URL(name, base));
    if (!r.ok) throw new Error(`${name}: HTTP ${r.status}; is the folder complete?`);
    return r;
  };
  const manifest = await (await get('model.json')).json() as WebModelManifest;
  const weights = new Float32Array(await (await get('weights.bin')).arrayBuffer());
  return new WebModel(manifest, weights);
}

/**
 * The MIMOFormer encoder-classifier (SPEC §3.1, §3.3–3.4): token + learned position
 * embeddings, pre-LN blocks whose attention is FAVOR+ (Performer), FAVOR+ in
 * superposition ("att."), or superposition through attention, `ff` and the MLP
 * ("att.+MLP"); final LayerNorm, masked mean pooling over all L positions, MLP head (or
 * the dual head for two-document tasks).
 */
import * as tf from '@tensorflow/tfjs';
import { dropout } from '../../ops/dropout.js';
import { layerNorm } from '../../ops/layer_norm.js';
import { randomBipolarKeys } from '../../vsa/index.js';
import { positions, resolveFormerConfig, type MimoFormerConfig } from './config.js';
import { orthogonalRandomFeatures } from './favor.js';
import { bundleGrid } from './superpose_ops.js';
import { attendBundles, bundledProjections, cornerKeys, groupsOf, superposedAttention, type GridBundles, type Linear } from './mimo_attention.js';

type P = Record<string, tf.Variable>;

/**
 * A MIMOFormer (or, with scheme 'performer', the Performer baseline) from a config; `forward`
 * classifies a batch of token sequences, superposing a grid of M·N of them in attention.
 *
 * @example
 * import * as tf from '@tensorflow/tfjs';
 * import { initBackend, MimoFormer } from 'mimonets';
 * await initBackend();
 * const former = new MimoFormer({ scheme: 'att', grid: 2, vocab: 16, maxLen: 32, classes: 10 }); // M = N = 2
 * const tokens = tf.randomUniform([8, 32], 0, 16, 'int32') as tf.Tensor2D; // 8 sequences of 32 tokens
 * console.log(former.forward(tokens, false).shape); // [8, 10]: one prediction per sequence
 */
export class MimoFormer {
  readonly config: MimoFormerConfig;
  readonly params: P = {};
  /** Fixed buffers per layer: random features, and the bipolar keys of the grid. */
  readonly buffers: { features: tf.Tensor2D; beta: tf.Tensor3D; gamma: tf.Tensor3D | null }[] = [];
  /** All-ones [1, 1, Dh] keys: the Performer as superposed attention at M = N = 1. */
  private ones: tf.Tensor3D | null = null;

  constructor(config: Partial<MimoFormerConfig>, seed = 1234) {
    const c = (this.config = resolveFormerConfig(config));
    let k = 0;
    const normal = (name: string, shape: number[], std: number) => {
      this.params[name] = tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, std, 'float32', seed * 1000 + k++)));
    };
    // PyTorch's Linear default: weight and bias U(±1/√fan_in).
    const linear = (name: string, fanIn: number, fanOut: number) => {
      const b = 1 / Math.sqrt(fanIn);
      this.params[`${name}.weight`] = tf.tidy(() => tf.variable(tf.randomUniform([fanIn, fanOut], -b, b, 'float32', seed * 1000 + k++)));
      this.params[`${name}.bias`] = tf.tidy(() => tf.variable(tf.randomUniform([fanOut], -b, b, 'float32', seed * 1000 + k++)));
    };
    const ln = (name: string) => {
      this.params[`${name}.gamma`] = tf.tidy(() => tf.variable(tf.ones([c.d])));
      this.params[`${name}.beta`] = tf.tidy(() => tf.variable(tf.zeros([c.d])));
    };
    normal('tok', [c.vocab, c.d], 0.02);
    normal('pos', [positions(c), c.d], 0.02);
    const hd = c.heads * c.dh;
    for (let i = 0; i < c.layers; i++) {
      ln(`layers.${i}.ln1`);
      linear(`layers.${i}.q`, c.d, hd);
      linear(`layers.${i}.k`, c.d, hd);
      linear(`layers.${i}.v`, c.d, hd);
      linear(`layers.${i}.ff`, hd, c.d);
      ln(`layers.${i}.ln2`);
      linear(`layers.${i}.mlp1`, c.d, c.hid);
      linear(`layers.${i}.mlp2`, c.hid, c.d);
      this.buffers.push({
        features: tf.tensor2d(orthogonalRandomFeatures(c.features, c.dh, c.seed * 100 + i), [c.features, c.dh]),
        beta: tf.tidy(() => randomBipolarKeys(c.grid * c.grid, c.dh, c.seed * 100 + 50 + i).reshape([c.grid, c.grid, c.dh]) as tf.Tensor3D),
        gamma: c.scheme === 'attmlp' ? tf.tidy(() => randomBipolarKeys(c.grid * c.grid, c.d, c.seed * 100 + 75 + i).reshape([c.grid, c.grid, c.d]) as tf.Tensor3D) : null,
      });
    }
    ln('final');
    linear('head1', c.dual ? 4 * c.d : c.d, c.hid);
    linear('head2', c.hid, c.classes);
  }

  /** x W + b (then ReLU if asked) on the last axis, as one fused product. */
  private lin(x: tf.Tensor, name: string, activation: 'linear' | 'relu' = 'linear'): tf.Tensor {
    const w = this.params[`${name}.weight`] as tf.Tensor2D;
    const lead = x.shape.slice(0, -1);
    const flat = x.reshape([-1, x.shape[x.rank - 1]]) as tf.Tensor2D; // [*, in]
    return tf.fused.matMul({ a: flat, b: w, bias: this.params[`${name}.bias`], activation }).reshape([...lead, w.shape[1]]); // [..., out]
  }

  private linear(name: string): Linear {
    return { w: this.params[`${name}.weight`] as tf.Tensor2D, b: this.params[`${name}.bias`] as tf.Tensor1D };
  }

  private ln(x: tf.Tensor, name: string): tf.Tensor {
    return layerNorm(x, this.params[`${name}.gamma`], this.params[`${name}.beta`], 1e-5);
  }

  /**
   * Encodes tokens [B, L] (int32, 0 = padding) into pooled features [B, d]. `grid` (default
   * the config's) is the current M = N, smaller during the warm-up curriculum.
   */
  encode(tokens: tf.Tensor2D, training: boolean, grid = this.config.grid, dropoutSeed?: number): tf.Tensor2D {
    const c = this.config;
    const [b, l] = tokens.shape;
    if (l > positions(c)) throw new Error(`MIMOFormer: sequences of ${l} tokens exceed the ${positions(c)} position embeddings (maxLen ${c.maxLen})`);
    if (c.scheme !== 'performer') groupsOf(b, { m: grid, n: grid });
    // Seeded dropout (when a seed is given) keeps training reproducible across resumes.
    let dk = 0;
    const drop = (t: tf.Tensor) => (training && c.dropout > 0 ? dropout(t, c.dropout, dropoutSeed === undefined ? undefined : dropoutSeed + dk++) : t);
    const mask = tokens.notEqual(0).cast('float32') as tf.Tensor2D; // [B, L]
    let x = drop(tf.gather(this.params.tok, tokens).add(this.params.pos.slice([0, 0], [l, c.d]))); // [B, L, d]
    // Attention works on the projections' own layout: no head transposes.
    const heads = (t: tf.Tensor) => t.reshape([t.shape[0], l, c.heads, c.dh]) as tf.Tensor4D; // [B', L, H, Dh]
    const merge = (t: tf.Tensor) => t.reshape([t.shape[0], l, c.heads * c.dh]); // [B', L, H·Dh]
    for (let i = 0; i < c.layers; i++) {
      const pre = `layers.${i}`, buf = this.buffers[i];
      const a = this.ln(x, `${pre}.ln1`) as tf.Tensor3D;
      const g = { m: grid, n: grid };
      // MIMO schemes bind and bundle inside the q/k/v products (the per-sequence q, k, v are never formed).
      const bundles = (): GridBundles => bundledProjections(a, mask, this.linear(`${pre}.q`), this.linear(`${pre}.k`), this.linear(`${pre}.v`), buf.beta, g, c.heads);
      if (c.scheme === 'attmlp') {
        const gb = b / (grid * grid);
        const att = merge(attendBundles(bundles(), cornerKeys(buf.beta, g, c.dh), buf.features, 'attmlp')); // [G·N, L, H·Dh]
        // Skip connection bundled over rows with the second key set γ: S_n = Σ_m γ_mn ⊙ X_mn.
        const gk = cornerKeys(buf.gamma!, g, c.d); // [M, N, d]
        const gam = gk.reshape([1, grid, grid, 1, c.d]); // [1, M, N, 1, d]
        // One pass: the column bundles of x as [B, L, 1 head, d] -> [G, 1, N, L, d], the layout of [G·N, L, d].
        const s = bundleGrid(x.reshape([b, l, 1, c.d]) as tf.Tensor4D, gk, null, false, 1).reshape([gb * grid, l, c.d]); // [G·N, L, d]
        let y = drop(this.lin(att, `${pre}.ff`)).add(s);
        y = y.add(drop(this.lin(drop(this.lin(this.ln(y, `${pre}.ln2`), `${pre}.mlp1`, 'relu')), `${pre}.mlp2`)));
        // Retrieve: X'_mn = γ_mn ⊙ Y_n.
        x = y.reshape([gb, 1, grid, l, c.d]).mul(gam).reshape([b, l, c.d]);
      } else {
        // The Performer is the same computation at M = N = 1 with all-ones keys.
        const att = c.scheme === 'att' ? attendBundles(bundles(), cornerKeys(buf.beta, g, c.dh), buf.features, 'att')
          : superposedAttention(heads(this.lin(a, `${pre}.q`)), heads(this.lin(a, `${pre}.k`)), heads(this.lin(a, `${pre}.v`)), mask, this.onesKey(), buf.features, { m: 1, n: 1 }, 'att');
        x = x.add(drop(this.lin(merge(att), `${pre}.ff`)));
        x = x.add(drop(this.lin(drop(this.lin(this.ln(x, `${pre}.ln2`), `${pre}.mlp1`, 'relu')), `${pre}.mlp2`)));
      }
    }
    x = this.ln(x, 'final').mul(mask.expandDims(-1)); // [B, L, d]
    return x.mean(1) as tf.Tensor2D; // [B, d]: divides by the full L, as the reference
  }

  /** Logits [B, classes]; for dual models pass the second documents as tokens2. */
  forward(tokens: tf.Tensor2D, training: boolean, opts: { tokens2?: tf.Tensor2D; grid?: number; dropoutSeed?: number } = {}): tf.Tensor2D {
    let h = this.encode(tokens, training, opts.grid, opts.dropoutSeed);
    if (this.config.dual) {
      if (!opts.tokens2) throw new Error('MIMOFormer: a dual (two-document) model needs tokens2');
      const u = h, v = this.encode(opts.tokens2, training, opts.grid, opts.dropoutSeed === undefined ? undefined : opts.dropoutSeed + 7919);
      h = tf.concat([u, v, u.mul(v), u.sub(v)], 1) as tf.Tensor2D; // [B, 4d]
    }
    return this.lin(this.lin(h, 'head1', 'relu'), 'head2') as tf.Tensor2D;
  }

  /** Parameters and fixed buffers by name, for checkpoints. */
  tensors(): Record<string, { shape: number[]; values: Float32Array }> {
    const out: Record<string, { shape: number[]; values: Float32Array }> = {};
    for (const [k, v] of Object.entries(this.params)) out[`param/${k}`] = { shape: v.shape, values: v.dataSync() as Float32Array };
    this.buffers.forEach((b, i) => {
      out[`buffer/${i}/features`] = { shape: b.features.shape, values: b.features.dataSync() as Float32Array };
      out[`buffer/${i}/beta`] = { shape: b.beta.shape, values: b.beta.dataSync() as Float32Array };
      if (b.gamma) out[`buffer/${i}/gamma`] = { shape: b.gamma.shape, values: b.gamma.dataSync() as Float32Array };
    });
    return out;
  }

  /** Overwrites parameters and buffers with saved values (shapes must match the config). */
  load(saved: Record<string, { shape: number[]; values: Float32Array }>): void {
    const check = (name: string, want: number[]) => {
      const t = saved[name];
      if (!t) throw new Error(`MIMOFormer: '${name}' missing from the saved tensors; does the checkpoint match the config?`);
      if (t.shape.join(',') !== want.join(',')) throw new Error(`MIMOFormer: '${name}' is [${t.shape}], the config needs [${want}]`);
      return t;
    };
    for (const [k, v] of Object.entries(this.params)) tf.tidy(() => v.assign(tf.tensor(check(`param/${k}`, v.shape).values, v.shape)));
    this.buffers.forEach((b, i) => {
      const f = check(`buffer/${i}/features`, b.features.shape), be = check(`buffer/${i}/beta`, b.beta.shape);
      b.features.dispose(); b.beta.dispose();
      b.features = tf.tensor2d(f.values, f.shape as [number, number]);
      b.beta = tf.tensor3d(be.values, be.shape as [number, number, number]);
      if (b.gamma) {
        const ga = check(`buffer/${i}/gamma`, b.gamma.shape);
        b.gamma.dispose();
        b.gamma = tf.tensor3d(ga.values, ga.shape as [number, number, number]);
      }
    });
  }

  private onesKey(): tf.Tensor3D {
    return (this.ones ??= tf.keep(tf.ones([1, 1, this.config.dh])) as tf.Tensor3D);
  }

  dispose(): void {
    this.ones?.dispose();
    tf.dispose(Object.values(this.params));
    for (const b of this.buffers) tf.dispose([b.features, b.beta, ...(b.gamma ? [b.gamma] : [])]);
  }
}

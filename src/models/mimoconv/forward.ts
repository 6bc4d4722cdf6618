/**
 * The MIMOConv forward pass (SPEC §1.4) as a pure function of parameters and inputs:
 * stem → bind and bundle n images per superposition → pre-activation residual stages on
 * the superpositions → global average pool → unbind into N slot features → average each
 * image's N/n copies → shared classifier.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTrain } from '../../ops/batch_norm.js';
import { bindBundle, bundle, circulant, unbindSlots } from '../../vsa/index.js';
import { hasUnbind, operatingPoints, type MimoConvConfig } from './config.js';
import { layout, type Layout } from './layout.js';

export type Params = Record<string, tf.Tensor>;

export interface BnStat {
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * How batch norm normalises. 'batch': with the batch's statistics (training; also the
 * reference's evaluation), reporting them through `record` so running statistics can be
 * updated. 'running': with stored statistics (evaluation independent of batch size); a batch
 * norm that directly follows a convolution is then folded into it (scaled kernel plus bias,
 * one fused convolution with the stem's ReLU) unless `fold` is false.
 */
export type BnMode =
  | { kind: 'batch'; record?: (layer: string, stat: BnStat, count: number) => void }
  | { kind: 'running'; stats: Record<string, BnStat>; fold?: boolean };

export interface ForwardOutput {
  /** [B, classes] */
  logits: tf.Tensor2D;
  /** Per-image features after unbinding and averaging, [B, F]. */
  features: tf.Tensor2D;
}

const layoutCache = new WeakMap<MimoConvConfig, Layout>();
function cachedLayout(c: MimoConvConfig): Layout {
  let l = layoutCache.get(c);
  if (!l) layoutCache.set(c, (l = layout(c)));
  return l;
}

function need(p: Params, name: string): tf.Tensor {
  const t = p[name];
  if (!t) throw new Error(`MIMOConv: parameter '${name}' missing (does the checkpoint match the config?)`);
  return t;
}

/** The binding matrices M_s ([N, C0, C0], M_s[out, in]) of the model's binding. */
export function slotMatrices(c: MimoConvConfig, p: Params): tf.Tensor3D | null {
  if (c.binding === 'hrr') return circulant(need(p, 'bind.keys') as tf.Tensor2D);
  if (c.binding === 'mbat') return need(p, 'bind.matrices') as tf.Tensor3D;
  return null;
}

/**
 * Runs the network on B images ([B, H, W, inChannels], NHWC) with n images per
 * superposition; B must be a multiple of n and n must divide the capacity N.
 */
export function forward(c: MimoConvConfig, p: Params, x: tf.Tensor4D, n: number, bnMode: BnMode,
  tap?: (name: 'stem' | 'bundled' | 'stage1' | 'stage2' | 'stage3' | 'pooled', t: tf.Tensor) => void): ForwardOutput {
  const N = c.capacity;
  if (!Number.isInteger(n) || n < 1 || N % n !== 0) throw new Error(`MIMOConv: n=${n} superposed inputs must divide the capacity N=${N} (use one of ${operatingPoints(c).join(', ')})`);
  const [b, , , ch] = x.shape;
  if (ch !== c.inChannels) throw new Error(`MIMOConv: input has ${ch} channels, the model expects ${c.inChannels} (NHWC layout)`);
  if (b % n !== 0) throw new Error(`MIMOConv: batch of ${b} images is not a multiple of n=${n}; drop the last ${b % n} or pad`);
  const l = cachedLayout(c);
  const act = (h: tf.Tensor, name: string) => (c.arch === 'mimonet' ? tf.prelu(h, need(p, name)) : tf.relu(h));
  const bn = (h: tf.Tensor, name: string): tf.Tensor => {
    const gamma = need(p, `${name}.gamma`) as tf.Tensor1D, beta = need(p, `${name}.beta`) as tf.Tensor1D;
    if (bnMode.kind === 'batch') {
      const r = batchNormTrain(h, gamma, beta, c.bnEps);
      bnMode.record?.(name, { mean: r.mean, variance: r.variance }, h.size / h.shape[h.rank - 1]);
      return r.y;
    }
    const s = bnMode.stats[name];
    if (!s) throw new Error(`MIMOConv: no running statistics for batch norm '${name}' at n=${n}; calibrate them first (mimo calibrate)`);
    return tf.batchNorm(h, s.mean, s.variance, beta, gamma, c.bnEps);
  };
  // PyTorch padding (k−1)/2 on every side. tfjs's 'same' pads bottom/right only at stride 2
  // on even sizes, which shifts the sampling grid by one pixel.
  const pads = (w: tf.Tensor): [[number, number], [number, number], [number, number], [number, number]] => {
    const pad = (w.shape[0] - 1) / 2;
    return [[0, 0], [pad, pad], [pad, pad], [0, 0]];
  };
  const conv = (h: tf.Tensor, name: string, stride: number) => {
    const w = need(p, name) as tf.Tensor4D;
    return tf.conv2d(h as tf.Tensor4D, w, stride, pads(w));
  };
  // conv → batch norm (→ activation: 'relu', or the name of a block's PReLU). With stored
  // statistics, BN(conv(h, W)) = conv(h, W·s) + (β − μ·s) with s = γ/√(σ² + ε) per output
  // channel: one fused convolution (activation included) instead of three passes.
  const convBn = (h: tf.Tensor, convName: string, bnName: string, stride: number, activation?: string): tf.Tensor => {
    if (bnMode.kind === 'batch' || bnMode.fold === false) {
      const y = bn(conv(h, convName, stride), bnName);
      return activation === undefined ? y : activation === 'relu' ? tf.relu(y) : act(y, activation);
    }
    const s = bnMode.stats[bnName];
    if (!s) throw new Error(`MIMOConv: no running statistics for batch norm '${bnName}' at n=${n}; calibrate them first (mimo calibrate)`);
    const w = need(p, convName) as tf.Tensor4D; // [k, k, Cin, Cout]
    const scale = (need(p, `${bnName}.gamma`) as tf.Tensor1D).mul(tf.rsqrt(s.variance.add(c.bnEps))); // [Cout]
    const bias = (need(p, `${bnName}.beta`) as tf.Tensor1D).sub(s.mean.mul(scale)); // [Cout]
    const fused = { x: h as tf.Tensor4D, filter: w.mul(scale) as tf.Tensor4D, strides: stride, pad: pads(w), bias };
    if (activation === undefined) return tf.fused.conv2d(fused);
    if (activation === 'relu' || c.arch !== 'mimonet') return tf.fused.conv2d({ ...fused, activation: 'relu' });
    return tf.fused.conv2d({ ...fused, activation: 'prelu', preluActivationWeights: need(p, activation) });
  };

  // Stem: runs per image.
  let h = convBn(x, 'stem.conv', 'stem.bn', 1, 'relu') as tf.Tensor4D; // [B, H, W, C0]
  tap?.('stem', h);
  // Superposition: B images -> B/n superpositions.
  const mats = slotMatrices(c, p);
  if (mats) h = bindBundle(h, mats, n); // [B/n, H, W, C0]
  else if (hasUnbind(c)) h = bundle(h, n, N); // no binding: each image summed into its N/n slots
  tap?.('bundled', h);
  // Trunk: runs once per superposition.
  for (const blk of l.blocks) {
    const o = act(bn(h, `${blk.prefix}.bn1`), `${blk.prefix}.act1`);
    const y = conv(convBn(o, `${blk.prefix}.conv1`, `${blk.prefix}.bn2`, blk.stride, `${blk.prefix}.act2`), `${blk.prefix}.conv2`, 1);
    const sc = blk.shortcut ? convBn(h, `${blk.prefix}.shortcut.conv`, `${blk.prefix}.shortcut.bn`, blk.stride) : h;
    h = y.add(sc) as tf.Tensor4D; // [B/n, H', W', C']
    if (blk.last) tap?.(`stage${blk.stage + 1}` as 'stage1', h);
  }
  const pooled = h.mean([1, 2]) as tf.Tensor2D; // [B/n, F]
  tap?.('pooled', pooled);
  let features: tf.Tensor2D;
  if (hasUnbind(c)) {
    features = unbindSlots(pooled, need(p, 'unbind.weight') as tf.Tensor2D, need(p, 'unbind.bias') as tf.Tensor1D, n); // [B, F]
  } else {
    features = pooled; // [B, F]
  }
  const logits = tf.matMul(features, need(p, 'fc.weight') as tf.Tensor2D).add(need(p, 'fc.bias')) as tf.Tensor2D; // [B, classes]
  return { logits, features };
}

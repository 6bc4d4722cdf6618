/**
 * FAVOR+ linear attention with the ReLU kernel, as performer-pytorch v1.1.4's
 * FastAttention with `generalized_attention=True, kernel_fn=ReLU` (SPEC §3.2):
 *
 *   φ(x) = ReLU(Dh^{-1/4} · P x) + 0.001,   P ∈ R^{R×Dh} orthogonal random features
 *   q = Dh^{-1/4}·Q,  k = Dh^{-1/4}·(m ⊙ K),  v = m ⊙ V
 *   out_l = φ(q_l)ᵀ (Σ_j φ(k_j) v_jᵀ) / (φ(q_l) · Σ_j φ(k_j))
 *
 * P is drawn once (seeded) and kept fixed, as in the reference.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../data/index.js';

/** A standard normal draw (Box–Muller) from the project's seeded generator. */
function gauss(rng: Rng): number {
  let u = rng.next();
  while (u <= 0) u = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * R×Dh random features: ⌈R/Dh⌉ independent orthogonal Dh×Dh blocks (orthonormalised
 * Gaussian rows), truncated to R rows, each row scaled by the norm of an independent
 * Dh-dim Gaussian vector (performer's `scaling=0`). Deterministic for a seed.
 */
export function orthogonalRandomFeatures(r: number, dh: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(r * dh);
  let row = 0;
  while (row < r) {
    // Gram–Schmidt on Gaussian rows gives a Haar-distributed orthogonal block, like QR.
    const block: Float64Array[] = [];
    for (let i = 0; i < dh; i++) {
      const v = Float64Array.from({ length: dh }, () => gauss(rng));
      for (const u of block) {
        let dot = 0;
        for (let t = 0; t < dh; t++) dot += v[t] * u[t];
        for (let t = 0; t < dh; t++) v[t] -= dot * u[t];
      }
      let norm = 0;
      for (let t = 0; t < dh; t++) norm += v[t] * v[t];
      norm = Math.sqrt(norm);
      for (let t = 0; t < dh; t++) v[t] /= norm;
      block.push(v);
    }
    for (let i = 0; i < dh && row < r; i++, row++) out.set(block[i], row * dh);
  }
  for (let i = 0; i < r; i++) {
    let s = 0;
    for (let t = 0; t < dh; t++) s += gauss(rng) ** 2;
    const scale = Math.sqrt(s);
    for (let t = 0; t < dh; t++) out[i * dh + t] *= scale;
  }
  return out;
}

/** φ(x) = ReLU(Dh^{-1/4} x Pᵀ) + 0.001 on the last axis: [..., Dh] -> [..., R]. */
export function reluFeatures(x: tf.Tensor, p: tf.Tensor2D): tf.Tensor {
  const dh = x.shape[x.rank - 1];
  return tf.tidy(() => {
    const lead = x.shape.slice(0, -1);
    const flat = x.reshape([-1, dh]) as tf.Tensor2D; // [*, Dh]
    // The scale goes on the small [R, Dh] matrix and the ReLU into the product's epilogue:
    // two passes over the [*, R] features instead of four.
    const proj = tf.fused.matMul({ a: flat, b: p.mul(dh ** -0.25) as tf.Tensor2D, transposeB: true, activation: 'relu' }); // [*, R]
    return proj.add(0.001).reshape([...lead, p.shape[0]]); // [..., R]
  });
}

/** Σ_l φ(k_l) v_lᵀ and Σ_l φ(k_l): features [..., L, R], values [..., L, Dh] -> [..., R, Dh], [..., R]. */
export function linearMemory(phiK: tf.Tensor, v: tf.Tensor): { memory: tf.Tensor; norm: tf.Tensor } {
  return tf.tidy(() => ({ memory: tf.matMul(phiK, v, true, false), norm: phiK.sum(-2) }));
}

/**
 * Performer attention per head. q, k, v: [B, H, L, Dh]; mask: [B, L] of 0/1 (1 = token).
 * Returns [B, H, L, Dh].
 */
export function favorAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor2D, p: tf.Tensor2D): tf.Tensor4D {
  const dh = q.shape[3];
  return tf.tidy(() => {
    const m = mask.reshape([mask.shape[0], 1, mask.shape[1], 1]); // [B, 1, L, 1]
    const c = dh ** -0.25;
    const phiQ = reluFeatures(q.mul(c), p); // [B, H, L, R]
    const phiK = reluFeatures(k.mul(m).mul(c), p); // [B, H, L, R]
    const { memory, norm } = linearMemory(phiK, v.mul(m)); // [B, H, R, Dh], [B, H, R]
    const num = tf.matMul(phiQ, memory); // [B, H, L, Dh]
    const den = tf.matMul(phiQ, norm.expandDims(-1)); // [B, H, L, 1]
    return num.div(den) as tf.Tensor4D;
  });
}

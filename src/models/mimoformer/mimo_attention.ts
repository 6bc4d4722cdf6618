/**
 * MIMOFormer attention in superposition (SPEC §3.3–3.4). A batch of B = G·M·N sequences
 * is arranged per group as an M×N grid (sequence (g·M + m)·N + n sits in cell (m, n)).
 * Query bundles superpose a column, key/value bundles a row, each cell bound to its own
 * bipolar key β_mn, so ⟨q̃_n, k̃_m⟩ keeps cell (m, n)'s term and scrambles the others.
 *
 * "att." (`mimoAttention`): one shared memory over all key bundles, per-cell unbinding
 * inside attention; output per sequence. "att.+MLP" (`mimoAttentionBundled`): no
 * unbinding; one output per column bundle (G·N sequences), the denominator summed over rows.
 *
 * Those two (and favor.ts's favorAttention) are the op-by-op reference versions, on
 * [B, H, L, Dh], checked against SPEC loops; the model runs `superposedAttention`, the same
 * computation on [B, L, H, Dh] with single-pass kernels, checked against them.
 */
import * as tf from '@tensorflow/tfjs';
import { linearMemory, reluFeatures } from './favor.js';
import { arrangeGrid, bundleGrid, unbindGrid } from './superpose_ops.js';

export interface Grid {
  m: number;
  n: number;
}

/** Checks B = G·M·N and returns G, with an error that says what batch sizes work. */
export function groupsOf(batch: number, grid: Grid): number {
  const cell = grid.m * grid.n;
  if (!Number.isInteger(grid.m) || !Number.isInteger(grid.n) || grid.m < 1 || grid.n < 1) throw new Error(`MIMOFormer: grid ${grid.m}x${grid.n} must be whole numbers >= 1`);
  if (batch % cell !== 0) {
    throw new Error(`MIMOFormer: batch of ${batch} sequences is not a multiple of M·N = ${grid.m}·${grid.n} = ${cell}; use a batch size divisible by ${cell} (e.g. ${Math.max(cell, Math.round(batch / cell) * cell)})`);
  }
  return batch / cell;
}

interface Bundles {
  phiQ: tf.Tensor; // [G, N, H, L, R]
  phiK: tf.Tensor; // [G, M, H, L, R]
  vt: tf.Tensor; // [G, M, H, L, Dh]
  beta: tf.Tensor; // [1, M, N, 1, 1, Dh]
}

/** The keys must cover the M×N grid (the warm-up curriculum uses a corner) with Dh entries each. */
function checkKeys(beta: tf.Tensor3D, grid: Grid, dh: number): void {
  if (beta.shape[0] < grid.m || beta.shape[1] < grid.n || beta.shape[2] !== dh) {
    throw new Error(`MIMOFormer: keys are [${beta.shape}], need at least [${grid.m}, ${grid.n}, ${dh}]`);
  }
}

function bundles(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor2D, beta: tf.Tensor3D, p: tf.Tensor2D, grid: Grid): Bundles {
  const [b, h, l, dh] = q.shape;
  const g = groupsOf(b, grid);
  const { m: M, n: N } = grid;
  checkKeys(beta, grid, dh);
  const s = Math.sqrt(Math.sqrt(dh) * M * N);
  const mk = mask.reshape([b, 1, l, 1]); // [B, 1, L, 1]
  const grid6 = (t: tf.Tensor) => t.reshape([g, M, N, h, l, dh]); // [G, M, N, H, L, Dh]
  // The first M×N keys (the warm-up curriculum uses a corner of the full grid).
  const bt = beta.slice([0, 0, 0], [M, N, dh]).reshape([1, M, N, 1, 1, dh]); // [1, M, N, 1, 1, Dh]
  const qb = grid6(q.div(s)).mul(bt).sum(1); // [G, N, H, L, Dh]: column bundles
  const kb = grid6(k.mul(mk).div(s)).mul(bt).sum(2); // [G, M, H, L, Dh]: row bundles
  const vb = grid6(v.mul(mk)).mul(bt).sum(2); // [G, M, H, L, Dh]
  return { phiQ: reluFeatures(qb, p), phiK: reluFeatures(kb, p), vt: vb, beta: bt };
}

/**
 * "att.": q, k, v [B, H, L, Dh], mask [B, L], keys β [≥M, ≥N, Dh], features P [R, Dh].
 * Returns [B, H, L, Dh], one output per sequence.
 */
export function mimoAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor2D, beta: tf.Tensor3D, p: tf.Tensor2D, grid: Grid): tf.Tensor4D {
  const [b, h, l, dh] = q.shape;
  return tf.tidy(() => {
    const { phiQ, phiK, vt, beta: bt } = bundles(q, k, v, mask, beta, p, grid);
    const [g, M, N, r] = [b / (grid.m * grid.n), grid.m, grid.n, p.shape[0]];
    const { memory, norm } = linearMemory(phiK, vt); // [G, M, H, R, Dh], [G, M, H, R]
    // Query features with (group, head) as the batch: every product below is a plain batched GEMM.
    const pq = phiQ.transpose([0, 2, 1, 3, 4]).reshape([g * h, N * l, r]); // [G·H, N·L, R]
    const shared = memory.sum(1).reshape([g * h, r, dh]); // [G·H, R, Dh]: summed over all key bundles
    const num = tf.matMul(pq, shared).reshape([g, h, N, l, 1, dh]); // [G, H, N, L, 1, Dh]
    // Denominator of cell (m, n): φ(q̃_n) · z_m (only row m, as the reference codes it).
    const z = norm.transpose([0, 2, 3, 1]).reshape([g * h, r, M]); // [G·H, R, M]
    const den = tf.matMul(pq, z).reshape([g, h, N, l, M, 1]); // [G, H, N, L, M, 1]
    const key = bt.reshape([M, N, dh]).transpose([1, 0, 2]).reshape([1, 1, N, 1, M, dh]); // β_mn at [.., n, .., m, :]
    const out = num.div(den).mul(key); // [G, H, N, L, M, Dh], unbound with β_mn
    return out.transpose([0, 4, 2, 1, 3, 5]).reshape([b, h, l, dh]) as tf.Tensor4D; // [G, M, N, H, L, Dh] -> [B, H, L, Dh]
  });
}

/**
 * "att.+MLP": as mimoAttention but without unbinding; one output per column bundle,
 * [G·N, H, L, Dh], normalised by Σ_m z_m.
 */
export function mimoAttentionBundled(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor2D, beta: tf.Tensor3D, p: tf.Tensor2D, grid: Grid): tf.Tensor4D {
  const [b, h, l, dh] = q.shape;
  return tf.tidy(() => {
    const { phiQ, phiK, vt } = bundles(q, k, v, mask, beta, p, grid);
    const [g, N, r] = [b / (grid.m * grid.n), grid.n, p.shape[0]];
    const { memory, norm } = linearMemory(phiK, vt);
    const pq = phiQ.transpose([0, 2, 1, 3, 4]).reshape([g * h, N * l, r]); // [G·H, N·L, R]
    const num = tf.matMul(pq, memory.sum(1).reshape([g * h, r, dh])); // [G·H, N·L, Dh]
    const den = tf.matMul(pq, norm.sum(1).reshape([g * h, r, 1])); // [G·H, N·L, 1]
    return num.div(den).reshape([g, h, N, l, dh]).transpose([0, 2, 1, 3, 4]).reshape([g * N, h, l, dh]) as tf.Tensor4D; // [G·N, H, L, Dh]
  });
}

/**
 * The same attention computed from q, k, v in the projections' own layout [B, L, H, Dh],
 * with the binding, bundling and unbinding as single-pass kernels (superpose_ops.ts):
 * no head transposes, no separate scale, mask and key passes. `scheme`:
 * - 'att':    one output per sequence, [B, L, H, Dh] (equals mimoAttention);
 * - 'attmlp': one output per column bundle, [G·N, L, H, Dh] (equals mimoAttentionBundled);
 * - at M = N = 1 with all-ones keys, 'att' is Performer attention (favorAttention).
 */
export function superposedAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor2D, beta: tf.Tensor3D, p: tf.Tensor2D, grid: Grid,
  scheme: 'att' | 'attmlp'): tf.Tensor4D {
  const dh = q.shape[3];
  const { m: M, n: N } = grid;
  groupsOf(q.shape[0], grid);
  checkKeys(beta, grid, dh);
  return tf.tidy(() => {
    const s = Math.sqrt(Math.sqrt(dh) * M * N);
    const bt = cornerKeys(beta, grid, dh);
    const bundles = { qb: bundleGrid(q, bt, null, false, 1 / s), kb: bundleGrid(k, bt, mask, true, 1 / s), vb: bundleGrid(v, bt, mask, true, 1) };
    return attendBundles(bundles, bt, p, scheme);
  });
}

/** The first M×N keys [M, N, Dh] (the warm-up curriculum uses a corner of the full grid). */
export function cornerKeys(beta: tf.Tensor3D, grid: Grid, dh: number): tf.Tensor3D {
  return beta.shape[0] === grid.m && beta.shape[1] === grid.n ? beta : beta.slice([0, 0, 0], [grid.m, grid.n, dh]);
}

/** Query bundles [G, H, N, L, Dh] (columns), key and value bundles [G, H, M, L, Dh] (rows). */
export interface GridBundles {
  qb: tf.Tensor5D;
  kb: tf.Tensor5D;
  vb: tf.Tensor5D;
}

/** A linear layer's weight [in, out] and bias [out]. */
export interface Linear {
  w: tf.Tensor2D;
  b: tf.Tensor1D;
}

/**
 * The bundles of superposedAttention straight from the layer-norm output a [B, L, d],
 * without the per-sequence projections: binding is linear, so
 *   Σ_j β_j ⊙ (a_j W + b) = [a_0, 1, …, a_{J−1}, 1] · [[W; b] ⊙ β̂_0; …; [W; b] ⊙ β̂_{J−1}]
 * (β̂ = β repeated over the heads; masked sequences contribute 0 rows and 0 ones). One
 * product per bundle side computes what the projections and the bundle kernel did, and
 * writes J times less: the per-sequence q, k, v are never formed. Equal to bundleGrid of
 * the projections (tests).
 */
export function bundledProjections(a: tf.Tensor3D, mask: tf.Tensor2D, q: Linear, k: Linear, v: Linear, beta: tf.Tensor3D, grid: Grid, heads: number): GridBundles {
  const [b, l, d] = a.shape;
  const hd = q.w.shape[1], dh = hd / heads;
  const { m: M, n: N } = grid;
  const g = groupsOf(b, grid);
  checkKeys(beta, grid, dh);
  return tf.tidy(() => {
    const s = Math.sqrt(Math.sqrt(dh) * M * N);
    const bh = cornerKeys(beta, grid, dh).tile([1, 1, heads]); // [M, N, H·Dh]: β̂_mn on every head
    // Stacked bound weights per bundle k: block j is [W; b] ⊙ β̂ of the j-th cell of the bundle.
    const stack = (p: Linear, scale: number, rows: boolean) => {
      const wb = tf.concat([p.w, p.b.reshape([1, hd])], 0).reshape([1, 1, d + 1, hd]).mul(bh.reshape([M, N, 1, hd])).mul(scale); // [M, N, d + 1, H·Dh]
      const [K, J] = rows ? [M, N] : [N, M];
      return (rows ? wb : wb.transpose([1, 0, 2, 3])).reshape([K, J * (d + 1), hd]); // [K, J·(d + 1), H·Dh]
    };
    const qb = tf.matMul(arrangeGrid(a, null, M, N, false), stack(q, 1 / s, false)) // [N, G·L, M·(d + 1)] x [N, M·(d + 1), H·Dh]
      .reshape([N, g, l, heads, dh]).transpose([1, 3, 0, 2, 4]) as tf.Tensor5D; // [G, H, N, L, Dh]
    // k and v share the arranged rows; two products, not one split in two (a split's halves are
    // views of one buffer, which the backend then cannot reuse).
    const akv = arrangeGrid(a, mask, M, N, true); // [M, G·L, N·(d + 1)]
    const rowBundles = (p: Linear, scale: number) => tf.matMul(akv, stack(p, scale, true)) // [M, G·L, H·Dh]
      .reshape([M, g, l, heads, dh]).transpose([1, 3, 0, 2, 4]) as tf.Tensor5D; // [G, H, M, L, Dh]
    return { qb, kb: rowBundles(k, 1 / s), vb: rowBundles(v, 1) };
  });
}

/**
 * Attention on the bundles (superposedAttention after binding): 'att' unbinds with the
 * keys bt [M, N, Dh] into [B, L, H, Dh]; 'attmlp' returns one output per column bundle,
 * [G·N, L, H, Dh].
 */
export function attendBundles(bundles: GridBundles, bt: tf.Tensor3D, p: tf.Tensor2D, scheme: 'att' | 'attmlp'): tf.Tensor4D {
  const { qb, kb, vb } = bundles;
  const [g, h, N, l, dh] = qb.shape;
  const M = kb.shape[2];
  return tf.tidy(() => {
    const r = p.shape[0];
    const phiQ = reluFeatures(qb, p); // [G, H, N, L, R]: column bundles
    const phiK = reluFeatures(kb, p); // [G, H, M, L, R]: row bundles
    const { memory, norm } = linearMemory(phiK, vb); // [G, H, M, R, Dh], [G, H, M, R]
    const pq = phiQ.reshape([g * h, N * l, r]); // [G·H, N·L, R]
    const shared = (M === 1 ? memory : memory.sum(2)).reshape([g * h, r, dh]); // [G·H, R, Dh]: summed over all key bundles
    const num = tf.matMul(pq, shared).reshape([g, h, N, l, dh]) as tf.Tensor5D; // [G, H, N, L, Dh]
    if (scheme === 'attmlp') {
      const den = tf.matMul(pq, (M === 1 ? norm : norm.sum(2)).reshape([g * h, r, 1])).reshape([g, h, N, l, 1]) as tf.Tensor5D; // [G, H, N, L, 1]
      return unbindGrid(num, den, tf.ones([1, N, dh]) as tf.Tensor3D); // [G·N, L, H, Dh]
    }
    // Denominator of cell (m, n): φ(q̃_n) · z_m (only row m, as the reference codes it).
    const z = norm.transpose([0, 1, 3, 2]).reshape([g * h, r, M]); // [G·H, R, M]
    const den = tf.matMul(pq, z).reshape([g, h, N, l, M]) as tf.Tensor5D; // [G, H, N, L, M]
    return unbindGrid(num, den, bt); // [B, L, H, Dh], unbound with β_mn
  });
}

/**
 * Multiply–accumulates per sequence of the encoder (SPEC §3.6, as tools/mimoformer_cost.py
 * counts them): Q/K/V projections, the attention core, `ff` and the MLP per layer; layer
 * norms, ReLUs and elementwise binding are not counted.
 */
import type { MimoFormerConfig } from './config.js';

export function formerMacsPerSequence(c: MimoFormerConfig, length: number, grid = c.grid): number {
  const { d, hid, heads: H, dh: Dh, features: R } = c;
  const L = length, HD = H * Dh, M = grid, N = grid;
  const qkv = 3 * L * d * HD;
  let att: number, ff = L * HD * d, mlp = 2 * L * d * hid;
  if (c.scheme === 'performer') {
    att = H * (4 * L * Dh * R + 2 * L * R);
  } else {
    const features = (N + M) * L * Dh * R; // φ of N query bundles and M key bundles
    const memory = M * L * R * Dh + N * L * R * Dh; // Σ φ(k̃) ṽᵀ, and the numerators
    const norms = c.scheme === 'att' ? M * L * R + M * N * L * R : M * L * R + N * L * R;
    att = (H * (features + memory + norms)) / (M * N);
    if (c.scheme === 'attmlp') {
      ff /= M;
      mlp /= M;
    }
  }
  return c.layers * (qkv + att + ff + mlp);
}

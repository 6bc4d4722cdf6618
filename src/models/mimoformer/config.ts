/**
 * MIMOFormer / Performer encoder-classifier configuration (SPEC §3.1–3.4). Stored in
 * every checkpoint.
 */
export type Scheme = 'performer' | 'att' | 'attmlp';

export interface MimoFormerConfig {
  /** 'performer': FAVOR+ baseline; 'att': superposition inside attention; 'attmlp': also ff and MLP. */
  scheme: Scheme;
  vocab: number;
  /** Longest sequence; position embeddings are allocated for the next power of two. */
  maxLen: number;
  d: number;
  hid: number;
  heads: number;
  dh: number;
  layers: number;
  classes: number;
  /** Random features R. */
  features: number;
  /** Grid M = N (1 for the Performer). */
  grid: number;
  /** Two-document (retrieval) head. */
  dual: boolean;
  dropout: number;
  /** Seed of the fixed buffers (random features, binding keys). */
  seed: number;
}

export const MIMOFORMER_DEFAULTS: MimoFormerConfig = {
  scheme: 'att', vocab: 16, maxLen: 128, d: 64, hid: 128, heads: 2, dh: 32, layers: 2, classes: 10, features: 64, grid: 2,
  dual: false, dropout: 0.1, seed: 1234,
};

export function resolveFormerConfig(partial: Partial<MimoFormerConfig> = {}): MimoFormerConfig {
  const c: MimoFormerConfig = { ...MIMOFORMER_DEFAULTS, ...partial };
  if (!['performer', 'att', 'attmlp'].includes(c.scheme)) throw new Error(`MIMOFormer config: scheme must be performer, att or attmlp, got '${c.scheme}'`);
  for (const k of ['vocab', 'maxLen', 'd', 'hid', 'heads', 'dh', 'layers', 'classes', 'features', 'grid'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`MIMOFormer config: ${k} must be a whole number >= 1, got ${c[k]}`);
  }
  if (c.scheme === 'performer' && c.grid !== 1) throw new Error(`MIMOFormer config: the Performer has no superposition; use grid 1 (got ${c.grid})`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new Error(`MIMOFormer config: dropout must be in [0, 1), got ${c.dropout}`);
  return c;
}

/** Position embeddings: maxLen rounded up to a power of two (SPEC §3.1). */
export function positions(c: MimoFormerConfig): number {
  return 2 ** Math.ceil(Math.log2(c.maxLen));
}

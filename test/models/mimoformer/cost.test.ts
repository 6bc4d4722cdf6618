// FLOP counts per sequence against SPEC §3.6 / §5.2 (tools/mimoformer_cost.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveFormerConfig } from '../../../src/models/mimoformer/config.js';
import { formerMacsPerSequence } from '../../../src/models/mimoformer/cost.js';

test('MACs per sequence match the SPEC tables', () => {
  // ListOps (wide, active): Performer 23.67 GMAC; att. 1.16x / 1.26x; att.+MLP 1.42x / 1.80x (SPEC §3.6).
  const lo = { d: 512, hid: 2048, heads: 48, dh: 64, layers: 1, vocab: 32, maxLen: 2000, classes: 10, features: 256 };
  const perf = formerMacsPerSequence(resolveFormerConfig({ ...lo, scheme: 'performer', grid: 1 }), 2048);
  assert.equal(Math.round(perf / 1e7) / 100, 23.67);
  const ratio = (scheme: 'att' | 'attmlp', grid: number) => perf / formerMacsPerSequence(resolveFormerConfig({ ...lo, scheme, grid }), 2048);
  assert.deepEqual([ratio('att', 2), ratio('att', 4), ratio('attmlp', 2), ratio('attmlp', 4)].map((r) => Math.round(r * 100) / 100), [1.16, 1.26, 1.42, 1.8]);
  // F-A (SPEC §5.2): d=32, hid=64, H=4, Dh=32, 1 layer, R=128, L=256: Performer 44.6 MFLOP; att. 27.7 / 19.2; att.+MLP 25.4 / 15.9.
  const fa = { d: 32, hid: 64, heads: 4, dh: 32, layers: 1, vocab: 20, maxLen: 256, classes: 10, features: 128 };
  const mflop = (scheme: 'performer' | 'att' | 'attmlp', grid: number) => Math.round((2 * formerMacsPerSequence(resolveFormerConfig({ ...fa, scheme, grid }), 256)) / 1e5) / 10;
  assert.deepEqual([mflop('performer', 1), mflop('att', 2), mflop('att', 4), mflop('attmlp', 2), mflop('attmlp', 4)], [44.6, 27.7, 19.2, 25.4, 15.9]);
});

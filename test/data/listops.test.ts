// ListOps generator: deterministic, lengths in range, labels equal an independent
// evaluator, de-duplicated splits, LRA text tokenisation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateListOps, generateListOps, listOpsTokens, LISTOPS_VOCAB_SIZE } from '../../src/data/listops.js';

test('ListOps small variant: deterministic, lengths in range, correct labels, no duplicates', () => {
  const o = { seed: 7, train: 300, val: 30, test: 30, maxDepth: 6, maxArgs: 5, minLength: 20, maxLength: 120 };
  const a = generateListOps(o), b = generateListOps(o);
  assert.deepEqual(a.train.map((e) => [...e.tokens]), b.train.map((e) => [...e.tokens]));
  assert.notDeepEqual(generateListOps({ ...o, seed: 8 }).train[0].tokens, a.train[0].tokens);
  const all = [...a.train, ...a.val, ...a.test];
  assert.equal(all.length, 360);
  const keys = new Set(all.map((e) => e.tokens.join(',')));
  assert.equal(keys.size, 360, 'duplicates across splits');
  const labels = new Array(10).fill(0);
  for (const e of all) {
    assert.ok(e.tokens.length > 20 && e.tokens.length < 120, `length ${e.tokens.length}`);
    assert.equal(evaluateListOps(e.tokens), e.label);
    assert.ok(e.tokens.every((t) => t >= 1 && t < LISTOPS_VOCAB_SIZE));
    labels[e.label]++;
  }
  assert.ok(labels.filter((c) => c > 0).length >= 8, `labels used: ${labels}`);
});

test('LRA text form tokenises with brackets kept and parentheses ignored', () => {
  const t = listOpsTokens('( ( ( [MAX 2 ) 9 ) ] )');
  assert.deepEqual([...t], [12, 3, 10, 15]);
  assert.equal(evaluateListOps(t), 9);
  assert.equal(evaluateListOps(listOpsTokens('[MED 1 2 3 8 ]')), 2); // median 2.5 truncated
  assert.equal(evaluateListOps(listOpsTokens('[SM 9 9 [MIN 4 7 ] ]')), 2);
  assert.throws(() => listOpsTokens('[FOO 1 ]'), /unknown token '\[FOO'/);
  assert.throws(() => evaluateListOps([12, 3]), /1 operator\(s\) not closed/);
});

test('LRA settings reproduce SPEC §3.9 statistics (mean length ~1064, labels 0 and 9 ~17% each)', () => {
  const r = generateListOps({ seed: 1, train: 2000, val: 0, test: 0, maxDepth: 10, maxArgs: 10, minLength: 500, maxLength: 2000 });
  const mean = r.train.reduce((a, e) => a + e.tokens.length, 0) / r.train.length;
  assert.ok(mean > 950 && mean < 1180, `mean length ${mean}`);
  const share = (l: number) => r.train.filter((e) => e.label === l).length / r.train.length;
  for (const l of [0, 9]) assert.ok(share(l) > 0.13 && share(l) < 0.22, `label ${l}: ${share(l)}`);
  for (const l of [3, 5]) assert.ok(share(l) < 0.12, `label ${l}: ${share(l)}`);
});

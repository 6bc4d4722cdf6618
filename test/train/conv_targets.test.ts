// The MIMOConv targets as `mimo results conv` checks them, on hand-made results rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convTargets, wrnComparisons, type ConvResultRow } from '../../src/train/conv_targets.js';

const row = (name: string, model: string, capacity: number, dynamic: boolean, acc: Record<number, number>, ips: Record<number, number> = {}): ConvResultRow => ({
  name, model, binding: model.startsWith('wrn') ? 'none' : 'hrr', capacity, dynamic, initial_width: model.startsWith('wrn') ? 1 : 2,
  results: Object.entries(acc).map(([n, a]) => ({ n: Number(n), accuracy: a, images_per_s: ips[Number(n)] ?? 100 })),
});

test('static MIMONets against the WRN of their size, dynamic vs the static model for each n, budgets; missing models pending', () => {
  const models = [
    { ...row('wrn', 'wrn-16-4', 1, false, { 1: 0.93 }, { 1: 100 }), train_seconds: 1000, prerequisite_seconds: 0 },
    { ...row('N4', 'mimonet-16-4', 4, false, { 1: 0.70, 2: 0.69, 4: 0.8980 }, { 4: 370 }), train_seconds: 3000, prerequisite_seconds: 1000 },
    { ...row('N2', 'mimonet-16-4', 2, false, { 1: 0.915, 2: 0.9199 }, { 2: 190 }), train_seconds: 6500, prerequisite_seconds: 0 },
    { ...row('dyn', 'mimonet-16-4', 4, true, { 1: 0.79, 2: 0.910, 4: 0.8881 }), train_seconds: 5000, prerequisite_seconds: null },
  ];
  const t = convTargets(models);
  const by = (re: RegExp) => t.filter((x) => re.test(x.check));
  // N=2: 91.99 - 93 = -1.01 pt (not met, the bar is -1.0); N=4: 89.80 - 93 = -3.20 pt (exactly at the bar: met).
  assert.deepEqual(by(/^static MIMONet N=2/).map((x) => [x.check, x.value, x.met]), [['static MIMONet N=2 at n=2 vs the WRN (N2 vs wrn)', -0.0101, false]]);
  assert.deepEqual(by(/^static MIMONet N=4/).map((x) => [x.value, x.met]), [[-0.032, true]]);
  // Without the WRN the static checks are pending, not failed.
  assert.deepEqual(convTargets(models.slice(1)).filter((x) => x.check.startsWith('static')).map((x) => x.met), [null, null]);
  assert.ok(t.every((x) => x.kind === (x.check.startsWith('budget') ? 'ratio' : 'difference')), 'differences vs ratios');
  // Dynamic: n=1 has no static N=1 model; n=2: 0.910 - 0.9199 = -0.99 pt (met); n=4: 0.8881 - 0.8980 = -0.99 pt (met).
  assert.deepEqual(by(/^dynamic/).map((x) => [x.check, x.value, x.met]), [
    ['dynamic dyn at n=1 vs static N=1', null, null],
    ['dynamic dyn at n=2 vs static N=2 (N2)', -0.0099, true],
    ['dynamic dyn at n=4 vs static N=4 (N4)', -0.0099, true],
  ]);
  const worse = convTargets([models[1], row('dyn', 'mimonet-16-4', 4, true, { 4: 0.8869 })]);
  assert.equal(worse.find((x) => x.check.startsWith('dynamic'))!.met, false, '1.1 pt below the static model');
  // A dynamic model of another trunk is not compared with these statics.
  const other = convTargets([models[1], row('dyn8', 'mimonet-16-8', 4, true, { 4: 0.95 })]);
  assert.equal(other.find((x) => x.check.startsWith('dynamic'))!.met, null);
  // Budgets: (own + what it started from) / the WRN's; unknown prerequisites leave it pending.
  assert.deepEqual(by(/^budget/).map((x) => [x.check.split(':')[0], x.value, x.met]), [
    ['budget N4', 4, true], ['budget N2', 6.5, false], ['budget dyn', null, null],
  ]);
});

test('WRN comparison: delta in points and measured speed-up at n = N, only for the same depth and width', () => {
  const models = [
    row('wrn', 'wrn-16-4', 1, false, { 1: 0.93 }, { 1: 100 }),
    row('N4', 'mimonet-16-4', 4, false, { 1: 0.70, 4: 0.8900 }, { 4: 370 }),
    row('N2-28', 'mimonet-28-10', 2, false, { 2: 0.95 }, { 2: 50 }),
    row('dyn', 'mimonet-16-4', 4, true, { 4: 0.88 }),
  ];
  assert.deepEqual(wrnComparisons(models), [{ name: 'N4', n: 4, delta_pp: -4, speedup: 3.7 }]);
  assert.deepEqual(wrnComparisons(models.slice(1)), []);
});

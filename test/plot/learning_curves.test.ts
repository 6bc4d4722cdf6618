// The learning-curves plot: one line per model and evaluated n from the checkpoints' own
// histories, the last accuracy labelled, bad input named, and `mimo plot learning-curves`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { learningCurvesSvg } from '../../src/plot/learning_curves.js';
import { learningCurvesFromCheckpoints } from '../../src/plot/learning_curves_data.js';
import { writeCheckpoint } from '../../src/checkpoint/index.js';
import { tempDirs } from '../helpers/tmp.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const tmp = tempDirs('mimo-curves-');

/** A MIMOConv checkpoint with only the meta a plot reads. */
function ckpt(dir: string, name: string, model: Record<string, unknown>, train: Record<string, unknown>, evals: { n: number; accuracy: number }[][]): string {
  const p = join(dir, name);
  const history = evals.map((e, i) => ({ epoch: i + 1, eval: e.map((x) => ({ ...x, loss: 1 })) }));
  writeCheckpoint(p, { meta: { kind: 'mimoconv', model, train: { supLow: null, valImages: 0, ...train }, state: { epoch: evals.length }, history, bnN: [] }, tensors: {} });
  return p;
}

test('the TSDoc example; the last point of each line carries its accuracy; points go right with epochs, up with accuracy', () => {
  const svg = learningCurvesSvg([
    { name: 'WRN-16-4', points: [{ epoch: 1, accuracy: 0.42 }, { epoch: 2, accuracy: 0.61 }] },
    { name: 'MIMONet-16-4 N=4, n=4', points: [{ epoch: 2, accuracy: 0.45 }, { epoch: 1, accuracy: 0.3 }] },
  ]);
  assert.ok(svg.startsWith('<svg'));
  assert.equal(svg.match(/<polyline /g)?.length, 2);
  assert.deepEqual([...svg.matchAll(/class="point-label"[^>]*>([^<]+)</g)].map((m) => m[1]), ['61.0%', '45.0%']);
  const pts = [...svg.matchAll(/<g class="point" data-epoch="(\d+)" transform="translate\(([\d.]+) ([\d.]+)\)">/g)].map((m) => ({ e: Number(m[1]), x: Number(m[2]), y: Number(m[3]) }));
  assert.equal(pts.length, 4);
  const [a1, a2, b1, b2] = pts; // series 0 then series 1, each sorted by epoch
  assert.ok(a2.x > a1.x && b2.x > b1.x && a1.x === b1.x, 'epochs to the right');
  assert.ok(a2.y < a1.y && a2.y < b2.y, 'higher accuracy higher up');
  assert.throws(() => learningCurvesSvg([]), /no curves/);
  assert.throws(() => learningCurvesSvg([{ name: 'x', points: [{ epoch: 1, accuracy: 91 }] }]), /curve 'x' epoch 1: accuracy must be a fraction/);
  assert.throws(() => learningCurvesSvg([{ name: 'x', points: [{ epoch: 0, accuracy: 0.5 }] }]), /epoch 0 must be a whole number >= 1/);
});

test('curves from checkpoints: one per model and n, named by model; splits are not mixed', () => {
  const dir = tmp();
  const arch = { arch: 'mimonet', depth: 16, width: 4, initialWidth: 2, binding: 'hrr', classes: 10 };
  const wrn = ckpt(dir, 'w.ckpt', { ...arch, arch: 'wrn', capacity: 1, binding: 'none' }, {}, [[{ n: 1, accuracy: 0.5 }], [{ n: 1, accuracy: 0.7 }]]);
  const dyn = ckpt(dir, 'd.ckpt', { ...arch, capacity: 4 }, { supLow: 1 }, [[{ n: 4, accuracy: 0.3 }, { n: 1, accuracy: 0.4 }]]);
  const { curves, split } = learningCurvesFromCheckpoints([wrn, dyn]);
  assert.equal(split, 'test');
  assert.deepEqual(curves.map((c) => c.name), ['WRN-16-4', 'MIMONet-16-4 dynamic N=4, n=4', 'MIMONet-16-4 dynamic N=4, n=1']);
  assert.deepEqual(curves[0].points, [{ epoch: 1, accuracy: 0.5 }, { epoch: 2, accuracy: 0.7 }]);
  const val = ckpt(dir, 'v.ckpt', { ...arch, capacity: 2 }, { valImages: 5000 }, [[{ n: 2, accuracy: 0.3 }]]);
  assert.equal(learningCurvesFromCheckpoints([val]).split, 'validation');
  assert.throws(() => learningCurvesFromCheckpoints([wrn, val]), /test set and some on a validation hold-out/);
  const empty = ckpt(dir, 'e.ckpt', { ...arch, capacity: 2 }, {}, []);
  assert.throws(() => learningCurvesFromCheckpoints([empty]), /no evaluated epoch/);

  const out = join(dir, 'lc.svg'), png = join(dir, 'lc.png');
  const r = spawnSync(process.execPath, [MAIN, 'plot', 'learning-curves', '--checkpoints', `${wrn},${dyn}`, '--out', out, '--png', png, '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.deepEqual(j.curves.map((c: { name: string; last: number }) => [c.name, c.last]), [['WRN-16-4', 0.7], ['MIMONet-16-4 dynamic N=4, n=4', 0.3], ['MIMONet-16-4 dynamic N=4, n=1', 0.4]]);
  assert.match(readFileSync(out, 'utf8'), /Test accuracy \(%\)/);
  assert.equal(readFileSync(png).subarray(1, 4).toString(), 'PNG');
  const none = spawnSync(process.execPath, [MAIN, 'plot', 'learning-curves', '--out', out, '--json'], { encoding: 'utf8' });
  assert.equal(none.status, 2);
  assert.match(JSON.parse(none.stdout.trim().split('\n').at(-1)!).error, /--checkpoints a\.ckpt,b\.ckpt is required/);
});

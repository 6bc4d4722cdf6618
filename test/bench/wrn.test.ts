// The WideResNet step workload: its FLOP count against SPEC's counting tool, and a
// tiny step that runs and leaves no tensors behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { benchWrnStep, buildWrn } from '../../src/bench/wrn_step.js';

// From ../shared/spec/tools/mimoconv_cost.py: 2 * sum(wrn_cost(layers, width, 1, 1, 10,
// binding='None', iso=False, img=size)[1].values()).
const SPEC_FLOPS: [number, number, number, number][] = [
  [16, 4, 32, 785224704],
  [10, 1, 8, 1563904],
];

for (const [depth, width, size, flops] of SPEC_FLOPS) {
  test(`wrn-${depth}-${width} at ${size}x${size}: forward FLOPs per image match SPEC's tool`, () => {
    const m = buildWrn({ depth, width, batch: 1, size, classes: 10 });
    assert.equal(m.flopsPerImage, flops);
    tf.dispose(m.vars);
  });
}

test('a tiny WRN step runs on the default backend, profiles, and leaks nothing', async () => {
  await initBackend({});
  const before = tf.memory().numTensors;
  const r = await benchWrnStep({ depth: 10, width: 1, batch: 4, size: 8, classes: 10 }, { reps: 1, profile: true });
  assert.equal(tf.memory().numTensors, before);
  assert.ok(r.step_ms > 0 && r.images_per_s > 0);
  const names = r.kernels!.map((k) => k.name);
  assert.ok(names.includes('MimoBatchNormTrain') && names.includes('Conv2D'), names.join(','));
});

test('bad depths are rejected with the rule', () => {
  assert.throws(() => buildWrn({ depth: 12, width: 1, batch: 1, size: 8, classes: 10 }), /6k\+4 >= 10/);
});

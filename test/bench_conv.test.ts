// Superposition pays off: on a tiny model, n=4 classifies more images per second than
// n=1 (compared within one run, no absolute thresholds), and FLOP counts follow SPEC §5.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.js';
import { benchConvSpeed } from '../src/bench/conv_speed.js';

test('n=4 is faster per image than n=1, and FLOPs per image match SPEC (C-T: 6.4 / 3.4 / 1.9 MFLOP)', { timeout: 300000 }, async () => {
  await initBackend({});
  const before = tf.memory().numTensors;
  // Other load on the machine only slows a measurement down, so the best of a few rounds is the
  // speed to compare; stop as soon as the comparison is clear.
  const best = { 1: 0, 4: 0 };
  const seen: string[] = [];
  for (let round = 0; round < 4 && !(best[4] > best[1]); round++) {
    const r = benchConvSpeed({ arch: 'mimonet', depth: 10, width: 1, initialWidth: 1, binding: 'hrr', capacity: 4 }, [1, 4],
      { batch: 16, imageSize: 16, reps: 5, inferenceOnly: true });
    const [n1, n4] = r.rows;
    assert.deepEqual([n1.flops_per_image, n4.flops_per_image].map((f) => Math.round(f / 1e5) / 10), [6.4, 1.9]);
    best[1] = Math.max(best[1], n1.images_per_s);
    best[4] = Math.max(best[4], n4.images_per_s);
    seen.push(`n=1 ${n1.images_per_s}, n=4 ${n4.images_per_s}`);
  }
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  assert.ok(best[4] > best[1], `n=4 is not faster per image than n=1 in any round: ${seen.join('; ')}`);
});

// NATIVE_KERNELS (src/backend/kernel_inventory.ts) is the one list of kernels the native backend
// runs differently from tfjs's cpu backend. With every op module's kernels registered (each op run
// once), tfjs's registry must hold exactly those: no override missing from the list, none listed
// that is not there, and every listed module and native file exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { NATIVE_KERNELS } from '../../src/backend/kernel_inventory.js';
import { batchNormTrain } from '../../src/ops/batch_norm.js';
import { dropout } from '../../src/ops/dropout.js';
import { layerNorm } from '../../src/ops/layer_norm.js';
import { bindBundle, circulant } from '../../src/vsa/index.js';
import { arrangeGrid, bundleGrid, unbindGrid } from '../../src/models/mimoformer/superpose_ops.js';
import { packageRoot } from '../../src/util/package_root.js';
import { skipWithoutNative } from '../helpers/oracle.js';

test('NATIVE_KERNELS lists exactly the kernels where native differs from cpu', { skip: skipWithoutNative }, async () => {
  await initBackend({ backend: 'native' });
  // The library's own kernels register on first use: run each op once.
  tf.tidy(() => {
    batchNormTrain(tf.ones([2, 3]), tf.ones([3]), tf.zeros([3]));
    dropout(tf.ones([4]), 0.5, 1);
    layerNorm(tf.ones([2, 4]), tf.ones([4]), tf.zeros([4]));
    bindBundle(tf.ones([2, 1, 1, 4]), circulant(tf.ones([2, 4])), 2);
    const beta = tf.ones([1, 2, 4]) as tf.Tensor3D;
    bundleGrid(tf.ones([2, 3, 1, 4]) as tf.Tensor4D, beta, null, true, 1);
    unbindGrid(tf.ones([1, 1, 2, 3, 4]) as tf.Tensor5D, tf.ones([1, 1, 2, 3, 1]) as tf.Tensor5D, beta);
    arrangeGrid(tf.ones([2, 3, 4]) as tf.Tensor3D, null, 1, 2, true);
  });
  const cpu = new Map(tf.getKernelsForBackend('cpu').map((k) => [k.kernelName, k.kernelFunc]));
  const differs = tf.getKernelsForBackend('native').filter((k) => cpu.get(k.kernelName) !== k.kernelFunc).map((k) => k.kernelName).sort();
  const listed = NATIVE_KERNELS.map((k) => k.kernel).sort();
  assert.deepEqual(listed, [...new Set(listed)], 'a kernel is listed twice');
  assert.deepEqual(differs.filter((k) => !listed.includes(k)), [], 'native kernels missing from NATIVE_KERNELS');
  assert.deepEqual(listed.filter((k) => !differs.includes(k)), [], 'listed in NATIVE_KERNELS but not registered for native');
  const root = packageRoot() ?? process.cwd();
  for (const k of NATIVE_KERNELS) {
    assert.ok(existsSync(join(root, 'src', k.module)), `${k.kernel}: src/${k.module} does not exist`);
    for (const f of k.native.split(', ').filter(Boolean)) assert.ok(existsSync(join(root, 'native', f)), `${k.kernel}: native/${f} does not exist`);
  }
});

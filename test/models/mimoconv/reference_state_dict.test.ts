// The reference code's state-dict names and layouts (../shared/spec/reference_state_dict.md):
// the key lists equal the spec's, PyTorch's eval-mode logits are reproduced from its files,
// export then import is exact, and mismatches name the tensor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/index.js';
import {
  exportReferenceStateDict, importReferenceStateDict, inferReferenceConfig, MimoConvNet, permute, referenceEntries, resolveConfig, type MimoConvConfig,
} from '../../../src/models/mimoconv/index.js';
import { readTorchStateDict, type TorchTensor } from '../../../src/torch/index.js';
import { assertClose, skipWithoutNative } from '../../helpers/oracle.js';

const DIR = fileURLToPath(new URL('../../../../test/fixtures/torch_reference/', import.meta.url));
const SPEC = fileURLToPath(new URL('../../../../../shared/spec/reference_state_dict.md', import.meta.url));
interface Case { config: { arch: 'wrn' | 'mimonet'; depth: number; width: number; initial_width: number; binding: 'hrr' | 'mbat' | 'none'; capacity: number; classes: number }; entries: number; input: { shape: number[]; values: number[] }; logits: { values: number[] } }
const expected = JSON.parse(readFileSync(DIR + 'expected.json', 'utf8')) as Record<string, Case>;
const cases = Object.entries(expected).filter(([k]) => k !== 'views');

test('the key lists (names, order, shapes) equal the spec\'s for MIMONet HRR/MBAT/no binding and the WideResNet', () => {
  const spec = readFileSync(SPEC, 'utf8');
  const section = (title: string) => spec.split(`### ${title}`)[1].split(/###|```\n/)[0].split('\n').filter((l) => l.includes('\t')).map((l) => {
    const [name, shape] = l.split('\t');
    return `${name} ${shape}`;
  });
  const ours = (c: Partial<MimoConvConfig>) => referenceEntries(resolveConfig(c)).map((e) => `${e.name} [${e.shape.join(', ')}]`);
  const pairs: [string, Partial<MimoConvConfig>][] = [
    ['MIMONet-16 binding=HRR N=4 width=4 initial_width=2', { arch: 'mimonet', depth: 16, width: 4, initialWidth: 2, binding: 'hrr', capacity: 4 }],
    ['MIMONet-16 binding=MBAT N=2 width=1 initial_width=1', { arch: 'mimonet', depth: 16, width: 1, initialWidth: 1, binding: 'mbat', capacity: 2 }],
    ['MIMONet-16 binding=None N=2 width=1 initial_width=1', { arch: 'mimonet', depth: 16, width: 1, initialWidth: 1, binding: 'none', capacity: 2 }],
    ['WideResNet-16 binding=None N=1 width=4 initial_width=1', { arch: 'wrn', depth: 16, width: 4, initialWidth: 1, binding: 'none', capacity: 1 }],
  ];
  for (const [title, c] of pairs) {
    const want = section(title);
    assert.ok(want.length >= 104, `${title}: ${want.length} entries parsed from the spec`);
    assert.deepEqual(ours(c), want, title);
  }
});

function load(name: string) {
  return readTorchStateDict(readFileSync(`${DIR}${name}.pt`), name).tensors;
}

function netFrom(cfg: MimoConvConfig, tensors: Map<string, TorchTensor>): MimoConvNet {
  const { params, stats } = importReferenceStateDict(cfg, tensors);
  const net = new MimoConvNet(cfg, 0, params);
  net.bnStats.set(cfg.capacity, Object.fromEntries(Object.entries(stats).map(([k, s]) => [k, { mean: tf.tensor1d(s.mean), variance: tf.tensor1d(s.variance) }])));
  return net;
}

for (const backend of ['native', 'cpu']) {
  test(`${backend}: files PyTorch saved in the reference's names give PyTorch's eval-mode logits (1e-4), config read off the tensors`, { skip: backend === 'native' && skipWithoutNative }, async () => {
    assert.equal((await initBackend({ backend })).backend, backend);
    assert.ok(cases.length >= 5);
    for (const [name, e] of cases) {
      const tensors = load(name);
      const cfg = inferReferenceConfig(tensors);
      assert.deepEqual([cfg.arch, cfg.depth, cfg.width, cfg.initialWidth, cfg.binding, cfg.capacity, cfg.classes],
        [e.config.arch, e.config.depth, e.config.width, e.config.initial_width, e.config.binding, e.config.capacity, e.config.classes], `${name} config`);
      const before = tf.memory().numTensors;
      const net = netFrom(cfg, tensors);
      const [bb, c, h, w] = e.input.shape;
      tf.tidy(() => {
        const x = tf.tensor4d(permute(e.input.values, e.input.shape, [0, 2, 3, 1]), [bb, h, w, c]); // NCHW -> NHWC
        const { logits } = net.forward(x, cfg.capacity, { training: false });
        assertClose(logits.dataSync(), e.logits.values, 1e-4, `${name} logits`);
      });
      net.dispose();
      assert.equal(tf.memory().numTensors, before, `${name}: no tensors leak`);
    }
  });
}

test('export then import is exact: every parameter and statistic, the same names in the same order', async () => {
  await initBackend({});
  for (const [name] of cases) {
    const tensors = load(name);
    const cfg = inferReferenceConfig(tensors);
    const { params, stats } = importReferenceStateDict(cfg, tensors);
    const back = new Map(exportReferenceStateDict(cfg, params, stats, 1234));
    assert.deepEqual([...back.keys()], [...tensors.keys()], `${name}: names and order`);
    for (const [k, t] of tensors) {
      if (/\.alpha$/.test(k)) continue; // the unused skip-init scalar is written as its initial value 0
      assert.deepEqual(back.get(k)!.shape, t.shape, k);
      assert.deepEqual(Array.from(back.get(k)!.values), Array.from(t.values), `${name}: ${k}`);
    }
  }
});

test('mismatches are errors that name the tensor and the setting to change', () => {
  const tensors = load('mimonet-10-1_hrr_N4');
  const cfg = inferReferenceConfig(tensors);
  assert.throws(() => importReferenceStateDict({ ...cfg, capacity: 2 }, tensors), /'channelConv\.weight' has shape \[4,1,16\], a mimonet-10-1 .*N=2.* needs \[2,1,16\]/);
  assert.throws(() => importReferenceStateDict({ ...cfg, binding: 'mbat' }, tensors), /'channelLinear\.weight' \[64, ?16, ?1, ?1\] is missing .*--binding/);
  const missing = new Map(tensors);
  missing.delete('layer2.0.conv1.weight');
  assert.throws(() => importReferenceStateDict(cfg, missing), /'layer2\.0\.conv1\.weight' \[32,16,3,3\] is missing/);
  const extra = new Map(tensors).set('head.extra.weight', { dtype: 'float32', shape: [1], values: Float32Array.of(0) });
  assert.throws(() => importReferenceStateDict(cfg, extra), /not in a mimonet-10-1 .*'head\.extra\.weight'/);
  const noStem = new Map(tensors);
  noStem.delete('conv1.weight');
  assert.throws(() => inferReferenceConfig(noStem), /'conv1\.weight' is missing; .*is this a MIMOConv checkpoint/);
});

// mimo import torch / mimo export torch as a user runs them: the reference's files in, the
// same files back out, and clear errors for the wrong file or the wrong flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../src/backend/index.js';
import { loadConvCheckpoint, readConvCheckpointMeta, saveConvCheckpoint } from '../../src/checkpoint/conv.js';
import { MimoConvNet } from '../../src/models/mimoconv/index.js';
import { resolveTrainConfig } from '../../src/train/conv_config.js';
import { readTorchStateDict } from '../../src/torch/index.js';
import { tempDirs } from '../helpers/tmp.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const DIR = fileURLToPath(new URL('../../../test/fixtures/torch_reference/', import.meta.url));
const tmp = tempDirs('mimo-torch-cli-');

function mimo(args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args, '--json'], { encoding: 'utf8' });
  const lines = r.stdout.trim().split('\n');
  return { code: r.status, stderr: r.stderr, json: JSON.parse(lines[lines.length - 1]) as Record<string, unknown> };
}

test('import a reference training checkpoint, export it, and get the same tensors back', () => {
  const d = tmp();
  const ckpt = join(d, 'm.ckpt'), pt = join(d, 'back.pt');
  const src = DIR + 'mimonet-10-1_hrr_N2.pt';
  const imp = mimo(['import', 'torch', '--state-dict', src, '--out', ckpt]);
  assert.equal(imp.code, 0, imp.stderr);
  assert.equal(imp.json.key, 'model_state_dict');
  assert.equal(imp.json.epoch, 7);
  assert.deepEqual([imp.json.bn_n, imp.json.uncalibrated_n], [[2], [1]]);
  assert.deepEqual((imp.json.model as Record<string, unknown>).capacity, 2);
  const meta = readConvCheckpointMeta(ckpt);
  assert.deepEqual(meta.bnN, [2]);
  assert.deepEqual(meta.imported, { from: src, format: 'torch-reference', key: 'model_state_dict', epoch: 7 });

  const exp = mimo(['export', 'torch', '--checkpoint', ckpt, '--out', pt]);
  assert.equal(exp.code, 0, exp.stderr);
  const orig = readTorchStateDict(readFileSync(src), 'orig'), back = readTorchStateDict(readFileSync(pt), 'back');
  assert.equal(back.key, 'model_state_dict', "the reference's training-checkpoint form by default");
  assert.deepEqual([...back.tensors.keys()], [...orig.tensors.keys()]);
  for (const [k, t] of orig.tensors) {
    if (/\.(alpha|num_batches_tracked)$/.test(k)) continue; // not kept: unused scalar and counter
    assert.deepEqual(Array.from(back.tensors.get(k)!.values), Array.from(t.values), k);
  }
  const bare = mimo(['export', 'torch', '--checkpoint', ckpt, '--out', join(d, 'bare.pt'), '--bare']);
  assert.equal(bare.code, 0, bare.stderr);
  assert.equal(readTorchStateDict(readFileSync(join(d, 'bare.pt')), 'bare').key, '');
});

test('flags that contradict the file, foreign files and missing statistics are clear errors', async () => {
  const d = tmp();
  const wrongN = mimo(['import', 'torch', '--state-dict', DIR + 'mimonet-10-1_hrr_N4.pt', '--capacity', '2', '--out', join(d, 'x.ckpt')]);
  assert.equal(wrongN.code, 1);
  assert.match(String(wrongN.json.error), /'channelConv\.weight' has shape \[4,1,16\].*needs \[2,1,16\].*omit the flags/);
  const wrongModel = mimo(['import', 'torch', '--state-dict', DIR + 'wrn-10-1_none_N1.pt', '--model', 'mimonet-10-1', '--out', join(d, 'x.ckpt')]);
  assert.match(String(wrongModel.json.error), /'layer1\.0\.relu1\.weight' \[16\] is missing/);
  const foreign = mimo(['import', 'torch', '--state-dict', DIR + 'expected.json', '--out', join(d, 'x.ckpt')]);
  assert.match(String(foreign.json.error), /expected\.json: not a PyTorch checkpoint/);
  const none = mimo(['import', 'torch', '--state-dict', join(d, 'nope.pt'), '--out', join(d, 'x.ckpt')]);
  assert.equal(none.code, 2);
  assert.match(String(none.json.error), /nope\.pt: no such file/);

  await initBackend({});
  const net = new MimoConvNet({ depth: 10, width: 1, initialWidth: 1, capacity: 2 }, 1);
  saveConvCheckpoint(join(d, 'fresh.ckpt'), net, { train: resolveTrainConfig({}, 2), state: { epoch: 0, step: 0, avgNormPrev: null, trainSeconds: 0, done: false }, history: [] });
  net.dispose();
  const noStats = mimo(['export', 'torch', '--checkpoint', join(d, 'fresh.ckpt'), '--out', join(d, 'f.pt')]);
  assert.equal(noStats.code, 1);
  assert.match(String(noStats.json.error), /no batch-norm statistics for n=2.*mimo calibrate/);
  loadConvCheckpoint(join(d, 'fresh.ckpt')).net.dispose(); // the input is untouched and still loads
});

// Reading torch.save files in TypeScript against files PyTorch 1.13 wrote
// (tools/torch/reference_checkpoints.py): every element type, views into shared storages,
// the reference's training-checkpoint dict, nn.DataParallel names, and damaged files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { readTorchFile, readTorchStateDict, TorchFileError } from '../../src/torch/index.js';

const DIR = fileURLToPath(new URL('../../../test/fixtures/torch_reference/', import.meta.url));
const expected = JSON.parse(readFileSync(DIR + 'expected.json', 'utf8')) as Record<string, unknown>;
const views = expected.views as Record<string, { dtype: string; shape: number[]; values: number[] }>;

test('every element type, views, scalars and empty tensors read as PyTorch wrote them', () => {
  const sd = readTorchStateDict(readFileSync(DIR + 'views.pt'), 'views.pt');
  assert.deepEqual([...sd.tensors.keys()], Object.keys(views), 'the names, in file order');
  assert.ok(Object.keys(views).length >= 12);
  for (const [name, want] of Object.entries(views)) {
    const t = sd.tensors.get(name)!;
    assert.equal(t.dtype, want.dtype, name);
    assert.deepEqual(t.shape, want.shape, name);
    assert.deepEqual(Array.from(t.values), want.values, `${name} values`);
  }
  // Views are materialised in row-major order: the transposed 3x4 arange starts -5.5, -1.5, 2.5.
  assert.deepEqual(Array.from(sd.tensors.get('transposed')!.values).slice(0, 3), [-5.5, -1.5, 2.5]);
  assert.equal(sd.tensors.get('int64')!.values[0], -(2 ** 40));
});

test("the reference's training checkpoint: the state dict under 'model_state_dict', the epoch kept, the optimizer state skipped", () => {
  const sd = readTorchStateDict(readFileSync(DIR + 'mimonet-10-1_hrr_N2.pt'), 'f');
  assert.equal(sd.key, 'model_state_dict');
  assert.deepEqual(sd.extras, { epoch: 7 });
  assert.equal(sd.tensors.size, (expected['mimonet-10-1_hrr_N2'] as { entries: number }).entries);
  assert.equal(sd.tensors.get('layer1.0.bn1.num_batches_tracked')!.values[0], 1234);
  // The whole file unpickles too: the optimizer's param_groups with their floats and booleans.
  const root = readTorchFile(readFileSync(DIR + 'mimonet-10-1_hrr_N2.pt'), 'f') as Map<string, Map<string, unknown>>;
  const groups = root.get('optimizer_state_dict')!.get('param_groups') as Map<string, unknown>[];
  assert.equal(groups[0].get('lr'), 0.1);
  assert.equal(groups[0].get('nesterov'), true);
});

test("nn.DataParallel's 'module.' prefix is removed from every name", () => {
  const sd = readTorchStateDict(readFileSync(DIR + 'mimonet-10-1_hrr_N4.pt'), 'f');
  assert.equal(sd.strippedPrefix, 'module.');
  assert.ok(sd.tensors.has('channelConv.weight') && !sd.tensors.has('module.channelConv.weight'));
});

function rezip(file: string, edit: (records: Record<string, Uint8Array>) => void): Uint8Array {
  const records = unzipSync(readFileSync(DIR + file));
  edit(records);
  return zipSync(records, { level: 0 });
}

test('damaged and foreign files are TorchFileErrors that name the file, the problem and the fix', () => {
  const bad = (bytes: Uint8Array, re: RegExp) => assert.throws(() => readTorchStateDict(bytes, 'x.pt'), (e: Error) => e instanceof TorchFileError && re.test(e.message) && e.message.startsWith('x.pt: '));
  bad(strToU8('{"not": "a checkpoint"}'), /not a PyTorch checkpoint .*zip archive/);
  bad(Uint8Array.of(0x80, 0x02, 0x8a, 0x0a), /legacy PyTorch file .*save it again/);
  const whole = readFileSync(DIR + 'mimonet-10-1_mbat_N2.pt');
  bad(whole.subarray(0, Math.floor(whole.length / 2)), /damaged zip archive.*truncated/);
  bad(zipSync({ 'a/readme.txt': strToU8('hi') }), /without <name>\/data\.pkl/);
  // A storage record missing or cut short: the error names the tensor that needs it.
  const sd = readTorchStateDict(whole, 'ok');
  const first = [...sd.tensors.keys()][0];
  bad(rezip('mimonet-10-1_mbat_N2.pt', (r) => delete r['mimonet-10-1_mbat_N2/data/0']), new RegExp(`data of tensor '${first.replace(/\./g, '\\.')}' .*missing`));
  bad(rezip('mimonet-10-1_mbat_N2.pt', (r) => { r['mimonet-10-1_mbat_N2/data/0'] = r['mimonet-10-1_mbat_N2/data/0'].subarray(0, 8); }), new RegExp(`tensor '${first.replace(/\./g, '\\.')}' needs \\d+ bytes .*truncated`));
  bad(rezip('mimonet-10-1_mbat_N2.pt', (r) => { r['mimonet-10-1_mbat_N2/data.pkl'] = r['mimonet-10-1_mbat_N2/data.pkl'].subarray(0, 100); }), /cannot read .*data\.pkl/);
});

test('a file that is not a dict of tensors says what it holds and what to save instead', () => {
  const records = unzipSync(readFileSync(DIR + 'views.pt'));
  // A pickled list [1, 2] in place of the dict (protocol 2: PROTO, EMPTY_LIST, MARK, BININT1 x2, APPENDS, STOP).
  records['views/data.pkl'] = Uint8Array.of(0x80, 0x02, 0x5d, 0x28, 0x4b, 1, 0x4b, 2, 0x65, 0x2e);
  assert.throws(() => readTorchStateDict(zipSync(records, { level: 0 }), 'l.pt'), /holds a list, not a dict; save model\.state_dict\(\)/);
});

// Writing torch.save files: what the writer produces reads back exactly (property test over
// shapes, element types and values), in the layout torch.load expects (data.pkl first, one
// raw record per tensor). That PyTorch itself loads the files is checked by
// tools/torch/reference_checkpoints.py --check-export (docs/deploy.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { unzipSync } from 'fflate';
import { readTorchFile, readTorchStateDict, writeTorchFile, type TorchTensor } from '../../src/torch/index.js';

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 });
const tensorArb = fc.oneof(
  shapeArb.chain((shape) => fc.float32Array({ noNaN: true, minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) })
    .map((v): TorchTensor => ({ dtype: 'float32', shape, values: v }))),
  shapeArb.chain((shape) => fc.array(fc.double({ noNaN: true }), { minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) })
    .map((v): TorchTensor => ({ dtype: 'float64', shape, values: Float64Array.from(v) }))),
  shapeArb.chain((shape) => fc.array(fc.maxSafeInteger(), { minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) })
    .map((v): TorchTensor => ({ dtype: 'int64', shape, values: Float64Array.from(v) }))),
);

test('property: a written state dict reads back with the same names, order, types, shapes and values', () => {
  fc.assert(fc.property(fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), tensorArb), { minLength: 1, maxLength: 6, selector: (e) => e[0] }), (entries) => {
    const bytes = writeTorchFile({ entries, ordered: true });
    const back = readTorchStateDict(bytes, 'p.pt');
    assert.deepEqual([...back.tensors.keys()], entries.map((e) => e[0]));
    for (const [name, t] of entries) {
      const r = back.tensors.get(name)!;
      assert.equal(r.dtype, t.dtype);
      assert.deepEqual(r.shape, t.shape);
      assert.deepEqual(Array.from(r.values), Array.from(t.values)); // bit-exact, -0 included
    }
  }), { numRuns: 200, seed: 7 });
});

test("the reference's training-checkpoint dict: the state dict, an int, a float, a boolean and a string at the top level", () => {
  const w: TorchTensor = { dtype: 'float32', shape: [2, 3], values: Float32Array.of(1, 2, 3, 4, 5, 6) };
  const bytes = writeTorchFile({ entries: [['model_state_dict', { entries: [['fc.weight', w]], ordered: true }], ['epoch', 12], ['big', 2 ** 40], ['lr', 0.25], ['final', true], ['note', 'mimonets ✓']] }, 'ckpt');
  const root = readTorchFile(bytes, 'c.pt') as Map<string, unknown>;
  assert.deepEqual([...root.keys()], ['model_state_dict', 'epoch', 'big', 'lr', 'final', 'note']);
  assert.deepEqual([root.get('epoch'), root.get('big'), root.get('lr'), root.get('final'), root.get('note')], [12, 2 ** 40, 0.25, true, 'mimonets ✓']);
  const sd = readTorchStateDict(bytes, 'c.pt');
  assert.equal(sd.key, 'model_state_dict');
  assert.deepEqual(Array.from(sd.tensors.get('fc.weight')!.values), [1, 2, 3, 4, 5, 6]);
  // torch.load's layout: data.pkl first (it names the archive), raw little-endian records, a version record.
  const names = Object.keys(unzipSync(bytes));
  assert.deepEqual(names, ['ckpt/data.pkl', 'ckpt/data/0', 'ckpt/version']);
  assert.deepEqual(Array.from(unzipSync(bytes)['ckpt/data/0'].subarray(0, 4)), [0, 0, 0x80, 0x3f], 'float32 1.0, little-endian');
});

test('writing refuses what it cannot represent, naming it', () => {
  assert.throws(() => writeTorchFile({ entries: [['x', { dtype: 'float32', shape: [2, 2], values: new Float32Array(3) }]] }), /shape \[2,2\] has 3 values, expected 4/);
  assert.throws(() => writeTorchFile({ entries: [['x', { dtype: 'float16', shape: [1], values: new Float32Array(1) }]] }), /writing float16 tensors is not supported/);
  assert.throws(() => writeTorchFile({ entries: [['n', 2 ** 60]] }), /cannot pickle .* as an integer/);
});

// The ONNX evaluation graph against the model it came from, run in ONNX Runtime
// (onnxruntime-node): the same logits to 1e-4 at every n, for HRR, MBAT, no binding and the
// WideResNet, at more than one batch size; and PyTorch's own logits through import → ONNX.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { initBackend } from '../../../src/backend/index.js';
import { convFromTorch } from '../../../src/checkpoint/torch.js';
import { exportMimoConvOnnx, MimoConvNet, operatingPoints, permute, type MimoConvConfig } from '../../../src/models/mimoconv/index.js';
import { assertClose } from '../../helpers/oracle.js';

const DIR = fileURLToPath(new URL('../../../../test/fixtures/torch_reference/', import.meta.url));
const SIZE = 8;

function randomStats(net: MimoConvNet, n: number, seed: number) {
  const stats: Record<string, { mean: tf.Tensor1D; variance: tf.Tensor1D }> = {};
  net.layout.bns.forEach((bn, i) => {
    const ch = net.params[`${bn}.gamma`].shape[0];
    stats[bn] = { mean: tf.randomUniform([ch], -0.3, 0.3, 'float32', seed + i) as tf.Tensor1D, variance: tf.randomUniform([ch], 0.5, 2, 'float32', seed + 500 + i) as tf.Tensor1D };
  });
  net.bnStats.set(n, stats);
}

async function ortLogits(bytes: Uint8Array, x: tf.Tensor4D): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, intraOpNumThreads: 1 });
  const [b, h, w, c] = x.shape;
  const nchw = permute(x.dataSync(), [b, h, w, c], [0, 3, 1, 2]); // NHWC -> NCHW
  const out = await session.run({ images: new ort.Tensor('float32', nchw, [b, c, h, w]) });
  await session.release();
  return out.logits.data as Float32Array;
}

const CONFIGS: Partial<MimoConvConfig>[] = [
  { depth: 10, width: 1, initialWidth: 1, binding: 'hrr', capacity: 4 },
  { depth: 10, width: 1, initialWidth: 2, binding: 'mbat', capacity: 2 },
  { depth: 10, width: 1, initialWidth: 1, binding: 'none', capacity: 2 },
  { arch: 'wrn', depth: 10, width: 1, initialWidth: 1, binding: 'none', capacity: 1 },
];

test('ONNX Runtime gives the model\'s logits (1e-4) at every n and batch size, for every binding and the WRN', async () => {
  await initBackend({});
  let checked = 0;
  for (const [ci, cfg] of CONFIGS.entries()) {
    const net = new MimoConvNet(cfg, 10 + ci);
    for (const n of operatingPoints(net.config)) {
      randomStats(net, n, 100 * ci + n);
      const bytes = exportMimoConvOnnx(net, n, { imageSize: SIZE });
      for (const groups of [1, 3]) {
        const x = tf.randomNormal([groups * n, SIZE, SIZE, 3], 0, 1, 'float32', 7 + n) as tf.Tensor4D;
        const want = tf.tidy(() => net.forward(x, n, { training: false }).logits.dataSync());
        assertClose(await ortLogits(bytes, x), want, 1e-4, `${net.config.arch} ${net.config.binding} N=${net.config.capacity} n=${n} batch ${groups * n}`);
        x.dispose();
        checked++;
      }
    }
    net.dispose();
  }
  assert.equal(checked, 2 * (3 + 2 + 2 + 1));
});

test('the graph: dynamic batch, NCHW input, batch norm folded except the pre-activation ones, opset 13', async () => {
  await initBackend({});
  const net = new MimoConvNet(CONFIGS[0], 3);
  randomStats(net, 2, 1);
  const model = onnxProto.onnx.ModelProto.decode(exportMimoConvOnnx(net, 2));
  const ops = model.graph!.node!.map((n) => n.opType);
  assert.equal(Number(model.opsetImport![0].version), 13);
  const dims = model.graph!.input![0].type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
  assert.deepEqual(dims, ['batch', 3, 32, 32]);
  // One BatchNormalization per block (bn1, before the activation); stem, bn2 and shortcut BNs are folded.
  assert.equal(ops.filter((o) => o === 'BatchNormalization').length, net.layout.blocks.length);
  assert.equal(ops.filter((o) => o === 'PRelu').length, 2 * net.layout.blocks.length);
  assert.deepEqual(Object.fromEntries(model.metadataProps!.map((p) => [p.key, p.value])), { n: '2', capacity: '4', binding: 'hrr', model: 'mimonet-10-1', layout: 'NCHW' });
  assert.throws(() => exportMimoConvOnnx(net, 3), /n=3 must divide N=4/);
  assert.throws(() => exportMimoConvOnnx(net, 4), /no batch-norm statistics for n=4 .*mimo calibrate/);
  net.dispose();
});

test("PyTorch's eval logits survive import → ONNX → ONNX Runtime (1e-4)", async () => {
  await initBackend({});
  const expected = JSON.parse(readFileSync(DIR + 'expected.json', 'utf8')) as Record<string, { input: { shape: number[]; values: number[] }; logits: { values: number[] } }>;
  for (const name of ['mimonet-10-1_hrr_N4', 'mimonet-10-1_mbat_N2', 'wrn-10-1_none_N1']) {
    const { net } = convFromTorch(readFileSync(`${DIR}${name}.pt`), name);
    const e = expected[name];
    const [b, c, h, w] = e.input.shape;
    const x = tf.tensor4d(permute(e.input.values, e.input.shape, [0, 2, 3, 1]), [b, h, w, c]);
    assertClose(await ortLogits(exportMimoConvOnnx(net, net.config.capacity, { imageSize: h }), x), e.logits.values, 1e-4, name);
    x.dispose();
    net.dispose();
  }
});

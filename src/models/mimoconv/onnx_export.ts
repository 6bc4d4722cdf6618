/**
 * A MIMOConv network's evaluation graph at n superposed inputs as ONNX (opset 13), the same
 * computation as forward() with running statistics:
 *   images [B, C, H, W] (NCHW float32, normalised as in training; B a multiple of n)
 *   → stem conv (batch norm folded) → ReLU
 *   → bind and bundle: n consecutive images → one superposition, a 1x1 conv over the n·C0
 *     stacked channels whose block k is Σ_{slots s ≡ k mod n} M_s (HRR circulant / MBAT matrix)
 *   → pre-activation blocks (BatchNormalization → PReLU → conv with the next batch norm folded …)
 *   → global average pool → unbinding Gemm → ReLU → mean over each image's N/n slots → classifier
 *   → logits [B, classes].
 * Batch norms that follow a convolution are folded into it (exact); the pre-activation ones stay.
 */
import * as tf from '@tensorflow/tfjs';
import { hasUnbind, modelName, operatingPoints, widths } from './config.js';
import { slotMatrices } from './forward.js';
import type { MimoConvNet } from './model.js';
import { permute } from './torch_import.js';
import { OnnxGraph } from '../../onnx/graph.js';

export interface OnnxExportOptions {
  /** Spatial size of the input images (default 32); the graph accepts only this size. */
  imageSize?: number;
  producerVersion?: string;
}

/**
 * The serialised ONNX model of `net` at n (needs the batch-norm statistics of n).
 *
 * @example
 * import { writeFileSync } from 'node:fs';
 * import * as tf from '@tensorflow/tfjs';
 * import { exportMimoConvOnnx, initBackend, MimoConvNet } from 'mimonets';
 * await initBackend();
 * const net = new MimoConvNet({ depth: 10, width: 1, initialWidth: 1, capacity: 4 });
 * net.calibrate(4, [tf.randomNormal([16, 32, 32, 3]) as tf.Tensor4D]);
 * const onnx = exportMimoConvOnnx(net, 4); // input 'images' [batch, 3, 32, 32] NCHW, batch a multiple of 4
 * writeFileSync('.cache/example-n4.onnx', onnx);
 * console.log(onnx.length > 100_000); // true
 */
export function exportMimoConvOnnx(net: MimoConvNet, n: number, opts: OnnxExportOptions = {}): Uint8Array {
  const c = net.config;
  const N = c.capacity;
  if (!operatingPoints(c).includes(n)) throw new Error(`ONNX export: n=${n} must divide N=${N} (one of ${operatingPoints(c).join(', ')})`);
  const stats = net.bnStats.get(n);
  if (!stats) throw new Error(`ONNX export: no batch-norm statistics for n=${n} (the checkpoint has n = ${[...net.bnStats.keys()].join(', ') || 'none'}); run mimo calibrate --checkpoint P --n ${n}`);
  const size = opts.imageSize ?? 32;
  const { c0, f } = widths(c);
  const val = (name: string): Float32Array => {
    const t = net.params[name];
    if (!t) throw new Error(`ONNX export: parameter '${name}' missing`);
    return t.dataSync() as Float32Array;
  };
  const shape = (name: string) => net.params[name].shape;
  const g = new OnnxGraph();

  // BN(conv(x)) = conv(x, W·s) + (β − μ·s), s = γ/√(σ² + ε) per output channel.
  const convBn = (x: string, conv: string, bn: string | null, stride: number): string => {
    const [kh, kw, cin, cout] = shape(conv); // HWIO
    const w = permute(val(conv), [kh, kw, cin, cout], [3, 2, 0, 1]); // OIHW
    const p = (kh - 1) / 2, attrs = { kernel_shape: [kh, kw], strides: [stride, stride], pads: [p, p, p, p] };
    if (!bn) return g.node('Conv', [x, g.weight(`${conv}.weight`, [cout, cin, kh, kw], w)], attrs);
    const gamma = val(`${bn}.gamma`), beta = val(`${bn}.beta`);
    const mean = stats[bn].mean.dataSync(), variance = stats[bn].variance.dataSync();
    const bias = new Float32Array(cout);
    const per = cin * kh * kw;
    for (let o = 0; o < cout; o++) {
      const s = gamma[o] / Math.sqrt(variance[o] + c.bnEps);
      for (let i = 0; i < per; i++) w[o * per + i] *= s;
      bias[o] = beta[o] - mean[o] * s;
    }
    return g.node('Conv', [x, g.weight(`${conv}.weight_folded`, [cout, cin, kh, kw], w), g.weight(`${conv}.bias_folded`, [cout], bias)], attrs);
  };
  const act = (x: string, prelu: string): string => {
    if (c.arch !== 'mimonet') return g.node('Relu', [x]);
    const slope = val(prelu);
    return g.node('PRelu', [x, g.weight(prelu, [slope.length, 1, 1], slope)]);
  };
  const batchNorm = (x: string, bn: string): string => {
    const ch = shape(`${bn}.gamma`)[0];
    return g.node('BatchNormalization', [x, g.weight(`${bn}.gamma`, [ch], val(`${bn}.gamma`)), g.weight(`${bn}.beta`, [ch], val(`${bn}.beta`)),
      g.weight(`${bn}.running_mean`, [ch], stats[bn].mean.dataSync()), g.weight(`${bn}.running_var`, [ch], stats[bn].variance.dataSync())], { epsilon: { float: c.bnEps } });
  };

  let h = g.node('Relu', [convBn('images', 'stem.conv', 'stem.bn', 1)]); // [B, C0, H, W]
  if (hasUnbind(c)) {
    // Image k of a group fills slots k, k + n, …: its matrix is the sum of theirs.
    const perImage = tf.tidy(() => {
      const m = slotMatrices(c, net.params); // [N, C0, C0] (out, in) or null (no binding)
      const sum = m ? m.reshape([N / n, n, c0, c0]).sum(0) : tf.eye(c0).mul(N / n).expandDims(0).tile([n, 1, 1]); // [n, C0, C0]
      return sum.transpose([1, 0, 2]).reshape([c0, n * c0]).dataSync() as Float32Array; // [C0_out, n·C0_in]
    });
    const stacked = g.node('Reshape', [h, g.ints('group_shape', [-1, n * c0, 0, 0])]); // [B/n, n·C0, H, W]: n consecutive images
    h = g.node('Conv', [stacked, g.weight('bind_bundle.weight', [c0, n * c0, 1, 1], perImage)], { kernel_shape: [1, 1] }); // [B/n, C0, H, W]
  }
  for (const b of net.layout.blocks) {
    const o = act(batchNorm(h, `${b.prefix}.bn1`), `${b.prefix}.act1`);
    const t = act(convBn(o, `${b.prefix}.conv1`, `${b.prefix}.bn2`, b.stride), `${b.prefix}.act2`);
    const y = convBn(t, `${b.prefix}.conv2`, null, 1);
    const sc = b.shortcut ? convBn(h, `${b.prefix}.shortcut.conv`, `${b.prefix}.shortcut.bn`, b.stride) : h;
    h = g.node('Add', [y, sc]); // [B/n, C', H', W']
  }
  let feats = g.node('Flatten', [g.node('GlobalAveragePool', [h])], { axis: 1 }); // [B/n, F]
  if (hasUnbind(c)) {
    const u = g.node('Relu', [g.node('Gemm', [feats, g.weight('unbind.weight', [f, N * f], val('unbind.weight')), g.weight('unbind.bias', [N * f], val('unbind.bias'))])]); // [B/n, N·F]
    const slots = g.node('Reshape', [u, g.ints('slot_shape', [-1, N / n, n, f])]); // [B/n, N/n, n, F]: slot j·n + k holds image k
    feats = g.node('Reshape', [g.node('ReduceMean', [slots], { axes: [1], keepdims: 0 }), g.ints('image_shape', [-1, f])]); // [B, F]
  }
  g.node('Gemm', [feats, g.weight('fc.weight', [f, c.classes], val('fc.weight')), g.weight('fc.bias', [c.classes], val('fc.bias'))], {}, 'logits');
  return g.encode({
    graphName: `${modelName(c)}_N${N}_n${n}`,
    input: { name: 'images', dims: ['batch', c.inChannels, size, size] },
    output: { name: 'logits', dims: ['batch', c.classes] },
    docString: `mimonets ${modelName(c)} (binding ${c.binding}, N=${N}) at n=${n}: batch a multiple of ${n}, NCHW float32 normalised as in training`,
    producerVersion: opts.producerVersion,
    metadata: { n: String(n), capacity: String(N), binding: c.binding, model: modelName(c), layout: 'NCHW' },
  });
}

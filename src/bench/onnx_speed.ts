/**
 * Inference speed of the native backend against ONNX Runtime on the same network: the model's
 * evaluation graph at each n exported to ONNX (exportMimoConvOnnx) and run by onnxruntime-node
 * with the same threads, on the same images, timed in interleaved rounds so that both engines
 * see the same machine state.
 */
import * as tf from '@tensorflow/tfjs';
import { exportMimoConvOnnx, MimoConvNet, modelName, permute, type MimoConvConfig } from '../models/mimoconv/index.js';
import { cpuSessionOptions, loadOnnxRuntime } from '../onnx/runtime.js';
import { interleavedMediansAsync } from './timing.js';

export interface OnnxSpeedRow {
  n: number;
  native_images_per_s: number;
  onnxruntime_images_per_s: number;
  /** native images/s ÷ ONNX Runtime images/s */
  native_vs_onnxruntime: number;
}

export interface OnnxSpeedResult {
  model: string;
  config: MimoConvConfig;
  onnxruntime: string;
  rows: OnnxSpeedRow[];
}

export async function benchOnnxSpeed(config: Partial<MimoConvConfig>, ns: number[], o: { batch: number; imageSize: number; reps: number; minSeconds: number; threads: number; onProgress?: () => void }): Promise<OnnxSpeedResult> {
  const ort = await loadOnnxRuntime();
  const net = new MimoConvNet(config, 1);
  const held: { release(): Promise<void> }[] = [];
  const tensors: tf.Tensor[] = [];
  try {
    const fns: (() => unknown)[] = [];
    for (const n of ns) {
      const count = o.batch * n, s = o.imageSize;
      const xt = tf.randomNormal([count, s, s, 3], 0, 1, 'float32', n) as tf.Tensor4D; // [B, H, W, C]
      tensors.push(xt);
      net.calibrate(n, [xt]); // running statistics for n: one batch
      const session = await ort.InferenceSession.create(exportMimoConvOnnx(net, n, { imageSize: s }), cpuSessionOptions(o.threads));
      held.push(session);
      const feeds = { images: new ort.Tensor('float32', permute(xt.dataSync(), [count, s, s, 3], [0, 3, 1, 2]), [count, 3, s, s]) }; // NCHW
      fns.push(() => tf.tidy(() => { net.forward(xt, n, { training: false }).logits.dataSync(); }));
      fns.push(() => session.run(feeds));
    }
    const secs = await interleavedMediansAsync(fns, o.reps, o.minSeconds * fns.length);
    fns.forEach(() => o.onProgress?.());
    const rows = ns.map((n, i) => {
      const nat = (o.batch * n) / secs[2 * i], rt = (o.batch * n) / secs[2 * i + 1];
      return { n, native_images_per_s: Math.round(nat), onnxruntime_images_per_s: Math.round(rt), native_vs_onnxruntime: Math.round((nat / rt) * 100) / 100 };
    });
    return { model: modelName(net.config), config: net.config, onnxruntime: ort.env.versions.node ?? 'unknown', rows };
  } finally {
    for (const s of held) await s.release();
    tf.dispose(tensors);
    net.dispose();
  }
}

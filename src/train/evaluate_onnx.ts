/**
 * Evaluation through ONNX Runtime: the network's graph at n exported (exportMimoConvOnnx) and
 * run by onnxruntime-node on the same batches, in the same order, as evaluateConv, so the
 * accuracies of the two engines can be compared image for image.
 */
import { evalPipeline, type ImageDataset } from '../data/index.js';
import { exportMimoConvOnnx, permute, type MimoConvNet } from '../models/mimoconv/index.js';
import { cpuSessionOptions, loadOnnxRuntime } from '../onnx/runtime.js';
import type { EvalOptions, EvalResult } from './evaluate_conv.js';

export async function evaluateConvOnnx(net: MimoConvNet, ds: ImageDataset, n: number, opts: EvalOptions & { threads: number }): Promise<EvalResult> {
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(exportMimoConvOnnx(net, n, { imageSize: ds.height }), cpuSessionOptions(opts.threads));
  try {
    const batch = (opts.batch ?? 128) * n;
    const count = Math.floor(Math.min(opts.images || ds.count, ds.count) / n) * n;
    const indices = Int32Array.from({ length: count }, (_, i) => i);
    const [h, w, c, k] = [ds.height, ds.width, ds.channels, ds.numClasses];
    let correct = 0, seen = 0, lossSum = 0, seconds = 0;
    for (const b of evalPipeline(ds, { batchSize: batch, indices }).batches(0)) {
      const size = b.size - (b.size % n);
      if (size === 0) continue;
      const nchw = permute(b.x.subarray(0, size * h * w * c), [size, h, w, c], [0, 3, 1, 2]); // NHWC -> NCHW
      const t0 = performance.now();
      const out = await session.run({ images: new ort.Tensor('float32', nchw, [size, c, h, w]) });
      seconds += (performance.now() - t0) / 1000;
      const logits = out.logits.data as Float32Array; // [size, classes]
      for (let i = 0; i < size; i++) {
        const row = logits.subarray(i * k, (i + 1) * k);
        let best = 0, max = -Infinity;
        for (let j = 0; j < k; j++) if (row[j] > max) [max, best] = [row[j], j];
        let z = 0;
        for (let j = 0; j < k; j++) z += Math.exp(row[j] - max);
        lossSum += Math.log(z) + max - row[b.y[i]];
        if (best === b.y[i]) correct++;
      }
      seen += size;
      opts.onBatch?.();
    }
    return { n, accuracy: correct / seen, images: seen, images_per_s: seen / seconds, loss: lossSum / seen };
  } finally {
    await session.release();
  }
}

/**
 * MIMOConv networks to and from the reference code's PyTorch checkpoints (`torch.save` files
 * with the reference's state-dict names, ../shared/spec/reference_state_dict.md). The
 * reference's batch-norm running statistics are those of n = N; other n need `mimo calibrate`.
 */
import * as tf from '@tensorflow/tfjs';
import {
  exportReferenceStateDict, importReferenceStateDict, inferReferenceConfig, MimoConvNet, modelName, resolveConfig, type MimoConvConfig,
} from '../models/mimoconv/index.js';
import { readTorchStateDict, TorchFileError, writeTorchFile, type TorchDict } from '../torch/index.js';

export interface ImportedTorch {
  net: MimoConvNet;
  /** Where the state dict was in the file ('' when the file is one), e.g. 'model_state_dict'. */
  key: string;
  strippedPrefix: string;
  /** The training checkpoint's epoch, when the file has one. */
  epoch: number | null;
  tensors: number;
}

/**
 * A network from a reference `.pt` file. The configuration is read off the tensors; `given`
 * (e.g. from --model/--capacity) must agree with it, else the error names the tensor that differs.
 * `convToTorch` writes the other way.
 *
 * @example
 * import { readFileSync, writeFileSync } from 'node:fs';
 * import * as tf from '@tensorflow/tfjs';
 * import { convFromTorch, convToTorch, initBackend, MimoConvNet } from 'mimonets';
 * await initBackend();
 * const net = new MimoConvNet({ depth: 10, width: 1, initialWidth: 1, capacity: 2 });
 * net.calibrate(2, [tf.randomNormal([8, 32, 32, 3]) as tf.Tensor4D]); // the reference keeps n = N statistics
 * writeFileSync('.cache/example.pt', convToTorch(net));        // torch.load(f)['model_state_dict'] in PyTorch
 * const back = convFromTorch(readFileSync('.cache/example.pt'), 'example.pt');
 * console.log(back.tensors, back.net.config.capacity); // 68 2
 */
export function convFromTorch(bytes: Uint8Array, file: string, given: Partial<MimoConvConfig> = {}): ImportedTorch {
  const sd = readTorchStateDict(bytes, file);
  let config: MimoConvConfig;
  let params: ReturnType<typeof importReferenceStateDict>;
  try {
    const inferred = inferReferenceConfig(sd.tensors);
    config = resolveConfig({ ...inferred, ...given });
    params = importReferenceStateDict(config, sd.tensors);
  } catch (e) {
    throw new TorchFileError(`${file}${sd.key ? ` (its '${sd.key}')` : ''}: ${(e as Error).message}`);
  }
  const net = new MimoConvNet(config, 0, params.params);
  net.bnStats.set(config.capacity, Object.fromEntries(Object.entries(params.stats).map(([layer, s]) => [layer, { mean: tf.tensor1d(s.mean), variance: tf.tensor1d(s.variance) }])));
  const epoch = typeof sd.extras.epoch === 'number' ? sd.extras.epoch : null;
  return { net, key: sd.key, strippedPrefix: sd.strippedPrefix, epoch, tensors: sd.tensors.size };
}

/**
 * The bytes of a reference `.pt` file for `net`, with the batch-norm statistics of n = N:
 * by default the reference's training-checkpoint dict `{ model_state_dict, epoch }` (what its
 * `--transfer_learning_path` loads), with `bare` the state dict alone (`model.load_state_dict`).
 */
export function convToTorch(net: MimoConvNet, opts: { bare?: boolean; epoch?: number } = {}): Uint8Array {
  const c = net.config, n = c.capacity;
  const stats = net.bnStats.get(n);
  if (!stats) {
    throw new Error(`${modelName(c)} N=${n} has no batch-norm statistics for n=${n}, and the reference keeps only those; run mimo calibrate --checkpoint P --n ${n} first`);
  }
  const params = Object.fromEntries(Object.entries(net.params).map(([k, v]) => [k, { shape: v.shape, values: v.dataSync() as Float32Array }]));
  const statValues = Object.fromEntries(Object.entries(stats).map(([k, s]) => [k, { mean: s.mean.dataSync() as Float32Array, variance: s.variance.dataSync() as Float32Array }]));
  const stateDict: TorchDict = { entries: exportReferenceStateDict(c, params, statValues), ordered: true };
  return writeTorchFile(opts.bare ? stateDict : { entries: [['model_state_dict', stateDict], ['epoch', opts.epoch ?? 0]] });
}

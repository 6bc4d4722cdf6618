/**
 * mimonets: computation in superposition (MIMONets, NeurIPS 2023) on TensorFlow.js.
 *
 * The public API: the backend, the vector-symbolic core (bind, unbind, bundle, keys,
 * regularisers), MIMOConv and MIMOFormer, training and evaluation, checkpoints and datasets.
 * The HTTP server is a subpath: `import { startServer } from 'mimonets/serve'`.
 *
 * @example
 * import * as tf from '@tensorflow/tfjs';
 * import { initBackend, MimoConvNet } from 'mimonets';
 * await initBackend(); // 'native' (oneDNN) when the addon is built, else tfjs's 'cpu'
 * const net = new MimoConvNet({ depth: 10, width: 1, initialWidth: 1, capacity: 4 }); // N = 4
 * const x = tf.randomNormal([8, 32, 32, 3]) as tf.Tensor4D;      // 8 images, NHWC
 * const { logits } = net.forward(x, 4, { training: true });       // 2 superpositions of 4 images
 * logits.shape; // [8, 10]: one prediction per image
 */
// Backend
export { initBackend, type BackendInfo, type BackendOptions } from './backend/index.js';
// The vector-symbolic core: pure tensor functions.
export * from './vsa/index.js';
// MIMOConv
export * from './models/mimoconv/index.js';
export * from './models/superpose/index.js';
// MIMOFormer
export { MimoFormer } from './models/mimoformer/model.js';
export { MIMOFORMER_DEFAULTS, positions, resolveFormerConfig, type MimoFormerConfig, type Scheme } from './models/mimoformer/config.js';
export { favorAttention, orthogonalRandomFeatures } from './models/mimoformer/favor.js';
export { mimoAttention, superposedAttention, type Grid } from './models/mimoformer/mimo_attention.js';
export { formerMacsPerSequence } from './models/mimoformer/cost.js';
// Training and evaluation
export { trainConv, type TrainConvOptions, type TrainConvResult } from './train/conv_trainer.js';
export { CONV_RECIPES, DEFAULT_CONV_RECIPE, resolveTrainConfig, TRAIN_CONV_DEFAULTS, type ConvRecipe, type TrainConvConfig } from './train/conv_config.js';
export { evaluateConv, type EvalOptions, type EvalResult } from './train/evaluate_conv.js';
export { calibrateFromTraining } from './train/calibrate.js';
export { warmStart } from './train/warm_start.js';
export { trainFormer, evaluateFormer, loadFormerCheckpoint, TRAIN_FORMER_DEFAULTS, type FormerMeta, type TrainFormerConfig, type TrainFormerOptions } from './train/former_trainer.js';
export { oneCycle, type OneCycleConfig } from './train/one_cycle.js';
export { Sgd, clipGradNorm, type SgdOptions } from './train/sgd.js';
// Checkpoints
export {
  CHECKPOINT_FORMAT_VERSION, CheckpointError, readCheckpoint, readCheckpointMeta, updateCheckpointMeta, writeCheckpoint,
  type Checkpoint, type CheckpointErrorCode, type CheckpointTensor, type WriteOptions,
} from './checkpoint/index.js';
export { loadConvCheckpoint, saveConvCheckpoint, type ConvCheckpointMeta, type EpochMetrics, type LoadedConv, type TrainState } from './checkpoint/conv.js';
export { convFromTorch, convToTorch, type ImportedTorch } from './checkpoint/torch.js';
// PyTorch .pt files (torch.save's zip format) without Python
export { readTorchFile, readTorchStateDict, TorchFileError, writeTorchFile, type TorchDict, type TorchDtype, type TorchStateDict, type TorchTensor, type TorchValue } from './torch/index.js';
// Datasets (official formats)
export {
  checkImageDataset, CIFAR10_CLASS_NAMES, CIFAR10_MEAN, CIFAR10_STD, CIFAR100_MEAN, CIFAR100_STD, DataError, DATA_DIR_ENV,
  defaultNormalization, evalPipeline, holdOut, IMAGE_DATASETS, ImagePipeline, loadCifar10, loadCifar100, loadImageDataset,
  loadImdb, loadMnist, resolveDataDir, trainPipeline,
  type Batch, type ImageDataset, type ImageDatasetName, type PipelineOptions, type Split, type TextDataset,
} from './data/index.js';

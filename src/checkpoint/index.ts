/**
 * The mimonets checkpoint file (format.ts documents the bytes): writing, reading, and the
 * MIMOConv family's training state (conv.ts). Pure Node + typed arrays here except conv.ts, so
 * checkpoints can be inspected and converted without loading a backend.
 */
export {
  CHECKPOINT_FORMAT_VERSION, CheckpointError, type Checkpoint, type CheckpointErrorCode, type CheckpointTensor, type WriteOptions,
} from './format.js';
export { writeCheckpoint } from './write.js';
export { readCheckpoint, readCheckpointMeta, updateCheckpointMeta } from './read.js';
export { crc32 } from '../util/crc32.js';
export { float16ToFloat32, float32ToFloat16, FLOAT16_MAX } from '../util/float16.js';

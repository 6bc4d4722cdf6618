/**
 * The mimonets checkpoint file: model weights, optimizer state and training state in one file
 * that can be written atomically, read back in a single `readFileSync`, and checked for damage.
 *
 * Pure Node + typed arrays (no tfjs), so checkpoints can be inspected, validated and converted
 * without loading a backend.
 *
 * ## Format, version 1 (all integers little-endian)
 *
 * ```text
 * offset        size  content
 * 0             8     magic: the ASCII bytes "MIMOCKPT"
 * 8             4     uint32 format version (1)
 * 12            4     uint32 H: byte length of the header
 * 16            H     header: UTF-8 JSON
 *                       { "meta": {...},
 *                         "tensors": [ { "name": string, "shape": number[],
 *                                        "dtype": "float32" | "float16",
 *                                        "offset": number, "length": number }, ... ] }
 * 16+H          0..7  zero padding, so the data section D starts at a multiple of 8
 * D             ...   tensor data: each tensor's row-major values, little-endian IEEE float32
 *                     or float16, at byte D + offset with `length` bytes
 *                     (length = product(shape) * 4 or 2); the writer puts each tensor at an
 *                     offset that is a multiple of 8 and fills the gaps with zeros
 * end - 4       4     uint32 CRC-32 (IEEE 802.3 / zlib polynomial) of every byte before it
 * ```
 *
 * The file size is therefore exactly D + max(offset + length) + 4 (D + 4 with no tensors); a
 * reader that finds fewer bytes knows the file is truncated, and says by how much.
 *
 * Offsets are relative to D (not to the file start) so the header never depends on its own
 * length. Keeping every tensor 8-byte aligned lets the reader hand out `Float32Array` views into
 * the file buffer instead of copies.
 *
 * The format's types, constants and errors; writing is in write.ts, reading in read.ts.
 *
 * @module
 */
import { endianness } from 'node:os';

/** One tensor: its shape and its row-major values. */
export interface CheckpointTensor {
  shape: number[];
  values: Float32Array;
}

/** A whole checkpoint: JSON metadata plus named float tensors. */
export interface Checkpoint {
  /** JSON-serialisable: resolved configs, training state (epoch, step, RNG seeds, schedule state), metrics history. */
  meta: Record<string, unknown>;
  tensors: Record<string, CheckpointTensor>;
}

/** Options for {@link writeCheckpoint}. */
export interface WriteOptions {
  /** store tensors as IEEE float16 (halves the size; values are rounded) */
  fp16?: boolean;
  /** names of tensors to keep in float32 even with fp16 (e.g. optimizer state) */
  keepFp32?: (name: string) => boolean;
}

/** What went wrong, for callers that react differently (e.g. `missing` means "start fresh"). */
export type CheckpointErrorCode =
  | 'missing'
  | 'not-a-checkpoint'
  | 'unsupported-version'
  | 'truncated'
  | 'corrupt'
  | 'invalid-header'
  | 'invalid-input'
  | 'write-failed'
  | 'read-failed';

/**
 * An error about a checkpoint file. The message names the file, what was expected, what was
 * found, and how to fix it.
 *
 * @example
 * try { readCheckpoint('runs/a/last.ckpt'); }
 * catch (e) { if (e instanceof CheckpointError && e.code === 'missing') startFresh(); else throw e; }
 */
export class CheckpointError extends Error {
  /** The checkpoint file the error is about. */
  readonly path: string;
  /** The kind of failure. */
  readonly code: CheckpointErrorCode;

  constructor(path: string, code: CheckpointErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CheckpointError';
    this.path = path;
    this.code = code;
  }
}

/** The first 8 bytes of every checkpoint. */
export const MAGIC = 'MIMOCKPT';
export const MAGIC_BYTES = Buffer.from(MAGIC, 'latin1');
/** The only format version this code reads and writes. */
export const CHECKPOINT_FORMAT_VERSION = 1;
/** magic + version + header length. */
export const PREFIX_BYTES = 16;
export const CRC_BYTES = 4;
/** Tensors start on 8-byte boundaries so Float32Array (and any future float64) views are legal. */
export const ALIGN = 8;
export const LITTLE_ENDIAN = endianness() === 'LE';

export type DType = 'float32' | 'float16';
export const BYTES_PER: Record<DType, number> = { float32: 4, float16: 2 };

export interface TensorEntry {
  name: string;
  shape: number[];
  dtype: DType;
  offset: number;
  length: number;
}

export const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;
export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
export const fmtShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

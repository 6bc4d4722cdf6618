/** Writing checkpoints atomically (temp file, fsync, rename), checksummed, optionally in float16. */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { crc32 } from '../util/crc32.js';
import { encodeF16Range, FLOAT16_MAX } from '../util/float16.js';
import {
  align, ALIGN, BYTES_PER, CHECKPOINT_FORMAT_VERSION, CheckpointError, CRC_BYTES, fmtShape, LITTLE_ENDIAN, MAGIC_BYTES, numel, PREFIX_BYTES,
  type Checkpoint, type DType, type TensorEntry, type WriteOptions,
} from './format.js';

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Buffers small writes into one staging buffer (a model has hundreds of small tensors; one
 * syscall each would dominate) and passes large ones straight through, checksumming every byte.
 */
class ChecksummedWriter {
  private readonly staging = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  crc = 0;
  bytes = 0;

  constructor(private readonly fd: number) {}

  write(chunk: Uint8Array): void {
    this.crc = crc32(chunk, this.crc);
    this.bytes += chunk.length;
    if (chunk.length >= this.staging.length) {
      this.flush();
      this.writeAll(chunk);
      return;
    }
    if (this.used + chunk.length > this.staging.length) this.flush();
    this.staging.set(chunk, this.used);
    this.used += chunk.length;
  }

  /** Writes without checksumming: for the trailing CRC itself. */
  writeRaw(chunk: Uint8Array): void {
    this.flush();
    this.writeAll(chunk);
    this.bytes += chunk.length;
  }

  flush(): void {
    if (this.used > 0) this.writeAll(this.staging.subarray(0, this.used));
    this.used = 0;
  }

  private writeAll(chunk: Uint8Array): void {
    // writeSync may write less than asked (rare for files, but allowed); loop until done.
    let done = 0;
    while (done < chunk.length) done += writeSync(this.fd, chunk, done, chunk.length - done);
  }
}

/** Why a meta value would not survive JSON, or undefined if it would. */
function jsonProblem(v: unknown, inArray: boolean): string | undefined {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(v) ? undefined : `is ${v}, which JSON cannot represent (it would become null)`;
    case 'undefined':
      // JSON drops undefined object properties (reading them back still gives undefined), but in
      // an array it would turn into null.
      return inArray ? 'is undefined, which JSON turns into null inside an array' : undefined;
    case 'object':
      if (v === null || Array.isArray(v)) return undefined;
      {
        const proto = Object.getPrototypeOf(v);
        if (proto === Object.prototype || proto === null) return undefined;
        const kind = (v as object).constructor?.name ?? 'object';
        return `is a ${kind}, which does not round-trip through JSON (use a plain object, array, or Array.from(...) for typed arrays)`;
      }
    default:
      return `is a ${typeof v}, which JSON cannot store`;
  }
}

/** Throws if `meta` would not read back as written: JSON would silently drop or change it. */
function checkMeta(path: string, meta: unknown): void {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new CheckpointError(path, 'invalid-input',
      `${path}: expected meta to be a plain object, found ${meta === null ? 'null' : Array.isArray(meta) ? 'an array' : typeof meta}. Pass meta as { ... }.`);
  }
  const onPath = new Set<object>();
  const walk = (v: unknown, where: string, inArray: boolean): void => {
    const problem = jsonProblem(v, inArray);
    if (problem) {
      throw new CheckpointError(path, 'invalid-input',
        `${path}: expected meta to be JSON-serialisable, found ${where} ${problem}. Convert it before writing (e.g. store non-finite numbers as strings or null).`);
    }
    if (typeof v !== 'object' || v === null) return;
    if (onPath.has(v)) {
      throw new CheckpointError(path, 'invalid-input',
        `${path}: expected meta to be JSON-serialisable, found ${where} refers back to one of its parents (a cycle). Store a copy without the cycle.`);
    }
    onPath.add(v);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${where}[${i}]`, true));
    else for (const [k, x] of Object.entries(v)) walk(x, `${where}.${k}`, false);
    onPath.delete(v);
  };
  walk(meta, 'meta', false);
}

/** Validates the tensors and lays them out; throws before any file is touched. */
function planTensors(path: string, ckpt: Checkpoint, opts: WriteOptions): { entries: TensorEntry[]; dataBytes: number } {
  if (typeof ckpt.tensors !== 'object' || ckpt.tensors === null) {
    throw new CheckpointError(path, 'invalid-input', `${path}: expected tensors to be an object of named tensors, found ${String(ckpt.tensors)}. Pass tensors: {} if there are none.`);
  }
  const entries: TensorEntry[] = [];
  let cursor = 0;
  for (const [name, t] of Object.entries(ckpt.tensors)) {
    const bad = (found: string, fix: string): never => {
      throw new CheckpointError(path, 'invalid-input', `${path}: tensor "${name}": ${found}. ${fix}`);
    };
    if (name === '') bad('the name is empty', 'Give every tensor a non-empty name.');
    if (!t || !(t.values instanceof Float32Array)) {
      bad(`expected values to be a Float32Array, found ${t ? Object.prototype.toString.call(t.values) : String(t)}`,
        'Convert with Float32Array.from(...) (or tensor.dataSync() for a tfjs float32 tensor).');
    }
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      bad(`expected shape to be an array of non-negative integers, found ${JSON.stringify(t.shape)}`, 'Fix the shape.');
    }
    const n = numel(t.shape);
    if (n !== t.values.length) {
      bad(`expected ${n} values for shape ${fmtShape(t.shape)}, found ${t.values.length}`, 'Fix the shape or the values before writing.');
    }
    const dtype: DType = opts.fp16 && !(opts.keepFp32?.(name) ?? false) ? 'float16' : 'float32';
    const offset = align(cursor);
    const length = n * BYTES_PER[dtype];
    entries.push({ name, shape: [...t.shape], dtype, offset, length });
    cursor = offset + length;
  }
  return { entries, dataBytes: cursor };
}

/** Streams one tensor's little-endian bytes into the writer. */
function writeTensor(path: string, w: ChecksummedWriter, e: TensorEntry, values: Float32Array): void {
  if (e.dtype === 'float32') {
    if (LITTLE_ENDIAN) {
      w.write(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    } else {
      const le = new Uint8Array(values.byteLength);
      const dv = new DataView(le.buffer);
      for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i], true);
      w.write(le);
    }
    return;
  }
  // float16: encode in chunks to bound the extra memory; an overflow aborts the write midway,
  // which is fine because the temp file is then discarded.
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const CHUNK = 1 << 18;
  const scratch = new Uint16Array(Math.min(CHUNK, values.length));
  const scratchBytes = new Uint8Array(scratch.buffer);
  for (let start = 0; start < values.length; start += CHUNK) {
    const end = Math.min(values.length, start + CHUNK);
    const bad = encodeF16Range(bits, scratch, start, end);
    if (bad >= 0) {
      throw new CheckpointError(path, 'invalid-input',
        `${path}: tensor "${e.name}" cannot be stored as float16: expected values within ±${FLOAT16_MAX}, found ${values[bad]} at index ${bad}. ` +
        `Keep this tensor in float32 (keepFp32: (name) => name === ${JSON.stringify(e.name)}) or write without fp16.`);
    }
    const n = end - start;
    if (!LITTLE_ENDIAN) {
      for (let i = 0; i < n; i++) scratch[i] = ((scratch[i] & 0xff) << 8) | (scratch[i] >>> 8);
    }
    w.write(scratchBytes.subarray(0, n * 2));
  }
}

/**
 * Writes a checkpoint atomically: the data goes to `${path}.tmp-${pid}` in the same folder,
 * is fsynced, and is renamed over `path`; the folder is then fsynced where the platform allows.
 * A crash or error at any point leaves either the old file or the new one, never a mix, and the
 * temp file is removed on error. Parent folders are created as needed.
 *
 * With `fp16`, tensors are stored as float16 (rounded to nearest even) except those for which
 * `keepFp32(name)` is true. A finite value beyond ±65504 throws a {@link CheckpointError} naming
 * the tensor instead of silently becoming infinite. NaN and ±Infinity are stored as they are.
 *
 * `meta` must survive JSON unchanged: non-finite numbers, typed arrays, Maps, class instances,
 * functions and cycles throw rather than being silently altered.
 *
 * @returns the size of the written file in bytes.
 * @throws {CheckpointError} `invalid-input` for bad tensors/meta, `write-failed` for I/O errors.
 *
 * @example
 * const { bytes } = writeCheckpoint('runs/a/epoch3.ckpt', {
 *   meta: { config, epoch: 3, step: 1170, seed: 0, history },
 *   tensors: { 'conv1/kernel': { shape: [3, 3, 3, 16], values: kernel.dataSync() as Float32Array } },
 * }, { fp16: true, keepFp32: (name) => name.startsWith('optimizer/') });
 */
export function writeCheckpoint(path: string, ckpt: Checkpoint, opts: WriteOptions = {}): { bytes: number } {
  // Everything that can be checked up front is, so bad input never creates a file.
  checkMeta(path, ckpt.meta);
  const { entries, dataBytes } = planTensors(path, ckpt, opts);
  const headerBytes = Buffer.from(JSON.stringify({ meta: ckpt.meta, tensors: entries }), 'utf8');
  if (headerBytes.length > 0xffffffff) {
    throw new CheckpointError(path, 'invalid-input', `${path}: expected a header under 4 GiB, found ${headerBytes.length} bytes of meta. Store less in meta.`);
  }
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC_BYTES.copy(prefix, 0);
  prefix.writeUInt32LE(CHECKPOINT_FORMAT_VERSION, 8);
  prefix.writeUInt32LE(headerBytes.length, 12);
  const dataStart = align(PREFIX_BYTES + headerBytes.length);
  const zeros = new Uint8Array(ALIGN);

  const dir = dirname(resolve(path));
  const tmp = `${path}.tmp-${process.pid}`;
  let fd: number | undefined;
  let w: ChecksummedWriter | undefined;
  try {
    mkdirSync(dir, { recursive: true });
    fd = openSync(tmp, 'w');
    w = new ChecksummedWriter(fd);
    w.write(prefix);
    w.write(headerBytes);
    w.write(zeros.subarray(0, dataStart - PREFIX_BYTES - headerBytes.length));
    let pos = 0;
    for (const e of entries) {
      w.write(zeros.subarray(0, e.offset - pos));
      writeTensor(path, w, e, ckpt.tensors[e.name].values);
      pos = e.offset + e.length;
    }
    const trailer = Buffer.alloc(CRC_BYTES);
    trailer.writeUInt32LE(w.crc, 0);
    w.writeRaw(trailer);
    if (w.bytes !== dataStart + dataBytes + CRC_BYTES) throw new Error(`internal error: wrote ${w.bytes} bytes, planned ${dataStart + dataBytes + CRC_BYTES}`);
    // The data must be on disk before the rename makes it visible; otherwise a power cut can
    // leave a renamed but empty file.
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) {
      try { closeSync(fd); } catch { /* already failing; the original error matters */ }
    }
    rmSync(tmp, { force: true });
    if (err instanceof CheckpointError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new CheckpointError(path, 'write-failed',
      `${path}: could not write the checkpoint: expected to write ${dataStart + dataBytes + CRC_BYTES} bytes via ${tmp}, found error: ${msg}. ` +
      'Any previous checkpoint at this path is untouched. Check that the folder is writable, the disk has space, and the path is not a directory.', { cause: err });
  }
  // Persist the rename itself. Directories cannot be opened/fsynced on some platforms (Windows),
  // and the checkpoint is already complete and in place, so failures here are not errors.
  try {
    const dfd = openSync(dir, 'r');
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch { /* best effort */ }
  return { bytes: w.bytes };
}

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
 * @module
 */
import {
  closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync,
} from 'node:fs';
import { endianness } from 'node:os';
import { dirname, resolve } from 'node:path';
import { crc32 } from '../util/crc32.js';
import { encodeF16Range, float16ToFloat32, FLOAT16_MAX } from '../util/float16.js';
import { plural } from '../util/plural.js';

export { crc32 } from '../util/crc32.js';
export { float16ToFloat32, float32ToFloat16, FLOAT16_MAX } from '../util/float16.js';

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
const MAGIC = 'MIMOCKPT';
const MAGIC_BYTES = Buffer.from(MAGIC, 'latin1');
/** The only format version this code reads and writes. */
export const CHECKPOINT_FORMAT_VERSION = 1;
/** magic + version + header length. */
const PREFIX_BYTES = 16;
const CRC_BYTES = 4;
/** Tensors start on 8-byte boundaries so Float32Array (and any future float64) views are legal. */
const ALIGN = 8;
const LITTLE_ENDIAN = endianness() === 'LE';

type DType = 'float32' | 'float16';
const BYTES_PER: Record<DType, number> = { float32: 4, float16: 2 };

interface TensorEntry {
  name: string;
  shape: number[];
  dtype: DType;
  offset: number;
  length: number;
}

const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;
const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const fmtShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

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

// ---------------------------------------------------------------------------------------------
// Reading

const STALE_HINT =
  'The run was probably killed mid-write by something other than writeCheckpoint (which writes atomically), ' +
  'or the file was copied only partially; copy it again or resume from an earlier checkpoint.';
const CORRUPT_HINT = 'The file was damaged after it was written (disk, transfer or edit); restore it from a good copy or resume from an earlier checkpoint.';

/** Printable rendering of the first bytes of a file, for "not a checkpoint" messages. */
function describeStart(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes.subarray(0, 8)) s += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  let guess = '';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) guess = ' (a zip archive, e.g. a PyTorch .pt file)';
  else if (bytes[0] === 0x80) guess = ' (a Python pickle)';
  else if (bytes[0] === 0x93 && bytes[1] === 0x4e) guess = ' (a NumPy .npy file)';
  else if (bytes[0] === 0x7b || bytes[0] === 0x5b) guess = ' (looks like JSON, e.g. a tfjs model.json)';
  return `"${s}"${guess}`;
}

/** Checks magic, version and header length; returns the header length. */
function checkPrefix(path: string, prefix: Uint8Array, fileSize: number): number {
  if (fileSize === 0) {
    throw new CheckpointError(path, 'truncated',
      `${path} is empty: expected a mimonets checkpoint of at least ${PREFIX_BYTES + CRC_BYTES} bytes starting with "${MAGIC}", found 0 bytes. ${STALE_HINT}`);
  }
  const m = Math.min(8, prefix.length);
  for (let i = 0; i < m; i++) {
    if (prefix[i] !== MAGIC_BYTES[i]) {
      throw new CheckpointError(path, 'not-a-checkpoint',
        `${path} is not a mimonets checkpoint: expected it to start with "${MAGIC}", found it starts with ${describeStart(prefix)}. ` +
        'Pass a file written by writeCheckpoint.');
    }
  }
  if (fileSize < PREFIX_BYTES) {
    throw new CheckpointError(path, 'truncated',
      `${path} is truncated: expected at least ${PREFIX_BYTES + CRC_BYTES} bytes, found ${fileSize}. ${STALE_HINT}`);
  }
  const dv = new DataView(prefix.buffer, prefix.byteOffset, PREFIX_BYTES);
  const version = dv.getUint32(8, true);
  if (version !== CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointError(path, 'unsupported-version',
      `${path} has an unsupported checkpoint format version: expected ${CHECKPOINT_FORMAT_VERSION}, found ${version}. ` +
      (version > CHECKPOINT_FORMAT_VERSION
        ? 'It was written by a newer mimonets; upgrade mimonets to read it.'
        : 'The version field is invalid, so the file is probably corrupt; restore it from a good copy.'));
  }
  const headerLength = dv.getUint32(12, true);
  if (fileSize < PREFIX_BYTES + headerLength + CRC_BYTES) {
    throw new CheckpointError(path, 'truncated',
      `${path} is truncated: its header alone says the file has at least ${PREFIX_BYTES + headerLength + CRC_BYTES} bytes, found ${fileSize}. ${STALE_HINT}`);
  }
  return headerLength;
}

/** Parses and validates the header JSON; returns a reason string instead of throwing. */
function parseHeader(bytes: Uint8Array): { meta: Record<string, unknown>; tensors: TensorEntry[] } | string {
  let h: unknown;
  try {
    h = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    return `the header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`;
  }
  if (typeof h !== 'object' || h === null || Array.isArray(h)) return 'the header is not a JSON object';
  const { meta, tensors } = h as { meta?: unknown; tensors?: unknown };
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return 'header.meta is not an object';
  if (!Array.isArray(tensors)) return 'header.tensors is not an array';
  const seen = new Set<string>();
  const out: TensorEntry[] = [];
  for (const [i, raw] of tensors.entries()) {
    const t = raw as Partial<TensorEntry> | null;
    const where = `header.tensors[${i}]`;
    if (typeof t !== 'object' || t === null) return `${where} is not an object`;
    if (typeof t.name !== 'string' || t.name === '') return `${where}.name is not a non-empty string`;
    const label = `tensor "${t.name}"`;
    if (seen.has(t.name)) return `${label} appears twice`;
    seen.add(t.name);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      return `${label} has shape ${JSON.stringify(t.shape)}, not an array of non-negative integers`;
    }
    if (t.dtype !== 'float32' && t.dtype !== 'float16') return `${label} has dtype ${JSON.stringify(t.dtype)}, expected "float32" or "float16"`;
    if (!Number.isSafeInteger(t.offset) || (t.offset as number) < 0) return `${label} has offset ${JSON.stringify(t.offset)}, not a non-negative integer`;
    const want = numel(t.shape) * BYTES_PER[t.dtype];
    if (t.length !== want) {
      return `${label} has shape ${fmtShape(t.shape)} and dtype ${t.dtype}, which needs ${want} bytes, but its length is ${JSON.stringify(t.length)}`;
    }
    if ((t.offset as number) % BYTES_PER[t.dtype] !== 0) return `${label} has offset ${t.offset}, not a multiple of its ${BYTES_PER[t.dtype]}-byte element size`;
    out.push({ name: t.name, shape: t.shape, dtype: t.dtype, offset: t.offset as number, length: want });
  }
  const sorted = [...out].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const p = sorted[i - 1];
    if (p.offset + p.length > sorted[i].offset) return `tensors "${p.name}" and "${sorted[i].name}" overlap`;
  }
  return { meta: meta as Record<string, unknown>, tensors: out };
}

/** Whether the trailing CRC matches: the whole file must be in `buf`. */
function crcMatches(buf: Uint8Array): { ok: boolean; stored: number; computed: number } {
  const end = buf.length - CRC_BYTES;
  const stored = new DataView(buf.buffer, buf.byteOffset + end, CRC_BYTES).getUint32(0, true);
  const computed = crc32(buf.subarray(0, end));
  return { ok: stored === computed, stored, computed };
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

function corruptError(path: string, c: { stored: number; computed: number }): CheckpointError {
  return new CheckpointError(path, 'corrupt',
    `${path} is corrupt: expected CRC-32 ${hex(c.stored)} (stored in the file), found ${hex(c.computed)} for its contents. ${CORRUPT_HINT}`);
}

/**
 * A header that fails to parse is either damage (then the checksum disagrees, and "corrupt" is
 * the useful diagnosis) or a file from a broken writer (checksum agrees).
 */
function badHeaderError(path: string, reason: string, wholeFile: () => Uint8Array): CheckpointError {
  const file = wholeFile();
  if (file.length >= PREFIX_BYTES + CRC_BYTES) {
    const c = crcMatches(file);
    if (!c.ok) return corruptError(path, c);
  }
  return new CheckpointError(path, 'invalid-header',
    `${path} has an invalid header: expected UTF-8 JSON { meta: {...}, tensors: [{ name, shape, dtype, offset, length }] } with consistent sizes, found ${reason}. ` +
    'The file was not written by writeCheckpoint (or by a buggy version of it); re-create it with writeCheckpoint.');
}

/** Checks the file size against the tensor table; returns the data start offset. */
function checkSize(path: string, headerLength: number, tensors: TensorEntry[], fileSize: number): number {
  const dataStart = align(PREFIX_BYTES + headerLength);
  const dataEnd = tensors.reduce((m, t) => Math.max(m, t.offset + t.length), 0);
  const expected = dataStart + dataEnd + CRC_BYTES;
  if (fileSize < expected) {
    throw new CheckpointError(path, 'truncated',
      `${path} is truncated: expected ${expected} bytes (header + ${plural(tensors.length, 'tensor')} + checksum), found ${fileSize} (${expected - fileSize} missing). ${STALE_HINT}`);
  }
  if (fileSize > expected) {
    throw new CheckpointError(path, 'corrupt',
      `${path} is corrupt: expected ${expected} bytes (header + ${plural(tensors.length, 'tensor')} + checksum), found ${fileSize} (${fileSize - expected} extra at the end). ` +
      'Something appended to the file or the header was damaged; restore it from a good copy or resume from an earlier checkpoint.');
  }
  return dataStart;
}

function readFailed(path: string, err: unknown): CheckpointError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') {
    return new CheckpointError(path, 'missing',
      `${path} does not exist: expected a checkpoint file (resolved to ${resolve(path)}), found nothing there. ` +
      'Check the path, or train first so a checkpoint gets written.', { cause: err });
  }
  if (code === 'EISDIR') {
    return new CheckpointError(path, 'read-failed',
      `${path} is a directory: expected a checkpoint file. Pass the path of a .ckpt file inside it.`, { cause: err });
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new CheckpointError(path, 'read-failed',
    `${path} could not be read: expected a readable checkpoint file, found error: ${msg}. Check the file's permissions.`, { cause: err });
}

/** Float32 values of one stored tensor: a view into `buf` when aligned, else a copy. */
function tensorValues(buf: Buffer, pos: number, e: TensorEntry): Float32Array {
  const n = e.length / BYTES_PER[e.dtype];
  const at = buf.byteOffset + pos;
  if (e.dtype === 'float32') {
    if (LITTLE_ENDIAN && at % 4 === 0) return new Float32Array(buf.buffer, at, n);
    const out = new Float32Array(n);
    if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(buf.subarray(pos, pos + e.length));
    else for (let i = 0; i < n; i++) out[i] = buf.readFloatLE(pos + i * 4);
    return out;
  }
  let halves: Uint16Array;
  if (LITTLE_ENDIAN && at % 2 === 0) halves = new Uint16Array(buf.buffer, at, n);
  else {
    halves = new Uint16Array(n);
    for (let i = 0; i < n; i++) halves[i] = buf.readUInt16LE(pos + i * 2);
  }
  return float16ToFloat32(halves);
}

/**
 * Reads and fully validates a checkpoint: one `readFileSync`, then magic, version, header,
 * size and CRC-32 checks, each failing with a {@link CheckpointError} that says what was
 * expected, what was found and what to do. float32 tensors are views into the file buffer
 * (no copy; they keep that buffer alive), float16 tensors are decoded into new Float32Arrays.
 * The file is never modified.
 *
 * @example
 * const { meta, tensors } = readCheckpoint('runs/a/epoch3.ckpt');
 * const kernel = tf.tensor(tensors['conv1/kernel'].values, tensors['conv1/kernel'].shape);
 */
export function readCheckpoint(path: string): Checkpoint {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw readFailed(path, err);
  }
  const headerLength = checkPrefix(path, buf.subarray(0, PREFIX_BYTES), buf.length);
  const parsed = parseHeader(buf.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength));
  if (typeof parsed === 'string') throw badHeaderError(path, parsed, () => buf);
  const dataStart = checkSize(path, headerLength, parsed.tensors, buf.length);
  const c = crcMatches(buf);
  if (!c.ok) throw corruptError(path, c);

  const tensors: Record<string, CheckpointTensor> = {};
  for (const e of parsed.tensors) {
    // defineProperty, not assignment: a tensor named "__proto__" must stay an ordinary entry.
    Object.defineProperty(tensors, e.name, {
      value: { shape: e.shape, values: tensorValues(buf, dataStart + e.offset, e) },
      enumerable: true, writable: true, configurable: true,
    });
  }
  return { meta: parsed.meta, tensors };
}

/**
 * Reads only the fixed prefix and the header of a checkpoint and returns its meta: cheap even
 * for huge files (e.g. to list runs or pick the latest epoch). Checks magic, version, the header
 * and that the file size matches the tensor table, but not the CRC-32 (that needs every byte;
 * {@link readCheckpoint} does it).
 *
 * @example
 * const { epoch, step } = readCheckpointMeta('runs/a/last.ckpt') as { epoch: number; step: number };
 */
export function readCheckpointMeta(path: string): Record<string, unknown> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw readFailed(path, err);
  }
  try {
    let size: number;
    const prefix = Buffer.alloc(PREFIX_BYTES);
    let got: number;
    try {
      size = fstatSync(fd).size;
      got = readSync(fd, prefix, 0, PREFIX_BYTES, 0);
    } catch (err) {
      throw readFailed(path, err);
    }
    const headerLength = checkPrefix(path, prefix.subarray(0, got), size);
    const header = Buffer.alloc(headerLength);
    let done = 0;
    while (done < headerLength) {
      const n = readSync(fd, header, done, headerLength - done, PREFIX_BYTES + done);
      if (n === 0) break;
      done += n;
    }
    const parsed = parseHeader(header.subarray(0, done));
    // Only on this error path is the whole file read, to tell damage from a bad writer.
    if (typeof parsed === 'string') throw badHeaderError(path, parsed, () => readFileSync(path));
    checkSize(path, headerLength, parsed.tensors, size);
    return parsed.meta;
  } finally {
    closeSync(fd);
  }
}

/**
 * Rewrites a checkpoint with new meta (e.g. a recorded evaluation), keeping every tensor
 * bit for bit in its stored dtype. Written atomically like {@link writeCheckpoint}: the old
 * file stays whole until the new one is complete.
 */
export function updateCheckpointMeta(path: string, update: (meta: Record<string, unknown>) => Record<string, unknown>): { bytes: number } {
  const ck = readCheckpoint(path); // validates everything, CRC included
  const prefix = Buffer.alloc(PREFIX_BYTES);
  const fd = openSync(path, 'r');
  let header: Buffer;
  try {
    readSync(fd, prefix, 0, PREFIX_BYTES, 0);
    header = Buffer.alloc(prefix.readUInt32LE(12));
    readSync(fd, header, 0, header.length, PREFIX_BYTES);
  } finally {
    closeSync(fd);
  }
  const parsed = parseHeader(header);
  if (typeof parsed === 'string') throw badHeaderError(path, parsed, () => readFileSync(path));
  const fp16 = new Set(parsed.tensors.filter((t) => t.dtype === 'float16').map((t) => t.name));
  return writeCheckpoint(path, { meta: update(ck.meta), tensors: ck.tensors }, { fp16: fp16.size > 0, keepFp32: (name) => !fp16.has(name) });
}

/** Reading checkpoints: every byte checked (magic, version, header, sizes, CRC), errors that say what happened and what to do. */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { crc32 } from '../util/crc32.js';
import { float16ToFloat32 } from '../util/float16.js';
import { plural } from '../util/plural.js';
import {
  align, BYTES_PER, CHECKPOINT_FORMAT_VERSION, CheckpointError, CRC_BYTES, fmtShape, LITTLE_ENDIAN, MAGIC, MAGIC_BYTES, numel, PREFIX_BYTES,
  type Checkpoint, type CheckpointTensor, type TensorEntry,
} from './format.js';
import { writeCheckpoint } from './write.js';

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

// The checkpoint file format: round trips, float16 against the IEEE definitions, atomic writes,
// and one clear error per kind of damage. The layout is checked with a parser/writer written
// here from the documented format, independent of the implementation.
import { tempDirs } from '../helpers/tmp.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import {
  CheckpointError, crc32, float16ToFloat32, float32ToFloat16, readCheckpoint, readCheckpointMeta, updateCheckpointMeta, writeCheckpoint,
  type Checkpoint, type CheckpointErrorCode,
} from '../../src/checkpoint/index.js';
import { prng } from '../helpers/prng.js';

const freshDir = tempDirs('mimo-ckpt-test-');

function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = prng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return out;
}
const bitsOf = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);
const f32 = (bits: number): number => new Float32Array(new Uint32Array([bits]).buffer)[0];

/** CRC-32 from zlib when this Node has it (>= 20.15), so the checksum is checked independently. */
const refCrc = (b: Uint8Array): number =>
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (zlib as unknown as { crc32(b: Uint8Array): number }).crc32(b) : crc32(b);

// ---- float16 from the IEEE 754 definitions, in float64 arithmetic (no bit tricks) ----------

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const r = v - f;
  return r > 0.5 || (r === 0.5 && f % 2 === 1) ? f + 1 : f;
}
/** binary16 bits of x (x exactly representable in float64), or 'overflow' / 'nan'. */
function refF16(x: number): number | 'overflow' | 'nan' {
  if (Number.isNaN(x)) return 'nan';
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfEven(a / 2 ** -24); // subnormal steps of 2^-24; 1024 is 2^-14
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  let sig = roundHalfEven(a / 2 ** (e - 10)); // 11 significant bits: [1024, 2048]
  if (sig === 2048) {
    sig = 1024;
    e++;
  }
  if (e > 15) return 'overflow';
  return sign | ((e + 15) << 10) | (sig - 1024);
}
/** Value of binary16 bits h. */
function refF16Value(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 31) return m ? NaN : s * Infinity;
  if (e === 0) return s * m * 2 ** -24;
  return s * 2 ** (e - 15) * (1 + m / 1024);
}

// ---- the documented layout, parsed and written independently --------------------------------

interface Layout { version: number; headerLength: number; header: { meta: unknown; tensors: { name: string; shape: number[]; dtype: string; offset: number; length: number }[] }; dataStart: number }
function parseLayout(b: Buffer): Layout {
  assert.equal(b.subarray(0, 8).toString('latin1'), 'MIMOCKPT');
  const headerLength = b.readUInt32LE(12);
  return {
    version: b.readUInt32LE(8),
    headerLength,
    header: JSON.parse(b.subarray(16, 16 + headerLength).toString('utf8')),
    dataStart: Math.ceil((16 + headerLength) / 8) * 8,
  };
}
/** A checkpoint built by hand from the spec: magic, version, header, padding, data, CRC. */
function buildFile(header: string, data: Uint8Array, version = 1): Buffer {
  const h = Buffer.from(header, 'utf8');
  const prefix = Buffer.alloc(16);
  prefix.write('MIMOCKPT', 0, 'latin1');
  prefix.writeUInt32LE(version, 8);
  prefix.writeUInt32LE(h.length, 12);
  const pad = Buffer.alloc(Math.ceil((16 + h.length) / 8) * 8 - 16 - h.length);
  const body = Buffer.concat([prefix, h, pad, data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(refCrc(body), 0);
  return Buffer.concat([body, crc]);
}
/** Recomputes the trailing CRC after a deliberate edit, so only the edit is "wrong". */
function fixCrc(b: Buffer): Buffer {
  const out = Buffer.from(b);
  out.writeUInt32LE(refCrc(out.subarray(0, out.length - 4)), out.length - 4);
  return out;
}

/** Asserts `fn` throws a CheckpointError about `path` with `code` whose message has every fragment. */
function assertCkptError(fn: () => unknown, path: string, code: CheckpointErrorCode, fragments: (string | RegExp)[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CheckpointError, `expected a CheckpointError, got ${String(e)}`);
    assert.equal(e.path, path);
    assert.equal(e.code, code, e.message);
    assert.ok(e.message.startsWith(path), `message should start with the path: ${e.message}`);
    for (const f of fragments) {
      if (typeof f === 'string') assert.ok(e.message.includes(f), `message lacks "${f}": ${e.message}`);
      else assert.match(e.message, f);
    }
    return true;
  });
}
/** Asserts a read leaves the file exactly as it was (bytes and modification time). */
function assertUntouched<T>(path: string, fn: () => T): T {
  const before = readFileSync(path);
  const mtime = statSync(path).mtimeMs;
  try {
    return fn();
  } finally {
    assert.deepEqual(readFileSync(path), before, 'reading modified the file');
    assert.equal(statSync(path).mtimeMs, mtime, 'reading touched the file');
  }
}
const tempFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.includes('.tmp-'));

function sample(): Checkpoint {
  return {
    meta: { epoch: 3, step: 1170, note: 'hello world', config: { lr: 0.1, widths: [16, 32] } },
    tensors: {
      'conv1/kernel': { shape: [4, 5], values: randn(20, 1) },
      bias: { shape: [3], values: new Float32Array([1, -2, 0.5]) },
      scalar: { shape: [], values: new Float32Array([Math.PI]) },
    },
  };
}

// ---------------------------------------------------------------------------------------------

test('crc32 matches the standard check value and zlib, also when continued in pieces', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  const b = new Uint8Array(100_003);
  const r = prng(7);
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
  assert.equal(crc32(b), refCrc(b));
  for (const cut of [0, 1, 7, 8, 9, 5000, 100_002]) assert.equal(crc32(b.subarray(cut), crc32(b.subarray(0, cut))), crc32(b), `cut ${cut}`);
});

test('float32 round trip is bit-exact, including NaN, -0, ±Inf, subnormals, scalars and empty tensors', () => {
  const dir = freshDir();
  const path = join(dir, 'a.ckpt');
  const special = new Float32Array(bitsOf(new Float32Array(8)).map((_, i) => [0x7fc00001, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x807fffff, 0x7f7fffff, 0x3eaaaaab][i]).buffer);
  const ckpt: Checkpoint = {
    meta: { epoch: 1 },
    tensors: {
      big: { shape: [300, 7], values: randn(2100, 2, 1e3) },
      special: { shape: [2, 4], values: special },
      scalar: { shape: [], values: new Float32Array([42]) },
      empty: { shape: [0, 3], values: new Float32Array(0) },
      odd: { shape: [3], values: new Float32Array([1, 2, 3]) }, // 12 bytes: the next tensor needs padding
      after: { shape: [1], values: new Float32Array([-1]) },
    },
  };
  const { bytes } = writeCheckpoint(path, ckpt);
  assert.equal(bytes, statSync(path).size);
  const got = readCheckpoint(path);
  assert.deepEqual(Object.keys(got.tensors), Object.keys(ckpt.tensors));
  for (const [name, t] of Object.entries(ckpt.tensors)) {
    assert.deepEqual(got.tensors[name].shape, t.shape, name);
    assert.ok(got.tensors[name].values instanceof Float32Array, name);
    assert.deepEqual(bitsOf(got.tensors[name].values), bitsOf(t.values), name);
  }
  // The fast path: float32 tensors are views into the one file buffer, not copies.
  assert.ok(got.tensors.big.values.buffer.byteLength >= bytes);
  assert.equal(tempFiles(dir).length, 0);
});

test('the file has exactly the documented layout', () => {
  const path = join(freshDir(), 'layout.ckpt');
  const ckpt = sample();
  writeCheckpoint(path, ckpt, { fp16: true, keepFp32: (n) => n === 'bias' });
  const b = readFileSync(path);
  const l = parseLayout(b);
  assert.equal(l.version, 1);
  assert.deepEqual(l.header.meta, ckpt.meta);
  assert.deepEqual(l.header.tensors.map((t) => [t.name, t.dtype, t.shape]), [
    ['conv1/kernel', 'float16', [4, 5]], ['bias', 'float32', [3]], ['scalar', 'float16', []],
  ]);
  let end = 0;
  for (const t of l.header.tensors) {
    assert.equal(t.offset % 8, 0, `${t.name} is 8-byte aligned`);
    assert.equal(t.length, t.shape.reduce((a, d) => a * d, 1) * (t.dtype === 'float16' ? 2 : 4));
    const at = l.dataStart + t.offset;
    const src = ckpt.tensors[t.name].values;
    for (let i = 0; i < src.length; i++) {
      if (t.dtype === 'float32') assert.equal(b.readFloatLE(at + 4 * i), src[i]);
      else assert.equal(b.readUInt16LE(at + 2 * i), refF16(src[i]));
    }
    end = Math.max(end, t.offset + t.length);
  }
  assert.ok(b.subarray(16 + l.headerLength, l.dataStart).every((x) => x === 0), 'padding is zeros');
  assert.equal(b.length, l.dataStart + end + 4);
  assert.equal(b.readUInt32LE(b.length - 4), refCrc(b.subarray(0, b.length - 4)));
  // And a file written by hand from the spec reads back.
  const data = Buffer.alloc(16);
  data.writeFloatLE(1.5, 0);
  data.writeUInt16LE(0x3c00, 8); // float16 1.0
  const hand = join(freshDir(), 'hand.ckpt');
  writeFileSync(hand, buildFile(JSON.stringify({ meta: { x: 1 }, tensors: [
    { name: 'a', shape: [1], dtype: 'float32', offset: 0, length: 4 },
    { name: 'h', shape: [1], dtype: 'float16', offset: 8, length: 2 },
  ] }), data.subarray(0, 10)));
  const got = readCheckpoint(hand);
  assert.deepEqual(got.meta, { x: 1 });
  assert.deepEqual([...got.tensors.a.values, ...got.tensors.h.values], [1.5, 1]);
});

test('float16 encoding of special values matches the IEEE definition', () => {
  const cases: [number, number][] = [
    [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800],
    [2 ** -24, 0x0001], // smallest subnormal
    [-(2 ** -24), 0x8001],
    [2 ** -14 - 2 ** -24, 0x03ff], // largest subnormal
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -25, 0x0000], // exactly half the smallest subnormal: ties to even (0)
    [1.5 * 2 ** -25, 0x0001],
    [3 * 2 ** -25, 0x0002], // tie between 1 and 2 subnormal steps: even is 2
    [f32(0x00000001), 0x0000], // float32 subnormal underflows
    [65504, 0x7bff], [-65504, 0xfbff], [65519, 0x7bff], // below the 65520 tie: rounds down to max
    [1 + 2 ** -11, 0x3c00], // tie: even mantissa (0)
    [1 + 3 * 2 ** -11, 0x3c02], // tie: even mantissa (2)
    [2047.25, 0x67ff], [2047.5, 0x6800], // 2047.5 ties 2047 (odd) and 2048: even is 2048
    [2049, 0x6800], // tie between 2048 and 2050: even is 2048
    [Infinity, 0x7c00], [-Infinity, 0xfc00],
  ];
  const got = float32ToFloat16(new Float32Array(cases.map(([x]) => x)));
  cases.forEach(([x, want], i) => {
    assert.equal(refF16(Math.fround(x)), want, `reference for ${x}`);
    assert.equal(got[i], want, `float16 of ${x}: got 0x${got[i].toString(16)}, want 0x${want.toString(16)}`);
  });
  for (const nan of [NaN, f32(0x7f800001), f32(0xffc00000)]) {
    const h = float32ToFloat16(new Float32Array([nan]))[0];
    assert.equal(h & 0x7c00, 0x7c00, 'NaN keeps an all-ones exponent');
    assert.notEqual(h & 0x3ff, 0, 'NaN keeps a non-zero mantissa (does not become Inf)');
    assert.ok(Number.isNaN(float16ToFloat32(new Uint16Array([h]))[0]));
  }
  for (const x of [65520, 70000, -1e6, 3.4e38]) assert.equal(refF16(x), 'overflow');
  assert.throws(() => float32ToFloat16(new Float32Array([1, 65520])), /65520 at index 1 is outside the float16 range/);
  assert.throws(() => float32ToFloat16(new Float32Array([-70000])), RangeError);
});

test('float16 decode is exact for all 65536 values, and encode inverts it', () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const dec = float16ToFloat32(all);
  const back = float32ToFloat16(dec);
  for (let h = 0; h < 65536; h++) {
    const want = refF16Value(h);
    if (Number.isNaN(want)) {
      assert.ok(Number.isNaN(dec[h]), `0x${h.toString(16)} decodes to NaN`);
      continue;
    }
    assert.ok(Object.is(dec[h], want), `0x${h.toString(16)} decodes to ${want}, got ${dec[h]}`);
    assert.equal(back[h], h, `0x${h.toString(16)} re-encodes to itself`);
  }
});

test('float16 encoding rounds to nearest even like the reference, on ties and on random float32s', () => {
  // Every midpoint between neighbouring finite float16s (exact in float32), and its float32 neighbours.
  const xs: number[] = [];
  for (let h = 0; h < 0x7bff; h++) {
    const mid = (refF16Value(h) + refF16Value(h + 1)) / 2;
    const bits = bitsOf(new Float32Array([mid]))[0];
    xs.push(mid, f32(bits - 1), f32(bits + 1), -mid);
  }
  // Random float32 bit patterns over the whole float16 range (and below it).
  const r = prng(3);
  while (xs.length < 400_000) {
    const x = f32(Math.floor(r() * 2 ** 32));
    if (Math.abs(x) < 65520) xs.push(x);
  }
  const src = new Float32Array(xs);
  const got = float32ToFloat16(src);
  for (let i = 0; i < src.length; i++) {
    const want = refF16(src[i]);
    if (got[i] !== want) assert.fail(`float16 of ${src[i]} (0x${bitsOf(src.subarray(i, i + 1))[0].toString(16)}): got 0x${got[i].toString(16)}, want 0x${Number(want).toString(16)}`);
  }
});

test('fp16 checkpoints round to float16 precision, keep representable values exact, and respect keepFp32', () => {
  const path = join(freshDir(), 'half.ckpt');
  const w = randn(5000, 4, 3);
  const tiny = randn(500, 5, 1e-5); // mostly subnormal in float16
  const exact = new Float32Array([0, -0, 1, -1, 0.5, 1024, 65504, -65504, 2 ** -24, 2 ** -14, 1 / 1024, 3.140625, Infinity, -Infinity]);
  const opt = randn(100, 6);
  const ckpt: Checkpoint = {
    meta: { epoch: 7 },
    tensors: {
      w: { shape: [50, 100], values: w },
      tiny: { shape: [500], values: tiny },
      exact: { shape: [exact.length], values: exact },
      'optimizer/w/momentum': { shape: [100], values: opt },
    },
  };
  const { bytes } = writeCheckpoint(path, ckpt, { fp16: true, keepFp32: (n) => n.startsWith('optimizer/') });
  const full = join(freshDir(), 'full.ckpt');
  const fullBytes = writeCheckpoint(full, ckpt).bytes;
  assert.ok(bytes < 0.6 * fullBytes, `fp16 file ${bytes} bytes vs float32 ${fullBytes}`);

  const got = readCheckpoint(path);
  assert.deepEqual(parseLayout(readFileSync(path)).header.tensors.map((t) => t.dtype), ['float16', 'float16', 'float16', 'float32']);
  for (const name of ['w', 'tiny']) {
    const src = ckpt.tensors[name].values;
    const dec = got.tensors[name].values;
    for (let i = 0; i < src.length; i++) {
      assert.equal(dec[i], refF16Value(refF16(src[i]) as number), `${name}[${i}] is the nearest float16`);
      // Half an ulp: 2^-11 relative for normals, 2^-25 absolute for subnormals.
      assert.ok(Math.abs(dec[i] - src[i]) <= Math.max(Math.abs(src[i]) * 2 ** -11, 2 ** -25), `${name}[${i}] within float16 precision`);
    }
  }
  assert.ok(tiny.some((v, i) => v !== 0 && got.tensors.tiny.values[i] !== 0 && Math.abs(v) < 2 ** -14), 'some values exercised subnormals');
  assert.deepEqual(bitsOf(got.tensors.exact.values), bitsOf(exact));
  assert.deepEqual(bitsOf(got.tensors['optimizer/w/momentum'].values), bitsOf(opt), 'keepFp32 tensor is exact');
  assert.deepEqual(got.tensors.w.shape, [50, 100]);
});

test('fp16 overflow throws an error naming the tensor, the value and the fix', () => {
  const dir = freshDir();
  const path = join(dir, 'o.ckpt');
  const values = new Float32Array([1, 2, 65520]);
  assertCkptError(() => writeCheckpoint(path, { meta: {}, tensors: { ok: { shape: [1], values: new Float32Array([65519]) }, 'layer2/gamma': { shape: [3], values } } }, { fp16: true }),
    path, 'invalid-input', ['tensor "layer2/gamma"', 'float16', '65520 at index 2', '±65504', 'keepFp32']);
  assert.ok(!existsSync(path));
  assert.deepEqual(readdirSync(dir), []);
  // The same tensor is fine in float32, or when kept in float32.
  writeCheckpoint(path, { meta: {}, tensors: { g: { shape: [3], values } } }, { fp16: true, keepFp32: (n) => n === 'g' });
  assert.deepEqual([...readCheckpoint(path).tensors.g.values], [1, 2, 65520]);
});

test('meta round-trips through JSON, and meta that JSON would alter is rejected', () => {
  const path = join(freshDir(), 'meta.ckpt');
  const meta = {
    config: { model: 'mimoconv', widths: [16, 32, 64], lr: 0.1, nested: { deep: { deeper: [1, [2, [3]]] } } },
    state: { epoch: 12, step: 4680, seeds: [0, 4294967295], schedule: { lastLr: 0.1 + 0.2, milestones: [] } },
    history: [{ epoch: 1, loss: 2.302585092994046, acc: 0.1 }, { epoch: 2, loss: 1e-300, acc: null }],
    text: 'ünïcødé ✓ 😀 "quotes" \\ \n newline',
    flags: [true, false], big: Number.MAX_SAFE_INTEGER, neg: -1.5e-7, empty: {},
  };
  writeCheckpoint(path, { meta, tensors: {} });
  assert.deepEqual(readCheckpoint(path).meta, meta);
  assert.deepEqual(readCheckpointMeta(path), meta);
  assert.deepEqual(readCheckpoint(path).tensors, {});

  const bad: [unknown, string][] = [
    [{ history: [{ loss: 1 }, { loss: NaN }] }, 'meta.history[1].loss is NaN'],
    [{ best: Infinity }, 'meta.best is Infinity'],
    [{ rng: new Uint32Array(4) }, 'meta.rng is a Uint32Array'],
    [{ when: new Date(0) }, 'meta.when is a Date'],
    [{ a: [1, undefined] }, 'meta.a[1] is undefined'],
    [{ f: () => 1 }, 'meta.f is a function'],
    [{ n: 1n }, 'meta.n is a bigint'],
  ];
  for (const [m, fragment] of bad) {
    assertCkptError(() => writeCheckpoint(path, { meta: m as Record<string, unknown>, tensors: {} }), path, 'invalid-input', [fragment, 'JSON']);
  }
  const cyclic: Record<string, unknown> = { a: {} };
  (cyclic.a as Record<string, unknown>).back = cyclic;
  assertCkptError(() => writeCheckpoint(path, { meta: cyclic, tensors: {} }), path, 'invalid-input', ['meta.a.back', 'cycle']);
  assertCkptError(() => writeCheckpoint(path, { meta: [] as unknown as Record<string, unknown>, tensors: {} }), path, 'invalid-input', ['plain object', 'an array']);
  assert.deepEqual(readCheckpoint(path).meta, meta, 'failed writes left the good file');
});

test('tensor names are kept as given, even odd ones', () => {
  const path = join(freshDir(), 'names.ckpt');
  const tensors = { ['__proto__']: { shape: [1], values: new Float32Array([1]) }, 'a.b/c:0 ü': { shape: [1], values: new Float32Array([2]) } };
  writeCheckpoint(path, { meta: {}, tensors });
  const got = readCheckpoint(path).tensors;
  assert.deepEqual(Object.keys(got), ['__proto__', 'a.b/c:0 ü']);
  assert.equal(Object.getPrototypeOf(got), Object.prototype);
  assert.equal(got['a.b/c:0 ü'].values[0], 2);
});

test('bad tensors are rejected before any file is created', () => {
  const dir = freshDir();
  const path = join(dir, 'sub', 'x.ckpt');
  const cases: [Checkpoint['tensors'], string[]][] = [
    [{ w: { shape: [2, 3], values: new Float32Array(5) } }, ['tensor "w"', 'expected 6 values for shape [2, 3], found 5']],
    [{ w: { shape: [2, -1], values: new Float32Array(2) } }, ['tensor "w"', 'non-negative integers']],
    [{ w: { shape: [2], values: [1, 2] as unknown as Float32Array } }, ['tensor "w"', 'Float32Array']],
    [{ '': { shape: [1], values: new Float32Array(1) } }, ['name is empty']],
  ];
  for (const [tensors, fragments] of cases) assertCkptError(() => writeCheckpoint(path, { meta: {}, tensors }), path, 'invalid-input', fragments);
  assert.deepEqual(readdirSync(dir), []);
});

test('writes are atomic: a failure mid-write leaves the old checkpoint byte-identical and no temp file', (t) => {
  const dir = freshDir();
  const path = join(dir, 'run', 'last.ckpt'); // parent folders are created
  writeCheckpoint(path, sample());
  const old = readFileSync(path);

  // 1. Fails while streaming: the first tensor (4 MB, written straight to the temp file) is on
  //    disk when the second turns out not to fit in float16.
  assertCkptError(() => writeCheckpoint(path, { meta: { epoch: 4 }, tensors: {
    first: { shape: [1 << 20], values: randn(1 << 20, 9) },
    second: { shape: [2], values: new Float32Array([0, 1e6]) },
  } }, { fp16: true }), path, 'invalid-input', ['tensor "second"']);
  assert.deepEqual(readFileSync(path), old, 'old checkpoint untouched');
  assert.deepEqual(tempFiles(join(dir, 'run')), []);

  // 2. Fails at the rename: the target is a non-empty directory.
  const dirTarget = join(dir, 'run', 'taken.ckpt');
  mkdirSync(dirTarget);
  writeFileSync(join(dirTarget, 'keep'), 'x');
  assertCkptError(() => writeCheckpoint(dirTarget, sample()), dirTarget, 'write-failed',
    ['could not write the checkpoint', 'untouched', 'writable']);
  assert.deepEqual(readdirSync(dirTarget), ['keep']);
  assert.deepEqual(tempFiles(join(dir, 'run')), []);

  // 3. A successful overwrite replaces the file in one step and cleans up.
  const next = sample();
  next.meta.epoch = 4;
  writeCheckpoint(path, next);
  assert.equal(readCheckpointMeta(path).epoch, 4);
  assert.deepEqual(tempFiles(join(dir, 'run')), []);

  // 4. Fails at open: a read-only folder (root ignores permissions, so only as a normal user).
  if (process.platform === 'win32' || process.getuid?.() === 0) {
    t.diagnostic('read-only folder case skipped (root or Windows ignore the permission)');
    return;
  }
  const ro = join(dir, 'ro');
  mkdirSync(ro);
  const roPath = join(ro, 'x.ckpt');
  writeCheckpoint(roPath, sample());
  const roOld = readFileSync(roPath);
  chmodSync(ro, 0o555);
  try {
    assertCkptError(() => writeCheckpoint(roPath, next), roPath, 'write-failed', ['EACCES', 'untouched']);
  } finally {
    chmodSync(ro, 0o755);
  }
  assert.deepEqual(readFileSync(roPath), roOld);
  assert.deepEqual(tempFiles(ro), []);
});

test('every kind of damage gives its own clear error, and reading never modifies the file', () => {
  const dir = freshDir();
  const good = join(dir, 'good.ckpt');
  writeCheckpoint(good, sample());
  const b = readFileSync(good);
  const l = parseLayout(b);
  const put = (name: string, bytes: Uint8Array): string => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  /** Both readers must give the same diagnosis for problems visible without the data. */
  const both = (p: string, code: CheckpointErrorCode, fragments: (string | RegExp)[]): void => {
    assertUntouched(p, () => assertCkptError(() => readCheckpoint(p), p, code, fragments));
    assertUntouched(p, () => assertCkptError(() => readCheckpointMeta(p), p, code, fragments));
  };
  const stale = ['killed mid-write', 'copied only partially'];

  const missing = join(dir, 'nope.ckpt');
  assertCkptError(() => readCheckpoint(missing), missing, 'missing', ['does not exist', 'Check the path']);
  assertCkptError(() => readCheckpointMeta(missing), missing, 'missing', ['does not exist']);
  assertCkptError(() => readCheckpoint(dir), dir, 'read-failed', ['is a directory']);

  both(put('empty.ckpt', new Uint8Array(0)), 'truncated', ['is empty', 'found 0 bytes', ...stale]);

  // Truncated in the magic, the version, the header, the data, and the trailing checksum.
  for (const cut of [5, 10, 14, 16 + (l.headerLength >> 1), l.dataStart + 3, l.dataStart + 50, b.length - 1]) {
    const p = put(`cut${cut}.ckpt`, b.subarray(0, cut));
    both(p, 'truncated', ['is truncated', `found ${cut}`, ...stale]);
    if (cut >= l.dataStart) {
      assertCkptError(() => readCheckpoint(p), p, 'truncated', [`expected ${b.length} bytes`, `(${b.length - cut} missing)`]);
    }
  }

  both(put('zip.ckpt', Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), b.subarray(4)])), 'not-a-checkpoint',
    ['is not a mimonets checkpoint', 'expected it to start with "MIMOCKPT"', 'starts with "PK\\x03\\x04', 'zip']);
  both(put('text.ckpt', Buffer.from('hello, world\n')), 'not-a-checkpoint', ['is not a mimonets checkpoint', 'starts with "hello, w"', 'writeCheckpoint']);
  both(put('json.ckpt', Buffer.from('{"a":1}')), 'not-a-checkpoint', ['starts with "{\\x22a\\x22:1}"', 'JSON']);

  const v2 = Buffer.from(b);
  v2.writeUInt32LE(2, 8);
  both(put('v2.ckpt', fixCrc(v2)), 'unsupported-version', ['unsupported checkpoint format version', 'expected 1, found 2', 'upgrade mimonets']);

  // Damage that only the checksum can see: readCheckpoint calls it corrupt, readCheckpointMeta
  // (header only) does not look at the data at all.
  const flipData = Buffer.from(b);
  flipData[l.dataStart + 5] ^= 0x01;
  const pData = put('flip-data.ckpt', flipData);
  assertUntouched(pData, () => assertCkptError(() => readCheckpoint(pData), pData, 'corrupt', ['is corrupt', 'CRC-32', 'good copy']));
  assert.deepEqual(readCheckpointMeta(pData), sample().meta, 'readCheckpointMeta reads only the header');

  const flipCrc = Buffer.from(b);
  flipCrc[b.length - 2] ^= 0x80;
  const pCrc = put('flip-crc.ckpt', flipCrc);
  assertCkptError(() => readCheckpoint(pCrc), pCrc, 'corrupt', ['is corrupt', 'CRC-32']);

  // A header byte flipped inside a string: still valid JSON, so only the checksum catches it.
  const flipHeader = Buffer.from(b);
  const at = b.indexOf('hello world');
  assert.ok(at > 16 && at < 16 + l.headerLength);
  flipHeader[at] = 'j'.charCodeAt(0);
  const pHeader = put('flip-header.ckpt', flipHeader);
  assertCkptError(() => readCheckpoint(pHeader), pHeader, 'corrupt', ['is corrupt', 'CRC-32']);
  // A header byte flipped into invalid JSON: the checksum also disagrees, so "corrupt", by both readers.
  const breakHeader = Buffer.from(b);
  breakHeader[16] = '#'.charCodeAt(0);
  both(put('break-header.ckpt', breakHeader), 'corrupt', ['is corrupt', 'CRC-32']);

  both(put('extra.ckpt', Buffer.concat([b, Buffer.from('junk')])), 'corrupt', [`expected ${b.length} bytes`, `found ${b.length + 4}`, '4 extra']);

  // Files from a broken writer: checksum fine, content wrong.
  both(put('badjson.ckpt', buildFile('{"meta": {}, "tensors": [', new Uint8Array(0))), 'invalid-header',
    ['invalid header', 'not valid UTF-8 JSON', 'writeCheckpoint']);
  both(put('nometa.ckpt', buildFile('{"tensors": []}', new Uint8Array(0))), 'invalid-header', ['header.meta is not an object']);
  const t = (o: object): string => JSON.stringify({ meta: {}, tensors: [{ name: 'w', shape: [4, 5], dtype: 'float32', offset: 0, length: 80, ...o }] });
  const data = new Uint8Array(80);
  both(put('len.ckpt', buildFile(t({ length: 40 }), data.subarray(0, 40))), 'invalid-header',
    ['tensor "w" has shape [4, 5] and dtype float32, which needs 80 bytes, but its length is 40']);
  both(put('shape.ckpt', buildFile(t({ shape: [4, -5] }), data)), 'invalid-header', ['tensor "w" has shape [4,-5]']);
  both(put('dtype.ckpt', buildFile(t({ dtype: 'int8' }), data)), 'invalid-header', ['dtype "int8"']);
  const twice = JSON.stringify({ meta: {}, tensors: [
    { name: 'a', shape: [2], dtype: 'float32', offset: 0, length: 8 }, { name: 'b', shape: [2], dtype: 'float32', offset: 4, length: 8 }] });
  both(put('overlap.ckpt', buildFile(twice, new Uint8Array(12))), 'invalid-header', ['"a" and "b" overlap']);

  assert.deepEqual(readFileSync(good), b);
});

test('a 50 MB checkpoint writes and reads well under 2 s each; readCheckpointMeta stays cheap', (t) => {
  const path = join(freshDir(), 'big.ckpt');
  const perTensor = 1 << 18; // 1 MB each, 50 tensors: like a real model, not one blob
  const tensors: Checkpoint['tensors'] = {};
  const r = prng(11);
  for (let k = 0; k < 50; k++) {
    const v = new Float32Array(perTensor);
    for (let i = 0; i < perTensor; i += 97) v[i] = r();
    tensors[`layer${k}/kernel`] = { shape: [512, 512], values: v };
  }
  const ms = (f: () => void): number => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  };
  let bytes = 0;
  const writeMs = ms(() => { bytes = writeCheckpoint(path, { meta: { epoch: 1 }, tensors }).bytes; });
  let got: Checkpoint | undefined;
  const readMs = ms(() => { got = readCheckpoint(path); });
  const metaMs = ms(() => { readCheckpointMeta(path); });
  let fp16Bytes = 0;
  const path16 = join(freshDir(), 'big16.ckpt');
  const write16Ms = ms(() => { fp16Bytes = writeCheckpoint(path16, { meta: {}, tensors }, { fp16: true }).bytes; });
  const read16Ms = ms(() => { readCheckpoint(path16); });
  t.diagnostic(`float32 ${(bytes / 1e6).toFixed(1)} MB: write ${writeMs.toFixed(0)} ms, read ${readMs.toFixed(0)} ms, meta ${metaMs.toFixed(2)} ms; ` +
    `fp16 ${(fp16Bytes / 1e6).toFixed(1)} MB: write ${write16Ms.toFixed(0)} ms, read ${read16Ms.toFixed(0)} ms`);
  assert.ok(bytes > 52_000_000);
  assert.ok(writeMs < 2000, `write took ${writeMs} ms`);
  assert.ok(readMs < 2000, `read took ${readMs} ms`);
  assert.ok(metaMs < 100, `readCheckpointMeta took ${metaMs} ms`);
  assert.ok(write16Ms < 2000 && read16Ms < 2000);
  for (const k of [0, 17, 49]) assert.deepEqual(bitsOf(got!.tensors[`layer${k}/kernel`].values), bitsOf(tensors[`layer${k}/kernel`].values));
  rmSync(path);
  rmSync(path16);
});

test('updateCheckpointMeta changes only the meta: tensors keep their bits and dtypes; damage is refused untouched', () => {
  const dir = freshDir();
  const path = join(dir, 'm.ckpt');
  const rnd = prng(5);
  const values = (k: number) => Float32Array.from({ length: k }, () => rnd() * 4 - 2);
  writeCheckpoint(path, { meta: { a: 1 }, tensors: { 'param/w': { shape: [3, 5], values: values(15) }, 'bn/m': { shape: [7], values: values(7) } } },
    { fp16: true, keepFp32: (name) => name.startsWith('bn/') });
  const before = readCheckpoint(path);
  const size = statSync(path).size;
  updateCheckpointMeta(path, (m) => ({ ...m, operatingPoints: [{ n: 1, accuracy: 0.5, images_per_s: 10 }] }));
  const after = readCheckpoint(path);
  assert.deepEqual(after.meta, { a: 1, operatingPoints: [{ n: 1, accuracy: 0.5, images_per_s: 10 }] });
  for (const k of ['param/w', 'bn/m']) assert.deepEqual(after.tensors[k].values, before.tensors[k].values);
  // Same dtypes: the file grew by the meta's bytes only (plus alignment), not by float16 → float32.
  assert.ok(statSync(path).size - size < 80, `${size} → ${statSync(path).size}`);
  const bytes = readFileSync(path);
  const damaged = Buffer.from(bytes);
  damaged[damaged.length - 10] ^= 0xff;
  writeFileSync(path, damaged);
  assert.throws(() => updateCheckpointMeta(path, (m) => m), CheckpointError);
  assert.deepEqual(readFileSync(path), damaged);
});

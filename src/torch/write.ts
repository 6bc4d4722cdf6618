/**
 * Writes `torch.save` files (the zip format of PyTorch ≥ 1.6) without Python: a protocol-2
 * pickle of a dict whose tensors are `torch._utils._rebuild_tensor_v2` calls on persistent
 * storages, and one raw little-endian record per tensor, zipped uncompressed with fflate.
 * `torch.load` reads the result as it reads its own files.
 */
import { zipSync } from 'fflate';
import { encodeStorage, numel, storageClassOf, type TorchTensor } from './tensor.js';

/** A value the writer can pickle: a tensor, a number (int if whole), a string, a boolean, or a dict of those. */
export type TorchValue = TorchTensor | number | string | boolean | TorchDict;
export interface TorchDict {
  /** Entries in order (a state dict keeps its module order). */
  entries: [string, TorchValue][];
  /** Pickle as collections.OrderedDict (what state_dict() returns) rather than a plain dict. */
  ordered?: boolean;
}

const isTensor = (v: TorchValue): v is TorchTensor => typeof v === 'object' && 'shape' in v && 'values' in v;

/** Protocol-2 pickle opcodes used here (Lib/pickletools.py). */
const OP = {
  PROTO: 0x80, STOP: 0x2e, MARK: 0x28, TUPLE: 0x74, EMPTY_TUPLE: 0x29, EMPTY_DICT: 0x7d, SETITEMS: 0x75, GLOBAL: 0x63,
  REDUCE: 0x52, BINPERSID: 0x51, BININT: 0x4a, BINFLOAT: 0x47, BINUNICODE: 0x58, NEWTRUE: 0x88, NEWFALSE: 0x89, LONG1: 0x8a,
} as const;

class PickleWriter {
  private chunks: number[] = [];
  private readonly utf8 = new TextEncoder();

  op(code: number): this {
    this.chunks.push(code);
    return this;
  }
  private u32(v: number): void {
    this.chunks.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  int(v: number): this {
    if (!Number.isSafeInteger(v)) throw new Error(`cannot pickle ${v} as an integer`);
    if (v >= -(2 ** 31) && v < 2 ** 31) {
      this.op(OP.BININT);
      this.u32(v >>> 0);
    } else {
      // LONG1: little-endian two's complement, 8 bytes is enough for a safe integer.
      const b = new DataView(new ArrayBuffer(8));
      b.setBigInt64(0, BigInt(v), true);
      this.op(OP.LONG1).op(8);
      for (let i = 0; i < 8; i++) this.chunks.push(b.getUint8(i));
    }
    return this;
  }
  float(v: number): this {
    const b = new DataView(new ArrayBuffer(8));
    b.setFloat64(0, v, false); // BINFLOAT is big-endian
    this.op(OP.BINFLOAT);
    for (let i = 0; i < 8; i++) this.chunks.push(b.getUint8(i));
    return this;
  }
  str(s: string): this {
    const bytes = this.utf8.encode(s);
    this.op(OP.BINUNICODE);
    this.u32(bytes.length);
    for (const x of bytes) this.chunks.push(x);
    return this;
  }
  global(module: string, name: string): this {
    this.op(OP.GLOBAL);
    for (const x of this.utf8.encode(`${module}\n${name}\n`)) this.chunks.push(x);
    return this;
  }
  tuple(write: () => void): this {
    this.op(OP.MARK);
    write();
    return this.op(OP.TUPLE);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

/**
 * The bytes of a `.pt` file holding `root` (e.g. a state dict, or the reference's training
 * checkpoint { model_state_dict, epoch }). `archive` is the folder name inside the zip.
 */
export function writeTorchFile(root: TorchDict, archive = 'archive'): Uint8Array {
  const p = new PickleWriter();
  const records: Record<string, Uint8Array> = {};
  let nextKey = 0;
  const value = (v: TorchValue): void => {
    if (typeof v === 'number') {
      if (Number.isInteger(v)) p.int(v);
      else p.float(v);
    } else if (typeof v === 'string') p.str(v);
    else if (typeof v === 'boolean') p.op(v ? OP.NEWTRUE : OP.NEWFALSE);
    else if (isTensor(v)) tensor(v);
    else dict(v);
  };
  const dict = (d: TorchDict): void => {
    if (d.ordered) p.global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE).op(OP.REDUCE);
    else p.op(OP.EMPTY_DICT);
    if (d.entries.length === 0) return;
    p.op(OP.MARK);
    for (const [k, v] of d.entries) {
      p.str(k);
      value(v);
    }
    p.op(OP.SETITEMS);
  };
  const tensor = (t: TorchTensor): void => {
    const n = numel(t.shape);
    if (t.values.length !== n) throw new Error(`tensor of shape [${t.shape}] has ${t.values.length} values, expected ${n}`);
    const key = String(nextKey++);
    records[`${archive}/data/${key}`] = encodeStorage(t.values, t.dtype);
    // Contiguous row-major strides.
    const stride = t.shape.map((_, d) => numel(t.shape.slice(d + 1)));
    p.global('torch._utils', '_rebuild_tensor_v2').tuple(() => {
      p.tuple(() => p.str('storage').global('torch', storageClassOf(t.dtype)).str(key).str('cpu').int(n)).op(OP.BINPERSID);
      p.int(0); // storage offset
      p.tuple(() => t.shape.forEach((s) => p.int(s)));
      p.tuple(() => stride.forEach((s) => p.int(s)));
      p.op(OP.NEWFALSE); // requires_grad
      p.global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE).op(OP.REDUCE); // backward hooks
    }).op(OP.REDUCE);
  };
  p.op(OP.PROTO).op(2);
  dict(root);
  p.op(OP.STOP);
  // data.pkl first: torch.load takes the archive name from the first record.
  const files: Record<string, Uint8Array> = { [`${archive}/data.pkl`]: p.bytes(), ...records, [`${archive}/version`]: new TextEncoder().encode('3\n') };
  return zipSync(files, { level: 0 });
}

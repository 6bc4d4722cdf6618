/**
 * Reads `torch.save` files (PyTorch ≥ 1.6, the default zip format) without Python: the zip
 * archive with fflate, the pickle with pickleparser, and the tensor storages as raw
 * little-endian records (../shared/spec/reference_state_dict.md, "Files"). Only the subset a
 * checkpoint needs is understood: dicts, lists, tuples, numbers, strings and tensors
 * rebuilt by `torch._utils._rebuild_tensor_v2` (or `_rebuild_parameter` around one).
 */
import { unzipSync } from 'fflate';
import { Parser } from 'pickleparser';
import { decodeStorage, numel, STORAGE_TYPES, type TorchDtype, type TorchTensor } from './tensor.js';

/** A bad or unsupported `.pt` file; the message names the file, the problem and the fix. */
export class TorchFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TorchFileError';
  }
}

interface Storage {
  dtype: TorchDtype;
  itemBytes: number;
  key: string;
  numel: number;
  data: Uint8Array | undefined;
}

/** A tensor as unpickled: a strided view of a storage, decoded on demand (so errors can name it). */
export class StoredTensor {
  constructor(readonly storage: Storage, readonly offset: number, readonly shape: number[], readonly stride: number[]) {}

  /** The tensor's values, contiguous row-major; `name` is used in errors. */
  read(name: string, file: string): TorchTensor {
    const s = this.storage;
    if (!s.data) throw new TorchFileError(`${file}: the data of tensor '${name}' (record data/${s.key}) is missing from the archive; the file is incomplete — copy it again or re-save it with torch.save`);
    if (s.data.length < s.numel * s.itemBytes) {
      throw new TorchFileError(`${file}: tensor '${name}' needs ${s.numel * s.itemBytes} bytes of storage data/${s.key} but the archive holds ${s.data.length}; the file is truncated — copy it again`);
    }
    const all = decodeStorage(s.data, s.dtype, s.numel);
    const count = numel(this.shape);
    let last = this.offset;
    for (let d = 0; d < this.shape.length; d++) if (this.shape[d] > 0) last += (this.shape[d] - 1) * this.stride[d];
    if (count > 0 && (this.offset < 0 || last >= s.numel)) {
      throw new TorchFileError(`${file}: tensor '${name}' [${this.shape}] reaches element ${last} of a storage of ${s.numel}; the file is inconsistent`);
    }
    const out = all instanceof Float64Array ? new Float64Array(count) : new Float32Array(count);
    const idx = new Array(this.shape.length).fill(0);
    for (let o = 0; o < count; o++) {
      let src = this.offset;
      for (let d = 0; d < idx.length; d++) src += idx[d] * this.stride[d];
      out[o] = all[src];
      for (let d = idx.length - 1; d >= 0; d--) {
        if (++idx[d] < this.shape[d]) break;
        idx[d] = 0;
      }
    }
    return { dtype: s.dtype, shape: [...this.shape], values: out };
  }
}

/** A Python dict or OrderedDict; attributes set on it (a state dict's `_metadata`) are ignored. */
class PyDict extends Map<unknown, unknown> {
  __setstate__(): void {}
}

const asNumbers = (v: unknown, what: string): number[] => {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) throw new Error(`${what} is not a tuple of integers`);
  return v as number[];
};

/**
 * Unpickles a `.pt` file's bytes. Dicts become Maps, tuples and lists arrays, tensors
 * StoredTensor. `file` names the file in errors.
 */
export function readTorchFile(bytes: Uint8Array, file: string): unknown {
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] === 0x02) {
    throw new TorchFileError(`${file}: a legacy PyTorch file (written before PyTorch 1.6 or with _use_new_zipfile_serialization=False); load it in PyTorch and save it again with torch.save(obj, path)`);
  }
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new TorchFileError(`${file}: not a PyTorch checkpoint (torch.save writes a zip archive, this file does not start with one); pass the .pt file torch.save wrote`);
  }
  let records: Record<string, Uint8Array>;
  try {
    records = unzipSync(bytes);
  } catch (e) {
    throw new TorchFileError(`${file}: a damaged zip archive (${(e as Error).message}); the file is probably truncated — copy it again`);
  }
  const pklName = Object.keys(records).find((k) => /^[^/]+\/data\.pkl$/.test(k));
  if (!pklName) throw new TorchFileError(`${file}: a zip archive without <name>/data.pkl, so not written by torch.save; pass the .pt file torch.save wrote`);
  const archive = pklName.slice(0, -'/data.pkl'.length);
  const storages = new Map<string, Storage>();
  const parser = new Parser({
    unpicklingTypeOfDictionary: 'Map',
    nameResolver: {
      resolve(module: string, name: string) {
        if (module === 'collections' && name === 'OrderedDict') return () => new PyDict();
        if (module === 'builtins' && name === 'dict') return () => new PyDict();
        if (module === 'torch._utils' && name === '_rebuild_tensor_v2') {
          return (storage: Storage, offset: number, size: unknown, stride: unknown) =>
            new StoredTensor(storage, offset, asNumbers(size, 'a tensor size'), asNumbers(stride, 'a tensor stride'));
        }
        if (module === 'torch._utils' && name === '_rebuild_parameter') return (data: StoredTensor) => data;
        if (module === 'torch' && STORAGE_TYPES[name]) return Object.assign(() => undefined, { storageClass: name });
        throw new TorchFileError(`${file}: holds a Python object ${module}.${name}, which mimonets does not read; save the model's state_dict (torch.save(model.state_dict(), path)) or a dict holding it`);
      },
    },
    persistentResolver: {
      resolve(pid: unknown) {
        const t = pid as [string, { storageClass?: string }, string, string, number];
        if (!Array.isArray(t) || t[0] !== 'storage' || !t[1]?.storageClass) throw new TorchFileError(`${file}: an unknown persistent object ${JSON.stringify(t)}; only tensor storages are read`);
        const key = String(t[2]);
        let s = storages.get(key);
        if (!s) {
          const type = STORAGE_TYPES[t[1].storageClass];
          s = { dtype: type.dtype, itemBytes: type.bytes, key, numel: Number(t[4]), data: records[`${archive}/data/${key}`] };
          storages.set(key, s);
        }
        return s;
      },
    },
  });
  try {
    return parser.parse(records[pklName]);
  } catch (e) {
    if (e instanceof TorchFileError) throw e;
    throw new TorchFileError(`${file}: cannot read ${pklName} (${(e as Error).message}); the file is damaged or not written by torch.save`);
  }
}

/** A state dict read from a `.pt` file: tensors by name, in file order. */
export interface TorchStateDict {
  tensors: Map<string, TorchTensor>;
  /** Where in the file the state dict was: '' (the file is one) or the key, e.g. 'model_state_dict'. */
  key: string;
  /** A prefix removed from every name ('module.' of nn.DataParallel), or ''. */
  strippedPrefix: string;
  /** Other values at the top level (e.g. the reference training checkpoint's 'epoch'). */
  extras: Record<string, unknown>;
}

const STATE_DICT_KEYS = ['model_state_dict', 'state_dict', 'model'];

/**
 * The model state dict of a `.pt` file: the file itself when it is a dict of tensors, or the
 * entry 'model_state_dict' (the reference's training checkpoint), 'state_dict' or 'model'.
 */
export function readTorchStateDict(bytes: Uint8Array, file: string): TorchStateDict {
  const root = readTorchFile(bytes, file);
  if (!(root instanceof Map)) throw new TorchFileError(`${file}: holds a ${Array.isArray(root) ? 'list' : typeof root}, not a dict; save model.state_dict() or a dict holding it`);
  const isTensorDict = (m: unknown): m is Map<string, StoredTensor> => m instanceof Map && m.size > 0 && [...m.values()].every((v) => v instanceof StoredTensor);
  let dict: Map<string, StoredTensor> | undefined;
  let key = '';
  const extras: Record<string, unknown> = {};
  if (isTensorDict(root)) dict = root;
  else {
    key = STATE_DICT_KEYS.find((k) => isTensorDict(root.get(k))) ?? '';
    if (!key) {
      const keys = [...root.keys()].map(String).slice(0, 12).join(', ');
      throw new TorchFileError(`${file}: no state dict found; the file is a dict with keys ${keys || '(none)'}, expected tensors or one of ${STATE_DICT_KEYS.join(', ')}`);
    }
    dict = root.get(key) as Map<string, StoredTensor>;
    for (const [k, v] of root) if (k !== key && (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')) extras[String(k)] = v;
  }
  const names = [...dict.keys()].map(String);
  const strippedPrefix = names.every((n) => n.startsWith('module.')) ? 'module.' : '';
  const tensors = new Map<string, TorchTensor>();
  for (const [name, t] of dict) tensors.set(String(name).slice(strippedPrefix.length), t.read(String(name), file));
  return { tensors, key, strippedPrefix, extras };
}

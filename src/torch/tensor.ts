/**
 * A tensor as PyTorch stores it in a `.pt` file: element type, shape (row-major, contiguous
 * after reading) and values. Floating types read as Float32Array (float64 as Float64Array),
 * integer and boolean types as Float64Array (exact below 2^53).
 */
export type TorchDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export interface TorchTensor {
  dtype: TorchDtype;
  shape: number[];
  values: Float32Array | Float64Array;
}

/** The legacy typed-storage class names of `torch.save` (module `torch`) and their element types and sizes. */
export const STORAGE_TYPES: Record<string, { dtype: TorchDtype; bytes: number }> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  ShortStorage: { dtype: 'int16', bytes: 2 },
  CharStorage: { dtype: 'int8', bytes: 1 },
  ByteStorage: { dtype: 'uint8', bytes: 1 },
  BoolStorage: { dtype: 'bool', bytes: 1 },
};

/** The storage class `torch.save` names for an element type. */
export function storageClassOf(dtype: TorchDtype): string {
  const hit = Object.entries(STORAGE_TYPES).find(([, t]) => t.dtype === dtype);
  if (!hit) throw new Error(`no PyTorch storage class for dtype ${dtype}`);
  return hit[0];
}

export function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Decodes the first `count` little-endian elements of `dtype` from raw storage bytes. */
export function decodeStorage(bytes: Uint8Array, dtype: TorchDtype, count: number): Float32Array | Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    }
    case 'float16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    }
    case 'bfloat16': {
      const out = new Float32Array(count);
      const f = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        f.setUint32(0, view.getUint16(2 * i, true) << 16);
        out[i] = f.getFloat32(0);
      }
      return out;
    }
    default: {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        out[i] = dtype === 'int64' ? Number(view.getBigInt64(8 * i, true))
          : dtype === 'int32' ? view.getInt32(4 * i, true)
            : dtype === 'int16' ? view.getInt16(2 * i, true)
              : dtype === 'int8' ? view.getInt8(i)
                : view.getUint8(i); // uint8, bool
      }
      return out;
    }
  }
}

/** Little-endian bytes of `values` as `dtype` (the inverse of decodeStorage; float16/bfloat16 not written). */
export function encodeStorage(values: ArrayLike<number>, dtype: TorchDtype): Uint8Array {
  const size = STORAGE_TYPES[storageClassOf(dtype)].bytes;
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    switch (dtype) {
      case 'float32': view.setFloat32(4 * i, v, true); break;
      case 'float64': view.setFloat64(8 * i, v, true); break;
      case 'int64': view.setBigInt64(8 * i, BigInt(Math.trunc(v)), true); break;
      case 'int32': view.setInt32(4 * i, v, true); break;
      case 'int16': view.setInt16(2 * i, v, true); break;
      case 'int8': view.setInt8(i, v); break;
      case 'uint8': case 'bool': view.setUint8(i, v); break;
      default: throw new Error(`writing ${dtype} tensors is not supported; use float32`);
    }
  }
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** IEEE 754 half precision: exact round-to-nearest-even encoding and table-driven decoding. */
/** Largest finite float16. */
export const FLOAT16_MAX = 65504;

/**
 * float16 bits for the float32 with bits `x`, rounding to nearest, ties to even; -1 when a
 * finite value is too large (it would round to infinity). Works on bits rather than numbers so
 * that the rounding is exact (no double rounding through float64) and NaN payloads survive.
 */
function f16FromF32Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const a = x & 0x7fffffff;
  // 0x477ff000 is 65520, halfway between 65504 and 65536; ties-to-even sends it (and anything
  // larger) to infinity, so that is where "out of range" starts.
  if (a >= 0x477ff000) {
    if (a < 0x7f800000) return -1;
    if (a === 0x7f800000) return sign | 0x7c00;
    return sign | 0x7e00 | ((a >>> 13) & 0x3ff); // NaN: keep the top payload bits, force quiet
  }
  if (a >= 0x38800000) {
    // Normal float16 (>= 2^-14): rebias the exponent (127 -> 15), then drop 13 mantissa bits,
    // adding 0xfff plus the kept lsb rounds half to even; a mantissa carry bumps the exponent.
    const v = a - 0x38000000;
    return sign | ((v + 0xfff + ((v >>> 13) & 1)) >>> 13);
  }
  // Below 2^-25 (half the smallest subnormal) everything rounds to zero; 2^-25 itself ties to 0.
  if (a <= 0x33000000) return sign;
  // Subnormal float16: value = m * 2^(e - 150) with the implicit bit restored; in units of the
  // float16 subnormal step 2^-24 that is m >> (126 - e), shift in [14, 24].
  const e = a >>> 23;
  const m = (a & 0x7fffff) | 0x800000;
  const shift = 126 - e;
  let q = m >>> shift;
  const rem = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rem > half || (rem === half && q & 1)) q++; // q may reach 0x400: the smallest normal, correctly
  return sign | q;
}

/**
 * Encodes `bits[start, end)` (float32 bit patterns) into `out[0, end - start)`.
 * Returns the index of the first out-of-range value, or -1.
 */
export function encodeF16Range(bits: Uint32Array, out: Uint16Array, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const h = f16FromF32Bits(bits[i]);
    if (h < 0) return i;
    out[i - start] = h;
  }
  return -1;
}

/**
 * Converts float32 values to IEEE float16 bit patterns, rounding to nearest (ties to even).
 * Zeros keep their sign, tiny values become float16 subnormals (or zero), ±Infinity and NaN are
 * kept. Finite values that would round beyond ±65504 throw a RangeError rather than silently
 * becoming infinite.
 *
 * @example
 * float32ToFloat16(new Float32Array([1, -2, 65504, 2 ** -24])); // Uint16Array [0x3c00, 0xc000, 0x7bff, 0x0001]
 */
export function float32ToFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const bad = encodeF16Range(new Uint32Array(values.buffer, values.byteOffset, values.length), out, 0, values.length);
  if (bad >= 0) {
    throw new RangeError(`value ${values[bad]} at index ${bad} is outside the float16 range ±${FLOAT16_MAX}`);
  }
  return out;
}

/**
 * float32 bit patterns of all 65536 float16 values, built on first use: decoding is then a
 * single table lookup per value. Bits (not numbers) so NaN payloads are copied exactly.
 */
let F16_TO_F32_BITS: Uint32Array | undefined;
function f16Table(): Uint32Array {
  if (F16_TO_F32_BITS) return F16_TO_F32_BITS;
  const t = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = (h & 0x8000) << 16;
    const e = (h >>> 10) & 0x1f;
    let m = h & 0x3ff;
    if (e === 0x1f) t[h] = s | 0x7f800000 | (m << 13);
    else if (e !== 0) t[h] = s | ((e + 112) << 23) | (m << 13);
    else if (m === 0) t[h] = s;
    else {
      // Subnormal: every float16 subnormal is a normal float32; shift the leading 1 up into
      // the implicit-bit position, lowering the exponent once per shift (2^-14 has exponent 113).
      let e32 = 113;
      while (!(m & 0x400)) {
        m <<= 1;
        e32--;
      }
      t[h] = s | (e32 << 23) | ((m & 0x3ff) << 13);
    }
  }
  F16_TO_F32_BITS = t;
  return t;
}

/**
 * Converts IEEE float16 bit patterns to float32 values (exactly: every float16 is a float32).
 *
 * @example
 * float16ToFloat32(new Uint16Array([0x3c00, 0x7bff, 0x0001])); // Float32Array [1, 65504, 5.960464477539063e-8]
 */
export function float16ToFloat32(halves: Uint16Array): Float32Array {
  const table = f16Table();
  const out = new Float32Array(halves.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) bits[i] = table[halves[i]];
  return out;
}

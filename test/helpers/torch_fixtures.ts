// Reading the compact PyTorch fixtures of tools/torch/mimoconv_oracle.py (see its README):
// large parameters are regenerated from {seed, scale}; large gradients are compared by digest.
import assert from 'node:assert/strict';

export interface FixtureTensor {
  shape: number[];
  values?: number[];
  gen?: { seed: number; scale: number };
  digest?: { sum: number; sum_sq: number; abs_max: number; probe: number; sample: { indices: number[]; values: number[] } };
}

/** u(seed, i) in [-1, 1): murmur3 fmix32 of (seed + i·0x9E3779B1) mod 2^32; bit-identical to the Python. */
export function fixtureUniform(seed: number, numel: number): Float64Array {
  const out = new Float64Array(numel);
  for (let i = 0; i < numel; i++) {
    let h = (seed + Math.imul(i, 0x9e3779b1)) >>> 0;
    h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16; h >>>= 0;
    out[i] = 2 * (h / 4294967296) - 1;
  }
  return out;
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A fixture tensor's values, regenerated when only its generator is stored. */
export function fixtureValues(t: FixtureTensor): Float64Array {
  if (t.values) return Float64Array.from(t.values);
  if (!t.gen) throw new Error('fixture tensor has neither values nor gen');
  const scale = t.gen.scale;
  return fixtureUniform(t.gen.seed, numel(t.shape)).map((u) => u * scale);
}

/**
 * `got` (PyTorch layout) against a fixture tensor to `tol` in the sense |a − b| ≤ tol·(1 + |b|)
 * (float32 against a float64 oracle): every value when stored, else the digest: sum of
 * squares, max |v|, the probe dot product (whose error grows like √numel) and 16 sampled entries.
 */
export function assertMatchesFixture(got: ArrayLike<number>, want: FixtureTensor, tol: number, what: string): void {
  assert.equal(got.length, numel(want.shape), `${what}: size`);
  const close = (a: number, b: number, t = tol) => Math.abs(a - b) <= t * (1 + Math.abs(b));
  if (want.values) {
    for (let i = 0; i < got.length; i++) assert.ok(close(got[i], want.values[i]), `${what}[${i}]: ${got[i]} vs PyTorch ${want.values[i]}`);
    return;
  }
  const d = want.digest!;
  let sumSq = 0, absMax = 0, probe = 0;
  const u = fixtureUniform(0x5eed, got.length);
  for (let i = 0; i < got.length; i++) {
    sumSq += got[i] * got[i];
    absMax = Math.max(absMax, Math.abs(got[i]));
    probe += got[i] * u[i];
  }
  // Σv² moves by about 2·Σ|v|·tol: bound it with the L2 norm.
  assert.ok(Math.abs(sumSq - d.sum_sq) <= 2 * tol * Math.sqrt(d.sum_sq * got.length) * 1.5 + tol * tol * got.length, `${what}: sum of squares ${sumSq} vs PyTorch ${d.sum_sq}`);
  assert.ok(close(absMax, d.abs_max), `${what}: max |v| ${absMax} vs PyTorch ${d.abs_max}`);
  assert.ok(Math.abs(probe - d.probe) <= tol * Math.sqrt(got.length) * 3, `${what}: probe ${probe} vs PyTorch ${d.probe}`);
  // Scale-free checks too, so that tensors of tiny gradients still catch a wrong layout or mapping.
  assert.ok(Math.abs(sumSq - d.sum_sq) <= 0.01 * d.sum_sq + 1e-30, `${what}: sum of squares ${sumSq} vs PyTorch ${d.sum_sq} (over 1% off)`);
  // The probe Σ v·u with u ~ U(−1, 1) has typical size √(Σv²/3).
  const probeSize = Math.sqrt(d.sum_sq / 3);
  assert.ok(Math.abs(probe - d.probe) <= 0.01 * probeSize + 1e-30, `${what}: probe ${probe} vs PyTorch ${d.probe} (over 1% of its typical size ${probeSize})`);
  d.sample.indices.forEach((idx, k) => assert.ok(close(got[idx], d.sample.values[k]), `${what}[${idx}]: ${got[idx]} vs PyTorch ${d.sample.values[k]}`));
}

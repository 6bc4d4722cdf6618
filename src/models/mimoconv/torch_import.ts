/**
 * PyTorch weight import: maps a state dict in the reference's naming and layouts
 * (tools/torch/README.md: Conv2d OIHW, Linear [out, in], HRR keys as the grouped Conv1d
 * weight (N, 1, C0)) onto this model's parameters (HWIO convs, [in, out] dense weights,
 * circular-convolution keys [N, C0]). Every mapping is a permutation of entries, so the
 * same function maps gradients.
 */
import { widths, type MimoConvConfig } from './config.js';
import { layout } from './layout.js';

export interface NamedArray {
  shape: number[];
  values: ArrayLike<number>;
}

/** Copies `values` of `shape` into a new array permuted by `perm` (out dim d = in dim perm[d]). */
export function permute(values: ArrayLike<number>, shape: number[], perm: number[]): Float32Array {
  const out = new Float32Array(values.length);
  const outShape = perm.map((p) => shape[p]);
  const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const idx = new Array(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < perm.length; d++) src += idx[d] * inStrides[perm[d]];
    out[o] = values[src];
    for (let d = perm.length - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * The reference HRR conv computes y[m] = Σ_k w[k]·x[(m + 1 + k − C0/2) mod C0], which is
 * circular convolution with the permuted key k[t] = w[(C0/2 − 1 − t) mod C0] (SPEC §1.5).
 */
export function keyFromTorchConv1d(w: ArrayLike<number>, c0: number): Float32Array {
  const k = new Float32Array(c0);
  for (let t = 0; t < c0; t++) k[t] = w[(((c0 / 2 - 1 - t) % c0) + c0) % c0];
  return k;
}

/** Our parameter name and value for one of the reference's, or null for parameters we do not keep. */
function mapOne(c: MimoConvConfig, name: string, a: NamedArray): { name: string; shape: number[]; values: Float32Array } | null {
  const { c0 } = widths(c);
  if (/\.alpha$/.test(name)) return null; // skip-init scalar: unused unless skip_init is on
  if (name === 'bind.keys') {
    const n = a.shape[0];
    const keys = new Float32Array(n * c0);
    for (let s = 0; s < n; s++) keys.set(keyFromTorchConv1d(Array.from(a.values).slice(s * c0, (s + 1) * c0), c0), s * c0);
    return { name, shape: [n, c0], values: keys };
  }
  if (name === 'bind.weight') {
    // Grouped 1x1 conv (N·C0, C0, 1, 1): row s·C0 + o, column j is M_s[o, j].
    return { name: 'bind.matrices', shape: [c.capacity, c0, c0], values: Float32Array.from(a.values) };
  }
  if (name === 'unbind.weight') {
    const [out, inp] = a.shape;
    return { name, shape: [inp, out], values: permute(a.values, [out, inp], [1, 0]) };
  }
  if (name === 'fc.weight') return { name, shape: [a.shape[1], a.shape[0]], values: permute(a.values, a.shape, [1, 0]) };
  const conv = /^(.*conv\d?)\.weight$/.exec(name);
  if (conv && a.shape.length === 4) {
    const [o, i, kh, kw] = a.shape;
    return { name: conv[1], shape: [kh, kw, i, o], values: permute(a.values, a.shape, [2, 3, 1, 0]) };
  }
  const bnp = /^(.*bn\d?)\.(weight|bias)$/.exec(name);
  if (bnp) return { name: `${bnp[1]}.${bnp[2] === 'weight' ? 'gamma' : 'beta'}`, shape: a.shape, values: Float32Array.from(a.values) };
  const act = /^(.*act\d)\.weight$/.exec(name);
  if (act) return { name: act[1], shape: a.shape, values: Float32Array.from(a.values) };
  if (name === 'unbind.bias' || name === 'fc.bias') return { name, shape: a.shape, values: Float32Array.from(a.values) };
  throw new Error(`PyTorch import: unknown parameter '${name}' [${a.shape}] for ${c.arch}-${c.depth}-${c.width} (binding ${c.binding})`);
}

/**
 * Converts a reference state dict to this model's parameters, checking that every
 * parameter the config needs is present with the right shape and that nothing is left over.
 */
export function importTorchParams(c: MimoConvConfig, state: Record<string, NamedArray>): Record<string, { shape: number[]; values: Float32Array }> {
  const out: Record<string, { shape: number[]; values: Float32Array }> = {};
  for (const [name, a] of Object.entries(state)) {
    const m = mapOne(c, name, a);
    if (m) out[m.name] = { shape: m.shape, values: m.values };
  }
  const specs = layout(c).params;
  for (const s of specs) {
    const got = out[s.name];
    if (!got) throw new Error(`PyTorch import: '${s.name}' [${s.shape}] is missing from the state dict; was it saved from a ${c.arch}-${c.depth}-${c.width} with binding ${c.binding} and N=${c.capacity}?`);
    if (got.shape.join(',') !== s.shape.join(',')) throw new Error(`PyTorch import: '${s.name}' has shape [${got.shape}] after conversion, expected [${s.shape}]; check width, initial width and N`);
  }
  const known = new Set(specs.map((s) => s.name));
  const extra = Object.keys(out).filter((k) => !known.has(k));
  if (extra.length) throw new Error(`PyTorch import: parameters not in this model: ${extra.join(', ')}; the config does not match the state dict`);
  return out;
}

/** Inverse of keyFromTorchConv1d: the reference Conv1d weight for a circular-convolution key. */
export function torchConv1dFromKey(k: ArrayLike<number>, c0: number): Float32Array {
  const w = new Float32Array(c0);
  for (let t = 0; t < c0; t++) w[(((c0 / 2 - 1 - t) % c0) + c0) % c0] = k[t];
  return w;
}

/**
 * This model's parameters (or gradients) in the reference's names and layouts: the
 * inverse of importTorchParams (the reference's unused skip-init scalars are not produced).
 */
export function exportTorchParams(c: MimoConvConfig, ours: Record<string, NamedArray>): Record<string, NamedArray> {
  const { c0 } = widths(c);
  const out: Record<string, NamedArray> = {};
  for (const spec of layout(c).params) {
    const a = ours[spec.name];
    if (!a) throw new Error(`PyTorch export: parameter '${spec.name}' missing`);
    const name = spec.name;
    if (name === 'bind.keys') {
      const n = spec.shape[0];
      const w = new Float32Array(n * c0);
      for (let s = 0; s < n; s++) w.set(torchConv1dFromKey(Array.from(a.values).slice(s * c0, (s + 1) * c0), c0), s * c0);
      out[name] = { shape: [n, 1, c0], values: w };
    } else if (name === 'bind.matrices') {
      out['bind.weight'] = { shape: [c.capacity * c0, c0, 1, 1], values: Float32Array.from(a.values) };
    } else if (name === 'unbind.weight') {
      const [inp, o] = spec.shape;
      out[name] = { shape: [o, inp, 1, 1], values: permute(a.values, spec.shape, [1, 0]) };
    } else if (name === 'fc.weight') {
      out[name] = { shape: [spec.shape[1], spec.shape[0]], values: permute(a.values, spec.shape, [1, 0]) };
    } else if (spec.shape.length === 4) {
      const [kh, kw, i, o] = spec.shape;
      out[`${name}.weight`] = { shape: [o, i, kh, kw], values: permute(a.values, spec.shape, [3, 2, 0, 1]) };
    } else if (/\.(gamma|beta)$/.test(name)) {
      out[name.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias')] = { shape: spec.shape, values: Float32Array.from(a.values) };
    } else if (/act\d$/.test(name)) {
      out[`${name}.weight`] = { shape: spec.shape, values: Float32Array.from(a.values) };
    } else {
      out[name] = { shape: spec.shape, values: Float32Array.from(a.values) };
    }
  }
  return out;
}

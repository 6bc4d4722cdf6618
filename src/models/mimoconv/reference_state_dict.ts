/**
 * The reference code's state dict (../shared/spec/reference_state_dict.md) ⇄ this model's
 * parameters and batch-norm statistics. Names: `conv1`/`bn1` (stem), `channelConv` (HRR keys)
 * or `channelLinear` (MBAT), `layerS.B.{bn1, relu1, conv1, bn2, relu2, conv2, downsample.0/1,
 * alpha}`, `unbind.0`, `fc`; layouts are converted by torch_import.ts. The reference's
 * running statistics are those of n = N.
 */
import { hasUnbind, resolveConfig, type MimoConvConfig } from './config.js';
import { layout } from './layout.js';
import { exportTorchParams, importTorchParams, type NamedArray } from './torch_import.js';
import type { TorchTensor } from '../../torch/tensor.js';

export interface BnStatValues {
  mean: Float32Array;
  variance: Float32Array;
}

/** The reference's name for one of our PyTorch-layout names (torch_import.ts). */
export function referenceName(name: string): string {
  if (name === 'bind.keys') return 'channelConv.weight';
  if (name === 'bind.weight') return 'channelLinear.weight';
  const unbind = /^unbind\.(weight|bias)$/.exec(name);
  if (unbind) return `unbind.0.${unbind[1]}`;
  const stem = /^stem\.(conv|bn)\.(.+)$/.exec(name);
  if (stem) return `${stem[1]}1.${stem[2]}`;
  const block = /^stages\.(\d+)\.(\d+)\.(.+)$/.exec(name);
  if (block) {
    const rest = block[3].replace(/^act(\d)\./, 'relu$1.').replace(/^shortcut\.conv\./, 'downsample.0.').replace(/^shortcut\.bn\./, 'downsample.1.');
    return `layer${Number(block[1]) + 1}.${block[2]}.${rest}`;
  }
  return name;
}

const scalar = (dtype: 'float32' | 'int64', v: number): TorchTensor => ({ dtype, shape: [], values: dtype === 'int64' ? Float64Array.of(v) : Float32Array.of(v) });

/**
 * The reference state dict of a model, in the reference's order: `params` in our layouts
 * (tfjs: HWIO convs, [in, out] dense), `stats` the batch-norm statistics of n = N by layer.
 * The unused skip-init scalars `alpha` are written as 0 (their initial value), the batch-norm
 * counters `num_batches_tracked` as `batchesTracked`.
 */
export function exportReferenceStateDict(c: MimoConvConfig, params: Record<string, NamedArray>, stats: Record<string, BnStatValues>, batchesTracked = 0): [string, TorchTensor][] {
  const torch = exportTorchParams(c, params); // our names, PyTorch layouts
  const lay = layout(c);
  const out: [string, TorchTensor][] = [];
  const put = (ours: string) => {
    const a = torch[ours];
    if (!a) throw new Error(`PyTorch export: parameter '${ours}' missing`);
    out.push([referenceName(ours), { dtype: 'float32', shape: a.shape, values: Float32Array.from(a.values) }]);
  };
  const bn = (layer: string) => {
    const s = stats[layer];
    if (!s) throw new Error(`PyTorch export: batch-norm statistics of '${layer}' missing`);
    put(`${layer}.weight`);
    put(`${layer}.bias`);
    const ref = referenceName(`${layer}.weight`).slice(0, -'.weight'.length);
    out.push([`${ref}.running_mean`, { dtype: 'float32', shape: [s.mean.length], values: Float32Array.from(s.mean) }]);
    out.push([`${ref}.running_var`, { dtype: 'float32', shape: [s.variance.length], values: Float32Array.from(s.variance) }]);
    out.push([`${ref}.num_batches_tracked`, scalar('int64', batchesTracked)]);
  };
  if (c.binding === 'hrr') put('bind.keys');
  if (c.binding === 'mbat') put('bind.weight');
  if (hasUnbind(c)) {
    put('unbind.weight');
    put('unbind.bias');
  }
  put('stem.conv.weight');
  bn('stem.bn');
  for (const b of lay.blocks) {
    out.push([`${referenceName(`${b.prefix}.x`).slice(0, -2)}.alpha`, scalar('float32', 0)]);
    for (const k of [1, 2]) {
      bn(`${b.prefix}.bn${k}`);
      if (c.arch === 'mimonet') put(`${b.prefix}.act${k}.weight`);
      put(`${b.prefix}.conv${k}.weight`);
    }
    if (b.shortcut) {
      put(`${b.prefix}.shortcut.conv.weight`);
      bn(`${b.prefix}.shortcut.bn`);
    }
  }
  put('fc.weight');
  put('fc.bias');
  return out;
}

/** What the reference state dict of config `c` holds: names and shapes in order. */
export function referenceEntries(c: MimoConvConfig): { name: string; shape: number[] }[] {
  const params: Record<string, NamedArray> = {};
  for (const p of layout(c).params) params[p.name] = { shape: p.shape, values: new Float32Array(p.shape.reduce((a, b) => a * b, 1)) };
  const stats: Record<string, BnStatValues> = {};
  for (const p of layout(c).params) {
    const bn = /^(.*)\.gamma$/.exec(p.name);
    if (bn) stats[bn[1]] = { mean: new Float32Array(p.shape[0]), variance: new Float32Array(p.shape[0]) };
  }
  return exportReferenceStateDict(c, params, stats).map(([name, t]) => ({ name, shape: t.shape }));
}

/**
 * The model config a reference state dict was saved from, read off its tensors: arch (PReLU
 * slopes or not), depth (blocks per stage), width, initial width, binding and N, classes.
 * Throws naming the tensor when one the reference always writes is missing.
 */
export function inferReferenceConfig(tensors: Map<string, TorchTensor>): MimoConvConfig {
  const shape = (name: string): number[] => {
    const t = tensors.get(name);
    if (!t) throw new Error(`'${name}' is missing; every reference MIMOConv/WideResNet state dict has it — is this a MIMOConv checkpoint?`);
    return t.shape;
  };
  const names = [...tensors.keys()];
  const [c0, inChannels] = shape('conv1.weight');
  const blocks = new Set(names.map((n) => /^layer1\.(\d+)\./.exec(n)?.[1]).filter((b) => b !== undefined));
  const width = shape('layer1.0.conv1.weight')[0] / 16;
  const f = 64 * width;
  const arch = names.some((n) => /^layer\d+\.\d+\.relu\d\.weight$/.test(n)) ? 'mimonet' : 'wrn';
  const binding = tensors.has('channelConv.weight') ? 'hrr' : tensors.has('channelLinear.weight') ? 'mbat' : 'none';
  const capacity = binding === 'hrr' ? shape('channelConv.weight')[0]
    : binding === 'mbat' ? shape('channelLinear.weight')[0] / c0
      : tensors.has('unbind.0.weight') ? shape('unbind.0.weight')[0] / f : 1;
  return resolveConfig({ arch, depth: 6 * blocks.size + 4, width, initialWidth: c0 / 16, binding, capacity, classes: shape('fc.weight')[0], inChannels });
}

/**
 * A reference state dict as this model's parameters (tfjs layouts) and the batch-norm
 * statistics of n = N. Every tensor must be there with its shape, nothing may be left over;
 * errors name the tensor and say which setting to change.
 */
export function importReferenceStateDict(c: MimoConvConfig, tensors: Map<string, TorchTensor>): { params: Record<string, { shape: number[]; values: Float32Array }>; stats: Record<string, BnStatValues> } {
  const model = `${c.arch}-${c.depth}-${c.width} (initial width ${c.initialWidth}, binding ${c.binding}, N=${c.capacity}, ${c.classes} classes)`;
  const expected = referenceEntries(c);
  const want = new Set(expected.map((e) => e.name));
  for (const e of expected) {
    const t = tensors.get(e.name);
    if (!t) throw new Error(`'${e.name}' [${e.shape}] is missing from the state dict of a ${model}; check --model, --initial-width, --binding and --capacity`);
    if (t.shape.join(',') !== e.shape.join(',')) {
      throw new Error(`'${e.name}' has shape [${t.shape}], a ${model} needs [${e.shape}]; the file was saved from another configuration (omit the flags to read it off the file)`);
    }
  }
  const extra = [...tensors.keys()].filter((k) => !want.has(k));
  if (extra.length) throw new Error(`not in a ${model}: ${extra.slice(0, 8).map((k) => `'${k}'`).join(', ')}${extra.length > 8 ? ` and ${extra.length - 8} more` : ''}; check --model, --binding and --capacity`);
  const ours: Record<string, NamedArray> = {};
  const stats: Record<string, BnStatValues> = {};
  // Our PyTorch-layout name for every reference parameter, read off referenceName.
  const byRef = new Map<string, string>();
  for (const p of layout(c).params) {
    const torchName = p.name === 'bind.keys' ? 'bind.keys' : p.name === 'bind.matrices' ? 'bind.weight'
      : /\.gamma$/.test(p.name) ? p.name.replace(/\.gamma$/, '.weight') : /\.beta$/.test(p.name) ? p.name.replace(/\.beta$/, '.bias')
        : /\.(weight|bias)$/.test(p.name) ? p.name : `${p.name}.weight`;
    byRef.set(referenceName(torchName), torchName);
  }
  for (const bn of layout(c).bns) {
    const ref = referenceName(`${bn}.weight`).slice(0, -'.weight'.length);
    const mean = tensors.get(`${ref}.running_mean`)!, variance = tensors.get(`${ref}.running_var`)!;
    stats[bn] = { mean: Float32Array.from(mean.values), variance: Float32Array.from(variance.values) };
  }
  for (const [name, t] of tensors) {
    const torchName = byRef.get(name);
    if (torchName) ours[torchName] = { shape: t.shape, values: t.values };
  }
  return { params: importTorchParams(c, ours), stats };
}

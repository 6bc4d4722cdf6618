/**
 * The layer plan of a MIMOConv network: every parameter's name and shape, which
 * convolutions the isometry regulariser covers (with their strides), and which
 * parameters are exempt from weight decay. Shapes are tfjs layouts: conv weights HWIO,
 * dense weights [in, out].
 */
import { hasUnbind, widths, type MimoConvConfig } from './config.js';

export type Init =
  | { kind: 'kaiming'; fanOut: number } // N(0, 2/fanOut): PyTorch kaiming_normal_(mode='fan_out', relu)
  | { kind: 'uniform'; bound: number } // U(−bound, bound)
  | { kind: 'const'; value: number };

export interface ParamSpec {
  name: string;
  shape: number[];
  init: Init;
  /** PReLU slopes are not weight-decayed (SPEC §2.6). */
  noDecay?: boolean;
}

export interface BlockPlan {
  prefix: string;
  stage: number;
  /** The stage's last block. */
  last: boolean;
  inC: number;
  outC: number;
  stride: number;
  shortcut: boolean;
}

export interface Layout {
  params: ParamSpec[];
  blocks: BlockPlan[];
  /** Names of the batch-norm layers (each has `${name}.gamma` and `${name}.beta`). */
  bns: string[];
  /** Convolutions under the isometry regulariser, with their strides (mimonet only). */
  isoConvs: { name: string; stride: number }[];
}

export function layout(c: MimoConvConfig): Layout {
  const { c0, stages, f, blocksPerStage } = widths(c);
  const params: ParamSpec[] = [];
  const bns: string[] = [];
  const isoConvs: { name: string; stride: number }[] = [];
  const conv = (name: string, k: number, cin: number, cout: number) =>
    params.push({ name, shape: [k, k, cin, cout], init: { kind: 'kaiming', fanOut: cout * k * k } });
  const bn = (name: string, ch: number) => {
    bns.push(name);
    params.push({ name: `${name}.gamma`, shape: [ch], init: { kind: 'const', value: 1 } });
    params.push({ name: `${name}.beta`, shape: [ch], init: { kind: 'const', value: 0 } });
  };
  const prelu = (name: string, ch: number) => {
    if (c.arch === 'mimonet') params.push({ name, shape: [ch], init: { kind: 'const', value: c.preluInit }, noDecay: true });
  };

  conv('stem.conv', 3, c.inChannels, c0);
  bn('stem.bn', c0);
  if (c.binding === 'hrr') {
    // PyTorch's default Conv1d init for the keys: U(±1/√C0) (SPEC §1.5).
    params.push({ name: 'bind.keys', shape: [c.capacity, c0], init: { kind: 'uniform', bound: 1 / Math.sqrt(c0) } });
  } else if (c.binding === 'mbat') {
    // Grouped 1x1 conv, kaiming fan_out over all N·C0 output channels.
    params.push({ name: 'bind.matrices', shape: [c.capacity, c0, c0], init: { kind: 'kaiming', fanOut: c.capacity * c0 } });
  }
  const blocks: BlockPlan[] = [];
  let inC = c0;
  for (let s = 0; s < 3; s++) {
    for (let b = 0; b < blocksPerStage; b++) {
      const stride = b === 0 && s > 0 ? 2 : 1, outC = stages[s], prefix = `stages.${s}.${b}`;
      const shortcut = stride !== 1 || inC !== outC;
      bn(`${prefix}.bn1`, inC);
      prelu(`${prefix}.act1`, inC);
      conv(`${prefix}.conv1`, 3, inC, outC);
      bn(`${prefix}.bn2`, outC);
      prelu(`${prefix}.act2`, outC);
      conv(`${prefix}.conv2`, 3, outC, outC);
      isoConvs.push({ name: `${prefix}.conv1`, stride }, { name: `${prefix}.conv2`, stride: 1 });
      if (shortcut) {
        conv(`${prefix}.shortcut.conv`, 1, inC, outC);
        bn(`${prefix}.shortcut.bn`, outC);
        isoConvs.push({ name: `${prefix}.shortcut.conv`, stride });
      }
      blocks.push({ prefix, stage: s, last: b === blocksPerStage - 1, inC, outC, stride, shortcut });
      inC = outC;
    }
  }
  if (hasUnbind(c)) {
    params.push({ name: 'unbind.weight', shape: [f, c.capacity * f], init: { kind: 'kaiming', fanOut: c.capacity * f } });
    params.push({ name: 'unbind.bias', shape: [c.capacity * f], init: { kind: 'uniform', bound: 1 / Math.sqrt(f) } });
  }
  params.push({ name: 'fc.weight', shape: [f, c.classes], init: { kind: 'uniform', bound: 1 / Math.sqrt(f) } });
  params.push({ name: 'fc.bias', shape: [c.classes], init: { kind: 'uniform', bound: 1 / Math.sqrt(f) } });
  return { params, blocks, bns, isoConvs: c.arch === 'mimonet' ? isoConvs : [] };
}

/** Forward MACs per image at n superposed inputs (SPEC §1.8 counting rules). */
export function macsPerImage(c: MimoConvConfig, n: number, imageSize = 32): number {
  const { c0, f } = widths(c);
  let hw = imageSize * imageSize;
  let macs = 9 * c.inChannels * c0 * hw; // stem
  if (c.binding !== 'none') macs += c0 * c0 * hw; // bind (direct circular convolution / dense matrix)
  let trunk = 0;
  for (const b of layout(c).blocks) {
    if (b.stride === 2) hw /= 4;
    trunk += 9 * b.inC * b.outC * hw + 9 * b.outC * b.outC * hw + (b.shortcut ? b.inC * b.outC * hw : 0);
  }
  macs += trunk / n;
  if (hasUnbind(c)) macs += (f * c.capacity * f) / n;
  return macs + f * c.classes;
}

/**
 * MIMOConv model configuration (SPEC §1). Defaults follow the reference code; the
 * resolved config is stored in every checkpoint, so evaluation needs only the path.
 */
export type Arch = 'wrn' | 'mimonet';
export type Binding = 'hrr' | 'mbat' | 'none';

export interface MimoConvConfig {
  /** 'wrn': ReLU pre-activation blocks, no isometry regulariser (the WideResNet baseline).
   *  'mimonet': PReLU blocks (AdjustedISOBlock) with the isometry regulariser. */
  arch: Arch;
  /** 6k+4: 10, 16, 22, 28, ... (k blocks per stage). */
  depth: number;
  /** Width multiplier: stages have 16w, 32w, 64w channels. */
  width: number;
  /** The stem (where binding happens) has 16·initialWidth channels. */
  initialWidth: number;
  binding: Binding;
  /** N: how many inputs one superposition can hold. */
  capacity: number;
  classes: number;
  /** Input channels (3 for CIFAR). */
  inChannels: number;
  /** PReLU slope at initialisation (mimonet). */
  preluInit: number;
  bnEps: number;
  /** Running-statistics update rate (PyTorch convention: new = (1 − m)·old + m·batch). */
  bnMomentum: number;
}

export const MIMOCONV_DEFAULTS: MimoConvConfig = {
  arch: 'mimonet', depth: 16, width: 4, initialWidth: 2, binding: 'hrr', capacity: 1, classes: 10, inChannels: 3,
  preluInit: 0.5, bnEps: 1e-5, bnMomentum: 0.1,
};

/** Parses 'mimonet-16-4' / 'wrn-28-10' into arch, depth and width. */
export function parseModelName(name: string): Pick<MimoConvConfig, 'arch' | 'depth' | 'width'> {
  const m = /^(wrn|mimonet)-(\d+)-(\d+)$/.exec(name);
  if (!m) throw new Error(`model '${name}': expected wrn-D-W or mimonet-D-W, e.g. mimonet-16-4 or wrn-16-4`);
  return { arch: m[1] as Arch, depth: Number(m[2]), width: Number(m[3]) };
}

/** Defaults filled in and everything checked; errors say what to change. */
export function resolveConfig(partial: Partial<MimoConvConfig> = {}): MimoConvConfig {
  const c: MimoConvConfig = { ...MIMOCONV_DEFAULTS, ...partial };
  const whole = (k: keyof MimoConvConfig, min: number) => {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v < min) throw new Error(`MIMOConv config: ${k} must be a whole number >= ${min}, got ${v}`);
  };
  if (c.arch !== 'wrn' && c.arch !== 'mimonet') throw new Error(`MIMOConv config: arch must be wrn or mimonet, got '${c.arch}'`);
  if (!['hrr', 'mbat', 'none'].includes(c.binding)) throw new Error(`MIMOConv config: binding must be hrr, mbat or none, got '${c.binding}'`);
  whole('depth', 10);
  if ((c.depth - 4) % 6 !== 0) throw new Error(`MIMOConv config: depth must be 6k+4 (10, 16, 22, 28, ...), got ${c.depth}`);
  whole('width', 1);
  whole('initialWidth', 1);
  whole('capacity', 1);
  whole('classes', 2);
  whole('inChannels', 1);
  if (c.binding === 'hrr' && (16 * c.initialWidth) % 2 !== 0) throw new Error('MIMOConv config: HRR binding needs an even number of stem channels');
  if (!Number.isFinite(c.preluInit)) throw new Error(`MIMOConv config: preluInit must be a number, got ${c.preluInit}`);
  if (!(c.bnEps > 0) || !(c.bnMomentum > 0 && c.bnMomentum <= 1)) throw new Error(`MIMOConv config: need bnEps > 0 and 0 < bnMomentum <= 1, got ${c.bnEps}, ${c.bnMomentum}`);
  return c;
}

/** Channels where binding happens (C0) and of the pooled features (F). */
export function widths(c: MimoConvConfig): { c0: number; stages: [number, number, number]; f: number; blocksPerStage: number } {
  const stages: [number, number, number] = [16 * c.width, 32 * c.width, 64 * c.width];
  return { c0: 16 * c.initialWidth, stages, f: stages[2], blocksPerStage: (c.depth - 4) / 6 };
}

/** True when the unbinding head exists (everything but the plain N=1 no-binding baseline). */
export function hasUnbind(c: MimoConvConfig): boolean {
  return !(c.binding === 'none' && c.capacity === 1);
}

/** The divisors of N: the numbers of superposed inputs a model (MIMOConv or superpose) can run with. */
export function operatingPoints(c: { capacity: number }): number[] {
  return Array.from({ length: c.capacity }, (_, i) => i + 1).filter((n) => c.capacity % n === 0);
}

/** e.g. 'mimonet-16-4'. */
export function modelName(c: MimoConvConfig): string {
  return `${c.arch}-${c.depth}-${c.width}`;
}

/** Options of `superpose` and their defaults, checked with errors that say what to change. */
import type * as tf from '@tensorflow/tfjs';

/** A network part: a function of tensors, or a tf.LayersModel (called with apply). */
export type Trunk = ((x: tf.Tensor) => tf.Tensor) | tf.LayersModel;

export interface SuperposeConfig {
  /** N: inputs one superposition can hold. */
  capacity: number;
  /** 'hrr': circular convolution with a learned key per slot (MIMOConv's); 'mbat': a dense matrix per slot; 'none': plain sum. */
  binding: 'hrr' | 'mbat' | 'none';
  /** Channels at the binding point: the last axis of the stem's output (or of the input without a stem). */
  channels: number;
  /** Width of the trunk's output (its last axis; other axes after the batch are averaged). */
  features: number;
  /** Classes of the shared head; 0: no head (forward returns features, logits null). */
  classes: number;
  /** Weight of the binding regulariser in `loss` (MIMOConv's default 0.1). */
  bindingReg: number;
  seed: number;
}

export interface SuperposeOptions extends Partial<SuperposeConfig> {
  trunk: Trunk;
  /** Runs on every input before binding, e.g. a first convolution. */
  stem?: Trunk;
  capacity: number;
  channels: number;
  features: number;
}

export const SUPERPOSE_DEFAULTS: Omit<SuperposeConfig, 'capacity' | 'channels' | 'features'> = { binding: 'hrr', classes: 0, bindingReg: 0.1, seed: 42 };

export function resolveSuperposeConfig(o: SuperposeOptions): SuperposeConfig {
  const c: SuperposeConfig = {
    ...SUPERPOSE_DEFAULTS,
    ...Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== 'trunk' && k !== 'stem')),
  } as SuperposeConfig;
  const whole = (k: 'capacity' | 'channels' | 'features' | 'classes', min: number) => {
    if (!Number.isInteger(c[k]) || c[k] < min) throw new Error(`superpose: ${k} must be a whole number >= ${min}, got ${c[k]}`);
  };
  if (typeof o.trunk !== 'function' && typeof (o.trunk as tf.LayersModel | undefined)?.apply !== 'function') throw new Error('superpose: trunk must be a function of tensors or a tf.LayersModel');
  whole('capacity', 1);
  whole('channels', 1);
  whole('features', 1);
  whole('classes', 0);
  if (!['hrr', 'mbat', 'none'].includes(c.binding)) throw new Error(`superpose: binding must be hrr, mbat or none, got '${c.binding}'`);
  if (!(c.bindingReg >= 0)) throw new Error(`superpose: bindingReg must be >= 0, got ${c.bindingReg}`);
  return c;
}

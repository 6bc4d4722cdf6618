/**
 * Superposition around any network (the paper's "MIMONets augment various deep neural network
 * architectures"): n inputs (n divides the capacity N) pass an optional per-input stem, are
 * bound to their slots' keys and summed into one tensor, the user's trunk runs once on that
 * bundle, and an unbinding head reads N slot features back; each input's N/n copies are
 * averaged and a shared head classifies them. Binding and unbinding are the same pure
 * functions MIMOConv uses (bindBundle, bundle, unbindSlots).
 *
 * @example
 * import * as tf from '@tensorflow/tfjs';
 * import { initBackend, superpose } from 'mimonets';
 * await initBackend();
 * const trunk = tf.sequential({ layers: [tf.layers.dense({ inputShape: [32], units: 64, activation: 'relu' })] });
 * const net = superpose({ trunk, capacity: 4, channels: 32, features: 64, classes: 10 });
 * const logits = net.forward(tf.randomNormal([8, 32]), 4).logits; // 8 inputs in 2 passes of the trunk
 * console.log(logits.shape); // [8, 10]
 */
import * as tf from '@tensorflow/tfjs';
import { bindBundle, bindingRegularizer, bundle, circulant, unbindSlots } from '../../vsa/index.js';
import { operatingPoints } from '../mimoconv/config.js';
import type { ParamSpec } from '../mimoconv/layout.js';
import { initValue } from '../mimoconv/model.js';
import { resolveSuperposeConfig, type SuperposeConfig, type SuperposeOptions, type Trunk } from './config.js';

export interface SuperposedOutput {
  /** [B, classes], or null without a head. */
  logits: tf.Tensor2D | null;
  /** One feature vector per input after unbinding and averaging, [B, features]. */
  features: tf.Tensor2D;
}

function call(f: Trunk, x: tf.Tensor): tf.Tensor {
  return typeof f === 'function' ? f(x) : (f.apply(x) as tf.Tensor);
}

export class Superposed {
  readonly config: SuperposeConfig;
  /** The superposition's own parameters: bind.keys (HRR) or bind.matrices (MBAT), unbind.*, head.*. */
  readonly variables: Record<string, tf.Variable> = {};
  private readonly trunk: Trunk;
  private readonly stem?: Trunk;

  constructor(o: SuperposeOptions) {
    this.config = resolveSuperposeConfig(o);
    this.trunk = o.trunk;
    this.stem = o.stem;
    const { capacity: N, channels: C, features: F, classes, binding, seed } = this.config;
    // MIMOConv's initialisations (SPEC §1.5–1.6), through its initValue.
    const v = (name: string, spec: Pick<ParamSpec, 'shape' | 'init'>, k: number) => {
      this.variables[name] = tf.tidy(() => tf.variable(initValue(spec, seed + k), true, `superpose/${name}`));
    };
    const uniform = (shape: number[], fanIn: number) => ({ shape, init: { kind: 'uniform' as const, bound: 1 / Math.sqrt(fanIn) } });
    if (binding === 'hrr') v('bind.keys', uniform([N, C], C), 0);
    if (binding === 'mbat') v('bind.matrices', { shape: [N, C, C], init: { kind: 'kaiming', fanOut: N * C } }, 0);
    if (this.hasUnbind()) {
      v('unbind.weight', { shape: [F, N * F], init: { kind: 'kaiming', fanOut: N * F } }, 1);
      v('unbind.bias', uniform([N * F], F), 2);
    }
    if (classes > 0) {
      v('head.weight', uniform([F, classes], F), 3);
      v('head.bias', uniform([classes], F), 4);
    }
  }

  /** False only for binding 'none' at N = 1: then the trunk's features are used as they are. */
  hasUnbind(): boolean {
    return !(this.config.binding === 'none' && this.config.capacity === 1);
  }

  /** The operating points: every n dividing N. */
  operatingPoints(): number[] {
    return operatingPoints(this.config);
  }

  /**
   * B inputs ([B, ..., C] channels-last, B a multiple of n) with n per superposition: the
   * trunk runs on B/n bundles.
   */
  forward(x: tf.Tensor, n: number): SuperposedOutput {
    const { capacity: N, channels: C, features: F, binding } = this.config;
    if (!Number.isInteger(n) || n < 1 || N % n !== 0) throw new Error(`superpose: n=${n} inputs per superposition must divide the capacity N=${N} (use one of ${this.operatingPoints().join(', ')})`);
    if (x.shape[0] % n !== 0) throw new Error(`superpose: a batch of ${x.shape[0]} inputs is not a multiple of n=${n}; drop the last ${x.shape[0] % n} or pad`);
    // tf.tidy keeps the tensors of the returned object (a null logits is skipped).
    return tf.tidy(() => {
      const h = this.stem ? call(this.stem, x) : x; // [B, ..., C]
      const b = h.shape[0], mid = h.shape.slice(1, -1), c = h.shape[h.rank - 1];
      if (c !== C || h.rank < 2) throw new Error(`superpose: the ${this.stem ? 'stem output' : 'input'} is [${h.shape}], its last axis must have channels=${C}`);
      const p = mid.reduce((a, d) => a * d, 1);
      const flat = h.reshape([b, p, 1, C]) as tf.Tensor4D; // [B, P, 1, C]: binding acts per position across channels
      const bound = binding === 'hrr' ? bindBundle(flat, circulant(this.variables['bind.keys'] as tf.Tensor2D), n)
        : binding === 'mbat' ? bindBundle(flat, this.variables['bind.matrices'] as tf.Tensor3D, n)
          : this.hasUnbind() ? bundle(flat, n, N) : flat; // [B/n, P, 1, C]
      const out = call(this.trunk, bound.reshape([b / n, ...mid, C])); // [B/n, ..., F]
      if (out.shape[0] !== b / n || out.shape[out.rank - 1] !== F) throw new Error(`superpose: the trunk returned [${out.shape}] for ${b / n} bundles; expected [${b / n}, ..., features=${F}]`);
      const pooled = (out.rank > 2 ? out.mean(Array.from({ length: out.rank - 2 }, (_, i) => i + 1)) : out) as tf.Tensor2D; // [B/n, F]
      const features = this.hasUnbind()
        ? unbindSlots(pooled, this.variables['unbind.weight'] as tf.Tensor2D, this.variables['unbind.bias'] as tf.Tensor1D, n) // [B, F]
        : pooled;
      const logits = this.config.classes > 0
        ? (features.matMul(this.variables['head.weight'] as tf.Tensor2D).add(this.variables['head.bias']) as tf.Tensor2D) // [B, classes]
        : null;
      return { logits, features } as unknown as tf.TensorContainer;
    }) as unknown as SuperposedOutput;
  }

  /** The binding regulariser (keys towards unit norm and mutual orthogonality; 0 unless HRR). */
  bindingRegularizer(): tf.Scalar {
    return this.config.binding === 'hrr' ? bindingRegularizer(this.variables['bind.keys'] as tf.Tensor2D) : tf.scalar(0);
  }

  /** Mean cross-entropy of the head's logits plus bindingReg · the binding regulariser. */
  loss(x: tf.Tensor, labels: tf.Tensor1D, n: number): tf.Scalar {
    const { classes, bindingReg } = this.config;
    if (classes === 0) throw new Error('superpose: loss needs a head; give classes > 0 (or use forward(...).features with your own loss)');
    return tf.tidy(() => {
      const logits = this.forward(x, n).logits!;
      const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(labels.toInt(), classes), logits) as tf.Scalar;
      return bindingReg > 0 ? ce.add(this.bindingRegularizer().mul(bindingReg)) : ce;
    });
  }

  /** Every trainable variable: the superposition's own, and the stem's and trunk's when they are tf.LayersModels. */
  trainableVariables(): tf.Variable[] {
    const own = Object.values(this.variables);
    const layers = [this.stem, this.trunk].flatMap((f) => (f && typeof f !== 'function' ? f.trainableWeights.map((w) => w.read() as tf.Variable) : []));
    return [...own, ...layers];
  }

  /** Frees the superposition's own variables (not the trunk's or stem's: they are the caller's). */
  dispose(): void {
    tf.dispose(Object.values(this.variables));
  }
}

/** Puts a trunk in superposition: see Superposed. */
export function superpose(o: SuperposeOptions): Superposed {
  return new Superposed(o);
}

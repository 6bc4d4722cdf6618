/**
 * MimoConvNet: the parameters, per-n batch-norm running statistics and regularisers of
 * a MIMOConv network, around the pure `forward` function.
 *
 * Batch norm at evaluation. The reference normalises with the batch's statistics even
 * at test time, so a prediction depends on the other images in the batch and a single
 * image cannot be classified reliably. Here every n keeps its own running statistics,
 * updated whenever a training step runs at that n: superpositions of n images have
 * different statistics from superpositions of N, so one set cannot serve both. An
 * operating point never trained (e.g. n = 2 for a model trained with n in {1, 4}) gets
 * its statistics from `calibrate` (a pass over training batches without updates).
 */
import * as tf from '@tensorflow/tfjs';
import { bindingRegularizer } from '../../vsa/index.js';
import { resolveConfig, type MimoConvConfig } from './config.js';
import { forward, type BnMode, type BnStat, type ForwardOutput } from './forward.js';
import { isometryRegularizer } from './isometry.js';
import { layout, type Layout, type ParamSpec } from './layout.js';

export interface Regularizers {
  /** HRR binding regulariser (0 for other bindings). */
  bind: tf.Scalar;
  /** Isometry regulariser (0 for the wrn baseline). */
  iso: tf.Scalar;
}

/** A parameter's initial value from its spec (SPEC §1.6): Kaiming-normal (fan out), uniform or a constant. */
export function initValue(spec: Pick<ParamSpec, 'shape' | 'init'>, seed: number): tf.Tensor {
  const i = spec.init;
  switch (i.kind) {
    case 'kaiming': return tf.randomNormal(spec.shape, 0, Math.sqrt(2 / i.fanOut), 'float32', seed);
    case 'uniform': return tf.randomUniform(spec.shape, -i.bound, i.bound, 'float32', seed);
    default: return tf.fill(spec.shape, i.value);
  }
}

export class MimoConvNet {
  readonly config: MimoConvConfig;
  readonly layout: Layout;
  readonly params: Record<string, tf.Variable>;
  /** Running batch-norm statistics per number of superposed inputs n. */
  readonly bnStats = new Map<number, Record<string, BnStat>>();

  /** A freshly initialised network (SPEC §1.6), deterministic for a seed. */
  constructor(config: Partial<MimoConvConfig>, seed = 42, values?: Record<string, { shape: number[]; values: Float32Array }>) {
    this.config = resolveConfig(config);
    this.layout = layout(this.config);
    this.params = {};
    this.layout.params.forEach((spec, i) => {
      const v = values?.[spec.name];
      if (values && !v) throw new Error(`MimoConvNet: no value for parameter '${spec.name}'`);
      if (v && v.shape.join(',') !== spec.shape.join(',')) throw new Error(`MimoConvNet: '${spec.name}' is [${v.shape}], the config needs [${spec.shape}]`);
      this.params[spec.name] = tf.tidy(() => tf.variable(v ? tf.tensor(v.values, spec.shape) : initValue(spec, seed * 1000 + i), true));
    });
  }

  /**
   * Logits for B images ([B, H, W, C], NHWC, normalised) at n superposed inputs.
   * `training`: batch statistics, and the running statistics for n are updated.
   */
  forward(x: tf.Tensor4D, n: number, opts: { training: boolean; params?: Record<string, tf.Tensor>; fold?: boolean }): ForwardOutput {
    const mode: BnMode = opts.training
      ? { kind: 'batch', record: (layer, s, count) => this.updateStat(n, layer, s, count) }
      : { kind: 'running', stats: this.statsFor(n), fold: opts.fold };
    return forward(this.config, opts.params ?? this.params, x, n, mode);
  }

  /** Whether running batch-norm statistics exist for n. */
  hasStats(n: number): boolean {
    return this.bnStats.has(n);
  }

  /**
   * Recomputes the running statistics for n as the plain average over the given batches
   * (no parameter changes): for operating points the training never ran at.
   */
  calibrate(n: number, batches: Iterable<tf.Tensor4D>): void {
    const sums = new Map<string, { mean: tf.Tensor; variance: tf.Tensor }>();
    let k = 0;
    for (const x of batches) {
      tf.tidy(() => {
        forward(this.config, this.params, x, n, {
          kind: 'batch',
          record: (layer, s, count) => {
            const v = s.variance.mul(count / Math.max(1, count - 1));
            const old = sums.get(layer);
            sums.set(layer, old
              ? { mean: tf.keep(old.mean.add(s.mean)), variance: tf.keep(old.variance.add(v)) }
              : { mean: tf.keep(s.mean.clone()), variance: tf.keep(v) });
            if (old) tf.dispose([old.mean, old.variance]);
          },
        });
      });
      k++;
    }
    if (k === 0) throw new Error(`calibrate: no batches given for n=${n}`);
    const old = this.bnStats.get(n);
    if (old) for (const v of Object.values(old)) tf.dispose([v.mean, v.variance]);
    const stats: Record<string, BnStat> = {};
    for (const [layer, s] of sums) {
      stats[layer] = { mean: tf.tidy(() => s.mean.div(k)) as tf.Tensor1D, variance: tf.tidy(() => s.variance.div(k)) as tf.Tensor1D };
      tf.dispose([s.mean, s.variance]);
    }
    this.bnStats.set(n, stats);
  }

  /** The forward pass with the reference's behaviour: batch statistics, nothing recorded. */
  forwardBatchStats(x: tf.Tensor4D, n: number): ForwardOutput {
    return forward(this.config, this.params, x, n, { kind: 'batch' });
  }

  regularizers(params: Record<string, tf.Tensor> = this.params): Regularizers {
    return tf.tidy(() => ({
      bind: this.config.binding === 'hrr' ? bindingRegularizer(params['bind.keys'] as tf.Tensor2D) : tf.scalar(0),
      iso: isometryRegularizer(this.layout.isoConvs.map((c) => ({ weight: params[c.name] as tf.Tensor4D, stride: c.stride }))),
    }));
  }

  /** Parameters exempt from weight decay (PReLU slopes), by name. */
  noDecay(): Set<string> {
    return new Set(this.layout.params.filter((p) => p.noDecay).map((p) => p.name));
  }

  private statsFor(n: number): Record<string, BnStat> {
    const s = this.bnStats.get(n);
    if (!s) {
      const have = [...this.bnStats.keys()].join(', ') || 'none';
      throw new Error(`MimoConvNet: no batch-norm statistics for n=${n} (have: ${have}); train at n=${n} or calibrate it (mimo calibrate --n ${n})`);
    }
    return s;
  }

  private updateStat(n: number, layer: string, batch: BnStat, count: number): void {
    let s = this.bnStats.get(n);
    if (!s) this.bnStats.set(n, (s = {}));
    const m = this.config.bnMomentum;
    const old = s[layer];
    // As PyTorch: the running variance uses the unbiased batch variance.
    const unbiased = batch.variance.mul(count / Math.max(1, count - 1)) as tf.Tensor1D;
    // tf.keep: these outlive the training step's tidy scope.
    const next: BnStat = old
      ? { mean: tf.keep(old.mean.mul(1 - m).add(batch.mean.mul(m))), variance: tf.keep(old.variance.mul(1 - m).add(unbiased.mul(m))) }
      : { mean: tf.keep(batch.mean.clone()), variance: tf.keep(unbiased) };
    if (old) tf.dispose([old.mean, old.variance]);
    s[layer] = next;
  }

  dispose(): void {
    tf.dispose(Object.values(this.params));
    for (const s of this.bnStats.values()) for (const v of Object.values(s)) tf.dispose([v.mean, v.variance]);
    this.bnStats.clear();
  }
}

/**
 * SGD exactly as torch.optim.SGD (dampening 0) with coupled weight decay and per-step
 * learning rate and momentum (set by the one-cycle schedule):
 *
 *   g ← g + wd·p;  buf ← g on the first step, else μ·buf + g;
 *   p ← p − lr·buf, or with Nesterov p ← p − lr·(g + μ·buf)
 */
import * as tf from '@tensorflow/tfjs';

export interface SgdOptions {
  weightDecay: number;
  /** Parameters without weight decay (PReLU slopes in MIMOConv). */
  noDecay?: Set<string>;
  /** Nesterov momentum (torch's nesterov=True). Default false. */
  nesterov?: boolean;
}

export class Sgd {
  private readonly buffers = new Map<string, tf.Variable>();

  constructor(private readonly vars: Record<string, tf.Variable>, private readonly opts: SgdOptions) {}

  /** Applies one update from gradients keyed like the variables. */
  step(grads: Record<string, tf.Tensor>, lr: number, momentum: number): void {
    tf.tidy(() => {
      for (const [name, v] of Object.entries(this.vars)) {
        const g0 = grads[name];
        if (!g0) continue;
        const wd = this.opts.noDecay?.has(name) ? 0 : this.opts.weightDecay;
        const g = wd !== 0 ? g0.add(v.mul(wd)) : g0;
        let buf = this.buffers.get(name);
        if (!buf) {
          buf = tf.variable(g, false);
          this.buffers.set(name, buf);
        } else {
          buf.assign(buf.mul(momentum).add(g));
        }
        v.assign(v.sub((this.opts.nesterov ? g.add(buf.mul(momentum)) : buf).mul(lr)));
      }
    });
  }

  /** Momentum buffers, for checkpoints. */
  state(): Record<string, { shape: number[]; values: Float32Array }> {
    const out: Record<string, { shape: number[]; values: Float32Array }> = {};
    for (const [k, b] of this.buffers) out[k] = { shape: b.shape, values: b.dataSync() as Float32Array };
    return out;
  }

  /** Restores momentum buffers saved by state(). */
  load(state: Record<string, { shape: number[]; values: Float32Array }>): void {
    this.disposeBuffers();
    for (const [k, s] of Object.entries(state)) {
      const v = this.vars[k];
      if (!v) throw new Error(`SGD state: momentum buffer for unknown parameter '${k}'`);
      if (v.shape.join(',') !== s.shape.join(',')) throw new Error(`SGD state: buffer '${k}' is [${s.shape}], the parameter is [${v.shape}]`);
      this.buffers.set(k, tf.variable(tf.tensor(s.values, s.shape), false));
    }
  }

  private disposeBuffers(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }

  dispose(): void {
    this.disposeBuffers();
  }
}

/**
 * torch.nn.utils.clip_grad_norm_: the global L2 norm of all gradients (returned), and the
 * gradients scaled by maxNorm/(norm + 1e-6) when that is below 1.
 */
export function clipGradNorm(grads: Record<string, tf.Tensor>, maxNorm: number): { grads: Record<string, tf.Tensor>; norm: number } {
  const norm = Math.sqrt(tf.tidy(() => tf.addN(Object.values(grads).map((g) => g.square().sum())).dataSync()[0]));
  const coef = maxNorm / (norm + 1e-6);
  if (!(coef < 1)) return { grads, norm };
  const scaled = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.mul(coef)]));
  return { grads: scaled, norm };
}

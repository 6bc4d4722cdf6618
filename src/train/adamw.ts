/**
 * AdamW exactly as torch.optim.AdamW (PyTorch 1.13, no amsgrad), with per-step learning
 * rate and β1 (OneCycleLR cycles β1 like SGD's momentum, SPEC §3.7). The bias correction
 * uses the current β1, as PyTorch does.
 *
 *   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + eps)
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamWOptions {
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export class AdamW {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private t = 0;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly wd: number;

  constructor(private readonly vars: Record<string, tf.Variable>, o: AdamWOptions = {}) {
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-6;
    this.wd = o.weightDecay ?? 0;
  }

  /** One update from gradients keyed like the variables. */
  step(grads: Record<string, tf.Tensor>, lr: number, beta1: number): void {
    this.t++;
    const bc1 = 1 - beta1 ** this.t, bc2 = Math.sqrt(1 - this.beta2 ** this.t);
    tf.tidy(() => {
      for (const [name, p] of Object.entries(this.vars)) {
        const g = grads[name];
        if (!g) continue;
        let m = this.m.get(name), v = this.v.get(name);
        if (!m || !v) {
          m = tf.variable(tf.zerosLike(p), false);
          v = tf.variable(tf.zerosLike(p), false);
          this.m.set(name, m);
          this.v.set(name, v);
        }
        m.assign(m.mul(beta1).add(g.mul(1 - beta1)));
        v.assign(v.mul(this.beta2).add(g.square().mul(1 - this.beta2)));
        const decayed = this.wd !== 0 ? p.mul(1 - lr * this.wd) : p;
        p.assign(decayed.sub(m.div(v.sqrt().div(bc2).add(this.eps)).mul(lr / bc1)));
      }
    });
  }

  /** Moment estimates and step count, for checkpoints. */
  state(): { t: number; tensors: Record<string, { shape: number[]; values: Float32Array }> } {
    const tensors: Record<string, { shape: number[]; values: Float32Array }> = {};
    for (const [k, t] of this.m) tensors[`m/${k}`] = { shape: t.shape, values: t.dataSync() as Float32Array };
    for (const [k, t] of this.v) tensors[`v/${k}`] = { shape: t.shape, values: t.dataSync() as Float32Array };
    return { t: this.t, tensors };
  }

  load(s: { t: number; tensors: Record<string, { shape: number[]; values: Float32Array }> }): void {
    this.dispose();
    this.t = s.t;
    for (const [key, val] of Object.entries(s.tensors)) {
      const [kind, ...rest] = key.split('/');
      const name = rest.join('/');
      if (!this.vars[name] || (kind !== 'm' && kind !== 'v')) throw new Error(`AdamW state: unexpected entry '${key}'`);
      (kind === 'm' ? this.m : this.v).set(name, tf.variable(tf.tensor(val.values, val.shape), false));
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

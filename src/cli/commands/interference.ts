import { initBackend } from '../../backend/index.js';
import * as tf from '@tensorflow/tfjs';
import { favorAttention, orthogonalRandomFeatures } from '../../models/mimoformer/favor.js';
import { interferenceCase } from '../../models/mimoformer/interference.js';
import { mimoAttention } from '../../models/mimoformer/mimo_attention.js';
import { randomBipolarKeys } from '../../vsa/index.js';
import { Progress } from '../progress.js';
import { table, type Command } from '../command.js';

/** Max |att.(M=N=1) − Performer with the key folded in|: zero up to float rounding (SPEC §4.4). */
function identityError(d: number, seed: number): number {
  return tf.tidy(() => {
    const [b, h, l] = [2, 2, 16];
    const q = tf.randomNormal([b, h, l, d], 0, 1, 'float32', seed) as tf.Tensor4D;
    const k = tf.randomNormal([b, h, l, d], 0, 1, 'float32', seed + 1) as tf.Tensor4D;
    const v = tf.randomNormal([b, h, l, d], 0, 1, 'float32', seed + 2) as tf.Tensor4D;
    const mask = tf.ones([b, l]) as tf.Tensor2D;
    const p = tf.tensor2d(orthogonalRandomFeatures(64, d, seed), [64, d]);
    const beta = randomBipolarKeys(1, d, seed).reshape([1, 1, d]) as tf.Tensor3D;
    const bv = beta.reshape([d]);
    const mimo = mimoAttention(q, k, v, mask, beta, p, { m: 1, n: 1 });
    const perf = favorAttention(q.mul(bv) as tf.Tensor4D, k.mul(bv) as tf.Tensor4D, v.mul(bv) as tf.Tensor4D, mask, p).mul(bv);
    return mimo.sub(perf).abs().max().dataSync()[0];
  });
}

export const interference: Command = {
  path: ['interference'],
  summary: 'Monte-Carlo check of the MIMOFormer score-interference bound (SPEC §4.4, ours) and of the exact Performer identity at M=N=1.',
  options: {
    dims: { type: 'list', help: 'head dimensions D (default 16,32,64,128,256,512)' },
    grids: { type: 'list', help: 'M=N values (default 1,2,4)' },
    trials: { type: 'number', default: 4000, help: 'key draws per case' },
    delta: { type: 'number', default: 0.05, help: 'failure probability of the high-probability bound' },
    seed: { type: 'number', default: 1, help: 'seed' },
  },
  async run(args) {
    await initBackend({});
    const dims = ((args.dims as string[] | undefined) ?? ['16', '32', '64', '128', '256', '512']).map(Number);
    const grids = ((args.grids as string[] | undefined) ?? ['1', '2', '4']).map(Number);
    const bar = new Progress(dims.length * grids.length, 'interference', { json: Boolean(args.json) });
    const rows = [];
    for (const d of dims) for (const g of grids) {
      rows.push(interferenceCase(d, g, args.trials as number, (args.seed as number) * 1000 + d + g, args.delta as number));
      bar.tick();
    }
    bar.finish();
    const identity = dims.map((d) => ({ d, max_abs_error: identityError(d, args.seed as number) }));
    const identityHolds = identity.every((r) => r.max_abs_error < 1e-4);
    const holds = rows.every((r) => r.holds) && identityHolds;
    const fmt = (x: number) => (Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(2) : x.toFixed(4));
    const text = table(['D', 'M=N', 'std measured', 'std predicted', 'ratio', `bound (δ=${args.delta})`, 'P(|E|>=bound)', 'holds'],
      rows.map((r) => [r.d, r.m, fmt(r.measured_std), fmt(r.predicted_std), r.std_ratio.toFixed(3), fmt(r.bound), r.tail_frequency.toFixed(4), r.holds ? 'yes' : 'NO'])) +
      `\nM=N=1 att. vs Performer with folded keys, max |error|: ${identity.map((r) => `D=${r.d} ${r.max_abs_error.toExponential(1)}`).join(', ')}\nholds: ${holds}`;
    return { json: { holds, delta: args.delta, trials: args.trials, rows, identity }, text };
  },
};

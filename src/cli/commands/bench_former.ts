import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../backend/index.js';
import { resolveFormerConfig, type Scheme } from '../../models/mimoformer/config.js';
import { formerMacsPerSequence } from '../../models/mimoformer/cost.js';
import { MimoFormer } from '../../models/mimoformer/model.js';
import { median } from '../../bench/timing.js';
import { profileKernels, type Profile } from '../../bench/profile.js';
import { Progress } from '../progress.js';
import { BACKEND_OPTS, table, type Command } from '../command.js';
import { UsageError } from '../args.js';
import { plural } from '../../util/plural.js';

export const benchFormer: Command = {
  path: ['bench', 'former'],
  summary: 'MIMOFormer inference speed: sequences/s of the Performer, att. and att.+MLP at M=N=2,4 (equal batch), with FLOP ratios (SPEC §5.2 F-A by default); --profile splits a forward pass by kernel.',
  options: {
    ...BACKEND_OPTS,
    length: { type: 'number', default: 256, help: 'sequence length L' },
    batch: { type: 'number', default: 64, help: 'sequences per forward pass (a multiple of 16)' },
    d: { type: 'number', default: 32, help: 'model width' },
    hid: { type: 'number', default: 64, help: 'MLP width' },
    heads: { type: 'number', default: 4, help: 'attention heads' },
    dh: { type: 'number', default: 32, help: 'head width' },
    layers: { type: 'number', default: 1, help: 'encoder layers' },
    features: { type: 'number', default: 128, help: 'random features R' },
    reps: { type: 'number', default: 5, help: 'timed rounds over the schemes (median)' },
    block: { type: 'number', default: 4, help: 'forward passes timed per scheme and round (after one untimed pass)' },
    profile: { type: 'boolean', help: 'also split one forward pass of each scheme by kernel' },
  },
  async run(args) {
    const b = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    const base = { d: args.d as number, hid: args.hid as number, heads: args.heads as number, dh: args.dh as number, layers: args.layers as number,
      features: args.features as number, vocab: 20, maxLen: args.length as number, classes: 10, dropout: 0 };
    const cases: [Scheme, number][] = [['performer', 1], ['att', 2], ['att', 4], ['attmlp', 2], ['attmlp', 4]];
    const L = args.length as number, B = args.batch as number, reps = args.reps as number;
    for (const k of ['reps', 'block'] as const) {
      if (!(Number.isInteger(args[k]) && (args[k] as number) >= 1)) throw new UsageError(`--${k} must be a whole number >= 1, got ${String(args[k])}`);
    }
    const bar = new Progress(reps, 'bench former', { json: Boolean(args.json) });
    const tokens = tf.tidy(() => tf.randomUniform([B, L], 1, 20, 'int32', 3) as tf.Tensor2D);
    const results: { scheme: Scheme; grid: number; sequences_per_s: number; flops_per_sequence: number }[] = [];
    const models: MimoFormer[] = [];
    const profiles: (Profile & { scheme: Scheme; grid: number })[] = [];
    try {
      for (const [scheme, grid] of cases) models.push(new MimoFormer(resolveFormerConfig({ ...base, scheme, grid }), 1));
      const runs = models.map((m) => () => tf.tidy(() => { m.forward(tokens, false).dataSync(); }));
      // Warm every model up (JIT, kernel caches), then time the schemes round-robin, so drift
      // in the machine's speed during the run touches them all alike. Each turn is a block of
      // forward passes after one untimed pass: sequences/s is a scheme's steady throughput, not
      // that of one pass right after another scheme has swept the caches.
      for (const run of runs) { run(); run(); }
      const times: number[][] = runs.map(() => []);
      const block = args.block as number;
      for (let r = 0; r < reps; r++) {
        runs.forEach((run, i) => {
          run();
          const t = performance.now();
          for (let k = 0; k < block; k++) run();
          times[i].push((performance.now() - t) / 1000 / block);
        });
        bar.tick();
      }
      if (args.profile) for (const [i, run] of runs.entries()) profiles.push({ scheme: cases[i][0], grid: cases[i][1], ...(await profileKernels(run)) });
      cases.forEach(([scheme, grid], i) => {
        const s = median(times[i]);
        results.push({ scheme, grid, sequences_per_s: Math.round((B / s) * 10) / 10, flops_per_sequence: Math.round(2 * formerMacsPerSequence(models[i].config, L)) });
      });
    } finally {
      tokens.dispose();
      for (const m of models) m.dispose();
    }
    bar.finish();
    const p = results[0];
    const rows = results.map((r) => ({ ...r, speedup: Math.round((r.sequences_per_s / p.sequences_per_s) * 100) / 100, flop_ratio: Math.round((p.flops_per_sequence / r.flops_per_sequence) * 100) / 100 }));
    return {
      json: { backend: b.backend, threads: b.threads, length: L, batch: B, config: base, results: rows, ...(args.profile ? { profiles } : {}) },
      text: `L=${L}, batch ${B}, d=${base.d} hid=${base.hid} H=${base.heads} Dh=${base.dh} R=${base.features} on ${b.backend} (${plural(b.threads, 'thread')})\n` +
        table(['scheme', 'M=N', 'seq/s', 'MFLOP/seq', 'speedup', 'FLOP ratio'], rows.map((r) => [r.scheme, r.grid, r.sequences_per_s, (r.flops_per_sequence / 1e6).toFixed(1), r.speedup + 'x', r.flop_ratio + 'x'])) +
        profiles.map((pr) => `\n\n${pr.scheme} M=N=${pr.grid}: one forward ${pr.wall_ms.toFixed(1)} ms, outside kernels ${pr.outside_kernels_ms.toFixed(1)} ms\n` +
          table(['kernel', 'ms', 'calls'], pr.kernels.filter((k) => k.ms >= 0.5).map((k) => [k.name, k.ms.toFixed(1), k.calls]))).join(''),
    };
  },
};

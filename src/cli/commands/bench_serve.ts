import { resolve } from 'node:path';
import { writeResults } from '../../util/atomic_write.js';
import { machineLine } from '../../util/machine.js';
import { loadRun, spawnServer, type LoadRun } from '../../bench/serve_load.js';
import { loadCifar10, resolveDataDir } from '../../data/index.js';
import { encodeRgbPng } from '../../util/png.js';
import { UsageError } from '../args.js';
import { BACKEND_OPTS, DATA_OPTS, table, type Command } from '../command.js';
import { Progress } from '../progress.js';

/** One-image request bodies: CIFAR-10 test images when present, else fixed synthetic ones. */
function imageBodies(count: number, dataDir: string): { pngs: string[]; source: string } {
  try {
    const test = loadCifar10(dataDir, 'test');
    const px = 32 * 32 * 3;
    return { pngs: Array.from({ length: count }, (_, i) => encodeRgbPng(test.images.subarray(i * px, (i + 1) * px), 32, 32).toString('base64')), source: `the first ${count} CIFAR-10 test images (PNG)` };
  } catch {
    const pngs = Array.from({ length: count }, (_, k) => encodeRgbPng(Uint8Array.from({ length: 3072 }, (_, i) => (Math.imul(i + 1, 2654435761 ^ k) >>> 24) & 255), 32, 32).toString('base64'));
    return { pngs, source: `${count} synthetic 32x32 PNG images (no CIFAR-10 in the data directory)` };
  }
}

export const benchServe: Command = {
  path: ['bench', 'serve'],
  summary: 'Load test of mimo serve on loopback: throughput and p50/p99 latency per fixed n and auto at several client counts; writes results/serve.md and .json.',
  options: {
    ...BACKEND_OPTS, ...DATA_OPTS,
    checkpoint: { type: 'string', help: 'MIMOConv checkpoint to serve (required)' },
    duration: { type: 'number', default: 10, help: 'seconds per run' },
    clients: { type: 'list', default: ['1', '8', '64'], help: 'concurrent clients per run' },
    modes: { type: 'list', help: "operating points to load: each served n and 'auto' (default: all)" },
    'max-latency-ms': { type: 'number', default: 100, help: "the server's latency budget for auto" },
    out: { type: 'string', default: 'results/serve', help: 'output path without extension (empty: write nothing)' },
  },
  async run(args) {
    if (!args.checkpoint) throw new UsageError('--checkpoint <path> is required');
    const duration = args.duration as number;
    if (!(duration > 0 && duration <= 120)) throw new UsageError(`--duration ${duration}: use 1..120 seconds per run`);
    const clients = (args.clients as string[]).map(Number);
    if (clients.some((c) => !Number.isInteger(c) || c < 1 || c > 1024)) throw new UsageError(`--clients ${args.clients}: whole numbers 1..1024`);
    const serverArgs = ['--checkpoint', args.checkpoint as string, '--max-latency-ms', String(args['max-latency-ms'])];
    if (args.threads !== undefined) serverArgs.push('--threads', String(args.threads));
    if (args.backend !== undefined) serverArgs.push('--backend', String(args.backend));
    const server = await spawnServer(serverArgs);
    try {
      const op = await (await fetch(server.url + '/v1/operating-points')).json() as { model: string; capacity: number; points: { n: number }[] };
      const points = op.points.map((p) => p.n);
      const modes = (args.modes as string[] | undefined) ?? [...points.map(String), 'auto'];
      for (const m of modes) {
        if (m !== 'auto' && !points.includes(Number(m))) throw new UsageError(`--modes ${m}: the model serves n = ${points.join(', ')} and auto`);
      }
      const { pngs, source } = imageBodies(32, resolveDataDir(args['data-dir'] as string | undefined));
      const bodiesFor = (mode: string) => pngs.map((image) => JSON.stringify(mode === 'auto' ? { image } : { image, n: Number(mode) }));
      // Warm-up: every mode under the heaviest load, so first-call costs and the allocator's
      // growth to its working size stay out of the measured runs.
      for (const m of modes) await loadRun(server.url, m, Math.max(...clients), Math.min(3, duration), bodiesFor(m));
      const bar = new Progress(modes.length * clients.length, 'load runs', { json: Boolean(args.json) });
      const runs: LoadRun[] = [];
      for (const m of modes) {
        for (const c of clients) {
          runs.push(await loadRun(server.url, m, c, duration, bodiesFor(m)));
          bar.tick(1, `${m} x${c}`);
        }
      }
      bar.finish();
      const code = await server.stop();
      const N = op.capacity, most = Math.max(...clients), least = Math.min(...clients);
      const at = (m: string, c: number) => runs.find((r) => r.mode === m && r.clients === c);
      const autoSat = at('auto', most), fixedSat = at(String(N), most), autoIdle = at('auto', least);
      const first = runs[0], last = runs[runs.length - 1];
      const checks = {
        auto_vs_fixed_n_at_saturation: autoSat && fixedSat ? Math.round((autoSat.images_per_s / fixedSat.images_per_s) * 1000) / 1000 : null,
        auto_share_n1_with_one_client: autoIdle ? autoIdle.n_share['n=1'] ?? 0 : null,
        errors: runs.reduce((s, r) => s + r.errors, 0),
        tensors_flat: runs.every((r) => r.tensors_after === first.tensors_before),
        rss_growth_mb: last.rss_after_mb - first.rss_before_mb,
        clean_shutdown: code === 0,
      };
      const met = {
        auto_saturated_ge_90pct: checks.auto_vs_fixed_n_at_saturation !== null && checks.auto_vs_fixed_n_at_saturation >= 0.9,
        idle_serves_n1: checks.auto_share_n1_with_one_client !== null && checks.auto_share_n1_with_one_client >= 0.99,
        zero_errors: checks.errors === 0,
        tensors_flat: checks.tensors_flat,
        memory_flat: last.rss_after_mb <= first.rss_before_mb * 1.1,
      };
      const machine = machineLine();
      const command = `npx mimo bench serve --checkpoint ${args.checkpoint} --duration ${duration} --clients ${clients.join(',')} --max-latency-ms ${args['max-latency-ms']}`;
      const json = { date: new Date().toISOString().slice(0, 10), machine, checkpoint: args.checkpoint, model: op.model, capacity: N, duration_s: duration, images: source, command, runs, checks, targets_met: met };
      const rows = runs.map((r) => [r.mode === 'auto' ? 'auto' : `n=${r.mode}`, r.clients, r.images_per_s, r.latency_p50_ms, r.latency_p99_ms, r.errors,
        Object.entries(r.n_share).filter(([, v]) => v > 0).map(([k, v]) => `${k}: ${(v * 100).toFixed(0)}%`).join(', '), `${r.tensors_before}→${r.tensors_after}`, `${r.rss_before_mb}→${r.rss_after_mb}`]);
      const header = ['mode', 'clients', 'images/s', 'p50 ms', 'p99 ms', 'errors', 'n used', 'tensors', 'RSS MB'];
      const md = [
        '# mimo serve under load', '',
        `Loopback load test: ${duration} s per run, one image per request (${source}), autocannon clients in one process and the server in another, on the same machine.`,
        `Machine: ${machine}; ${json.date}. Model: ${op.model} (N=${N}), checkpoint \`${args.checkpoint}\`. Reproduce: \`${command}\`.`, '',
        `| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`), '',
        '## Targets', '',
        `- auto under saturation (${most} clients) vs fixed n=${N}: ${checks.auto_vs_fixed_n_at_saturation ?? '–'} (target >= 0.9) ${met.auto_saturated_ge_90pct ? 'met' : 'NOT met'}`,
        `- auto with ${least} client: share of images at n=1 ${checks.auto_share_n1_with_one_client ?? '–'} (target: serves at n=1) ${met.idle_serves_n1 ? 'met' : 'NOT met'}`,
        `- errors: ${checks.errors} (target 0) ${met.zero_errors ? 'met' : 'NOT met'}`,
        `- live tensors in the worker flat over every run: ${checks.tensors_flat ? 'yes' : 'NO'}; resident memory ${first.rss_before_mb} → ${last.rss_after_mb} MB over the measured runs (${checks.rss_growth_mb >= 0 ? '+' : ''}${checks.rss_growth_mb} MB; flat = within 10%: ${met.memory_flat ? 'met' : 'NOT met'})`,
        `- SIGTERM at the end: ${checks.clean_shutdown ? 'clean exit' : `exit code ${code}`}`, '',
      ].join('\n');
      if (args.out) writeResults(resolve(args.out as string), json, md);
      return { json, text: md + '\n' + table(header, rows) };
    } finally {
      if (server.child.exitCode === null) await server.stop();
    }
  },
};

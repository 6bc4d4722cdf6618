#!/usr/bin/env node
// `npm run bench:speed`: the speed targets of the project in one run, on an otherwise idle
// machine. For MIMONet widths 4, 2 and 1 (N=4, with the plain WideResNet of the same width as
// baseline): mimonets (`mimo bench conv`) and the PyTorch peer (bench/torch/mimoconv_bench.py,
// the reference's way: grouped circular Conv1d binding), one after the other, same batch and
// threads; a per-kernel profile of a training step at width 4; and MIMOFormer (`mimo bench
// former`). Writes results/speed.md and results/speed.json with ratios, targets, CPU and date.
//
//   npm run bench:speed                      the full run (about 30 min on 2 cores)
//   npm run bench:speed -- --quick           small batch and images: checks the pipeline only
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const size = quick ? ['--batch', '8', '--image-size', '16', '--reps', '1', '--min-seconds', '0'] : ['--reps', '3'];
const CONFIGS = [
  { model: 'mimonet-16-4', iw: 2, baseline: 'wrn-16-4', profile: true },
  { model: 'mimonet-16-2', iw: 1, baseline: 'wrn-16-2' },
  { model: 'mimonet-16-1', iw: 1, baseline: 'wrn-16-1' },
];
const log = (m) => process.stderr.write(`bench:speed: ${m}\n`);
const lastJson = (r, what) => {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
};
const mimo = (args) => lastJson(spawnSync(process.execPath, [join(root, 'dist/src/cli/main.js'), ...args, '--json'], { encoding: 'utf8', cwd: root, maxBuffer: 1 << 26 }), `mimo ${args.join(' ')}`);
const torchPeer = (args) => lastJson(spawnSync('/usr/bin/python3', [join(root, 'bench/torch/mimoconv_bench.py'), ...args, '--json'], { encoding: 'utf8', cwd: root, maxBuffer: 1 << 26 }), 'PyTorch peer');
const r2 = (x) => Math.round(x * 100) / 100;

// Other work on the 2 cores skews every number: record how busy the machine was.
const loadBefore = loadavg()[0];
if (loadBefore > 0.5) log(`load average ${loadBefore.toFixed(2)}: other work is running, the numbers will be low and noisy`);
const configs = [];
for (const c of CONFIGS) {
  const args = ['--model', c.model, '--initial-width', String(c.iw), '--capacity', '4', '--baseline', c.baseline, ...size];
  log(`${c.model}: mimonets`);
  // With the profile, also inference without folding batch norm into the convolutions (the fold's
  // gain), timed in the same interleaved rounds.
  const ours = mimo(['bench', 'conv', ...args, ...(c.profile ? ['--profile', '--compare-fold'] : [])]);
  log(`${c.model}: PyTorch peer`);
  const torch = torchPeer(args);
  const n1 = ours.results[0];
  const rows = ours.results.map((o) => {
    const t = torch.results.find((p) => p.n === o.n);
    const gain = o.images_per_s / n1.images_per_s, flopRatio = n1.flops_per_image / o.flops_per_image;
    const gainBase = o.images_per_s / ours.baseline.images_per_s, flopBase = ours.baseline.flops_per_image / o.flops_per_image;
    return {
      n: o.n, flops_per_image: o.flops_per_image,
      mimonets_images_per_s: o.images_per_s, torch_images_per_s: t.images_per_s, inference_ratio: r2(o.images_per_s / t.images_per_s),
      mimonets_train_step_s: o.train_step_s, torch_train_step_s: t.train_step_s, train_step_fraction: r2(o.train_step_s / t.train_step_s),
      speedup_vs_n1: r2(gain), flop_ratio_vs_n1: r2(flopRatio), gain_efficiency_vs_n1: r2(gain / flopRatio),
      speedup_vs_baseline: r2(gainBase), flop_ratio_vs_baseline: r2(flopBase), gain_efficiency_vs_baseline: r2(gainBase / flopBase),
    };
  });
  configs.push({ ...c, ours, torch, rows });
}
log('MIMOFormer');
// 15 interleaved rounds: a MIMOFormer pass here takes ~20-40 ms, and with the default 5 rounds the
// M=N=4 gain ratios moved by ±0.15 between runs minutes apart.
const former = mimo(['bench', 'former', ...(quick ? ['--length', '64', '--batch', '16', '--reps', '1'] : ['--reps', '15'])]);
const formerRows = former.results.map((r) => ({ ...r, efficiency: r2(r.speedup / r.flop_ratio) }));

// The targets of the speed issue, each with the measured value.
const at = (model, n) => configs.find((c) => c.model === model).rows.find((r) => r.n === n);
const w4 = (n) => at('mimonet-16-4', n);
const targets = [
  { what: 'mimonet-16-4 inference vs PyTorch at n=1', value: w4(1).inference_ratio, want: '>= 2', met: w4(1).inference_ratio >= 2 },
  { what: 'mimonet-16-4 inference vs PyTorch at n=2', value: w4(2).inference_ratio, want: '>= 2.5', met: w4(2).inference_ratio >= 2.5 },
  { what: 'mimonet-16-4 inference vs PyTorch at n=4', value: w4(4).inference_ratio, want: '>= 3', met: w4(4).inference_ratio >= 3 },
  { what: 'mimonet-16-4 training step, fraction of PyTorch at n=1', value: w4(1).train_step_fraction, want: '<= 0.5', met: w4(1).train_step_fraction <= 0.5 },
  { what: 'mimonet-16-4 training step, fraction of PyTorch at n=4', value: w4(4).train_step_fraction, want: '<= 0.33', met: w4(4).train_step_fraction <= 1 / 3 },
  ...configs.flatMap((c) => c.rows.filter((r) => r.n > 1).flatMap((r) => [
    { what: `${c.model} speedup n=${r.n} vs n=1 / FLOP ratio`, value: r.gain_efficiency_vs_n1, want: '>= 0.85', met: r.gain_efficiency_vs_n1 >= 0.85 },
    { what: `${c.model} speedup n=${r.n} vs ${c.baseline} / FLOP ratio`, value: r.gain_efficiency_vs_baseline, want: '>= 0.85', met: r.gain_efficiency_vs_baseline >= 0.85 },
  ])),
  ...configs.map((c) => ({ what: `${c.model} at n=4 not slower than ${c.baseline} (images/s ratio)`, value: c.rows.find((r) => r.n === 4).speedup_vs_baseline, want: '>= 1', met: c.rows.find((r) => r.n === 4).speedup_vs_baseline >= 1 })),
  ...formerRows.filter((r) => r.scheme !== 'performer').map((r) => ({ what: `MIMOFormer ${r.scheme} M=N=${r.grid} speedup / FLOP ratio`, value: r.efficiency, want: '>= 0.85', met: r.efficiency >= 0.85 })),
];

const date = new Date().toISOString().slice(0, 10);
const { machineLine } = await import(join(root, 'dist/src/util/machine.js'));
const machine = machineLine();
const command = `npm run bench:speed${quick ? ' -- --quick' : ''}`;
const json = { date, machine, cores: cpus().length, load_average_before: Math.round(loadBefore * 100) / 100, quick, command, configs: configs.map(({ ours, torch, ...c }) => ({ ...c, mimonets: ours, torch })), former: { ...former, results: formerRows }, targets };
const profile = configs[0].ours.profile;
const md = [
  '# Speed: mimonets vs the PyTorch peer, and superposition gains', '',
  `${machine}, ${date}, ${configs[0].ours.backend} backend on ${configs[0].ours.threads} threads; PyTorch ${configs[0].torch.torch ?? ''} on ${configs[0].torch.threads ?? 2} threads; 1-minute load average before the run ${json.load_average_before} (idle: ~0).`,
  `Batch ${configs[0].ours.batch} superpositions of ${configs[0].ours.image_size}x${configs[0].ours.image_size} images, evaluation mode for images/s; one SGD step for step time. Regenerate: \`${command}\`${quick ? ' (QUICK: tiny sizes, not a measurement)' : ''}.`, '',
  '## Targets', '', '| target | measured | wanted | met |', '|---|---|---|---|',
  ...targets.map((t) => `| ${t.what} | ${t.value} | ${t.want} | ${t.met ? 'yes' : '**no**'} |`), '',
  ...configs.flatMap((c) => [
    `## ${c.model} (initial width ${c.iw}, HRR, N=4) vs ${c.baseline}`, '',
    '| n | MFLOP/img | mimonets img/s | PyTorch img/s | ratio | mimonets step s | PyTorch step s | step fraction | speedup vs n=1 (FLOP ratio) | vs baseline (FLOP ratio) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...c.rows.map((r) => `| ${r.n} | ${(r.flops_per_image / 1e6).toFixed(1)} | ${r.mimonets_images_per_s} | ${r.torch_images_per_s} | ${r.inference_ratio}x | ${r.mimonets_train_step_s} | ${r.torch_train_step_s} | ${r.train_step_fraction} | ${r.speedup_vs_n1}x (${r.flop_ratio_vs_n1}x) | ${r.speedup_vs_baseline}x (${r.flop_ratio_vs_baseline}x) |`),
    '', `Baseline ${c.baseline}: mimonets ${c.ours.baseline.images_per_s} img/s, step ${c.ours.baseline.train_step_s} s; PyTorch ${c.torch.baseline.images_per_s} img/s, step ${c.torch.baseline.train_step_s} s.`, '',
    ...(c.ours.unfolded ? [`Batch norm folded into the convolutions at inference (default) vs not, timed in the same interleaved rounds (\`--compare-fold\`): ${c.ours.unfolded.map((u) => `n=${u.n} ${u.fold_speedup}x`).join(', ')}.`, ''] : []),
  ]),
  ...(profile ? [
    `## Where a training step goes (mimonet-16-4, n=4, one step)`, '',
    `Wall ${profile.wall_ms.toFixed(0)} ms; inside kernels ${(profile.wall_ms - profile.outside_kernels_ms).toFixed(0)} ms; outside kernels (tfjs bookkeeping, JS) ${profile.outside_kernels_ms.toFixed(0)} ms.`, '',
    '| kernel | ms | calls | share |', '|---|---|---|---|',
    ...profile.kernels.filter((k) => k.ms >= 1).slice(0, 20).map((k) => `| ${k.name} | ${k.ms.toFixed(1)} | ${k.calls} | ${((k.ms / profile.wall_ms) * 100).toFixed(1)}% |`), '',
  ] : []),
  `## MIMOFormer (L=${former.length}, batch ${former.batch}, d=${former.config.d}, H=${former.config.heads}, R=${former.config.features}; inference)`, '',
  '| scheme | M=N | sequences/s | MFLOP/seq | speedup | FLOP ratio | speedup / FLOP ratio |', '|---|---|---|---|---|---|---|',
  ...formerRows.map((r) => `| ${r.scheme} | ${r.grid} | ${r.sequences_per_s} | ${(r.flops_per_sequence / 1e6).toFixed(1)} | ${r.speedup}x | ${r.flop_ratio}x | ${r.efficiency} |`), '',
].join('\n');
mkdirSync(join(root, 'results'), { recursive: true });
const base = join(root, 'results', quick ? 'speed-quick' : 'speed');
for (const [ext, body] of [['json', JSON.stringify(json, null, 1) + '\n'], ['md', md]]) {
  writeFileSync(`${base}.${ext}.tmp`, body);
  renameSync(`${base}.${ext}.tmp`, `${base}.${ext}`);
}
process.stdout.write(md + '\n' + JSON.stringify({ written: [`${base}.md`, `${base}.json`].map((p) => p.slice(root.length + 1)), targets_met: targets.filter((t) => t.met).length, targets: targets.length }) + '\n');

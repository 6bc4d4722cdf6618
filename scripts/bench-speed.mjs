#!/usr/bin/env node
// `npm run bench:speed`: mimonets (`mimo bench conv`) and the PyTorch peer
// (bench/torch/mimoconv_bench.py) on the same models, batch and machine, one after the
// other; writes results/speed.md and results/speed.json with the ratios. Run it on an
// otherwise idle machine. Extra arguments go to both (e.g. --model mimonet-16-1 --initial-width 1).
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const extra = process.argv.slice(2);
const lastJson = (r, what) => {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
};
const ours = lastJson(spawnSync(process.execPath, [join(root, 'dist/src/cli/main.js'), 'bench', 'conv', '--json', ...extra], { encoding: 'utf8', cwd: root }), 'mimo bench conv');
const torch = lastJson(spawnSync('/usr/bin/python3', [join(root, 'bench/torch/mimoconv_bench.py'), '--json', ...extra], { encoding: 'utf8', cwd: root }), 'PyTorch peer');
const r2 = (x) => Math.round(x * 100) / 100;
const rows = ours.results.map((o) => {
  const t = torch.results.find((p) => p.n === o.n);
  return {
    n: o.n, flops_per_image: o.flops_per_image,
    mimonets_images_per_s: o.images_per_s, torch_images_per_s: t.images_per_s, inference_ratio: r2(o.images_per_s / t.images_per_s),
    mimonets_train_step_s: o.train_step_s, torch_train_step_s: t.train_step_s, train_step_ratio: r2(o.train_step_s / t.train_step_s),
    speedup_vs_n1: r2(o.images_per_s / ours.results[0].images_per_s), flop_ratio_vs_n1: r2(ours.results[0].flops_per_image / o.flops_per_image),
    speedup_vs_baseline: ours.baseline ? r2(o.images_per_s / ours.baseline.images_per_s) : null,
    flop_ratio_vs_baseline: ours.baseline ? r2(ours.baseline.flops_per_image / o.flops_per_image) : null,
  };
});
const json = { date: new Date().toISOString().slice(0, 10), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, model: ours.model, config: ours.config,
  mimonets: ours, torch, rows, command: `npm run bench:speed -- ${extra.join(' ')}`.trim() };
const md = [
  '# Speed: mimonets vs the PyTorch peer', '',
  `${json.cpu}, ${json.cores} cores, ${json.date}. Both on ${ours.threads} threads, batch ${ours.batch} superpositions of ${ours.image_size}x${ours.image_size} images, same run. Regenerate: \`${json.command}\`.`, '',
  `Model ${ours.model} (iw ${ours.config.initialWidth}, ${ours.config.binding}, N=${ours.config.capacity}); baseline ${ours.baseline?.model ?? 'none'}.`, '',
  '| n | MFLOP/img | mimonets img/s | PyTorch img/s | ratio | mimonets step s | PyTorch step s | step ratio | speedup vs n=1 (FLOP ratio) | vs baseline (FLOP ratio) |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.n} | ${(r.flops_per_image / 1e6).toFixed(1)} | ${r.mimonets_images_per_s} | ${r.torch_images_per_s} | ${r.inference_ratio}x | ${r.mimonets_train_step_s} | ${r.torch_train_step_s} | ${r.train_step_ratio} | ${r.speedup_vs_n1}x (${r.flop_ratio_vs_n1}x) | ${r.speedup_vs_baseline ?? '–'}x (${r.flop_ratio_vs_baseline ?? '–'}x) |`),
  '',
  ours.baseline ? `Baseline ${ours.baseline.model}: mimonets ${ours.baseline.images_per_s} img/s, step ${ours.baseline.train_step_s} s; PyTorch ${torch.baseline.images_per_s} img/s, step ${torch.baseline.train_step_s} s.` : '',
  '',
].join('\n');
mkdirSync(join(root, 'results'), { recursive: true });
for (const [ext, body] of [['json', JSON.stringify(json, null, 1) + '\n'], ['md', md]]) {
  const p = join(root, 'results', `speed.${ext}`);
  writeFileSync(p + '.tmp', body);
  renameSync(p + '.tmp', p);
}
process.stdout.write(md + '\n' + JSON.stringify({ written: ['results/speed.md', 'results/speed.json'], rows }) + '\n');

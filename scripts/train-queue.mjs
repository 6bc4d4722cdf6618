#!/usr/bin/env node
// The project's long training runs, one at a time (they share the machine's 2 cores; two
// OpenMP jobs at once slow each other badly). Every run is resumable: start the queue again
// after an interruption and it continues where it stopped, skipping finished runs.
//
//   node scripts/train-queue.mjs [--list] [--only NAME[,NAME]] [--time-limit MIN]   (e.g. under nohup)
//
// --only NAME[,NAME]: just those runs, in the order given (default: every run, in JOBS order).
//
// --time-limit MIN: each run starts an epoch (or evaluation interval) only if it should end,
// checkpoint written, within MIN minutes of the queue's start. After a run stops unfinished, the
// queue offers the time left to the later runs that have already checkpointed (their units may
// be shorter) and starts no new run. (A run that has never checkpointed always starts its first
// unit.)
//
// MIMOConv checkpoints are compacted in place whenever a run ends (float16 momentum, still
// resumable) so they stay small enough to commit.
import { existsSync, renameSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'dist', 'src', 'cli', 'main.js');
const { readCheckpointMeta } = await import(join(root, 'dist', 'src', 'train', 'checkpoint.js'));

const conv = ['train', 'conv', '--model', 'mimonet-16-4', '--initial-width', '2', '--binding', 'hrr', '--epochs', '15', '--mixup', '0'];
const former = (task, scheme, grid, extra = []) => ['train', 'former', '--task', task, '--scheme', scheme, '--grid', String(grid), ...extra];
// F-S of SPEC §5.2: ListOps-mini, d=64, hid=128, H=2, Dh=32, 2 layers, R=64 (the trainer's defaults).
const fs = ['--steps', '12000', '--batch', '32', '--lr', '1e-3', '--warmup', '600', '--eval-every', '1000', '--eval-batches', '32'];

// Full-length LRA tasks (SPEC §3.9; ListOps 2000 tokens, Image / Pathfinder 1024, Text 1000) on the
// F-S model, sized so the Performer trains in ~1.5 h on one core: ~0.5 s per step at L≈1000 and
// ~1.1 s at L=2000 (measured with --threads 1 on an idle machine; since the dropout kernel the
// Image steps take 0.27-0.39 s pinned to one core); att. M=N=4 keeps the first 15 % of its steps
// at M=N=2 (SPEC §5.2 E5).
const lra = (task, steps) => {
  const base = ['--steps', String(steps), '--batch', '32', '--lr', '1e-3', '--warmup', String(Math.round(steps * 0.05)), '--eval-every', '500', '--eval-batches', '32'];
  return [
    [`lra-${task}-performer`, `models/lra/${task}-performer.ckpt`, former(task, 'performer', 1, base)],
    [`lra-${task}-att2`, `models/lra/${task}-att2.ckpt`, former(task, 'att', 2, base)],
    [`lra-${task}-att4`, `models/lra/${task}-att4.ckpt`, former(task, 'att', 4, [...base, '--mimo-warmup', String(Math.round(steps * 0.15))])],
    [`lra-${task}-attmlp2`, `models/lra/${task}-attmlp2.ckpt`, former(task, 'attmlp', 2, base)],
  ];
};

/** name, checkpoint, mimo arguments (without --out / --resume). */
export const JOBS = [
  ['mimonet-16-4-N4', 'models/mimonet-16-4-N4.ckpt', [...conv, '--capacity', '4']],
  ['mimonet-16-4-N4-dyn', 'models/mimonet-16-4-N4-dyn.ckpt', [...conv, '--capacity', '4', '--sup-low', '1', '--sup-frequency', '0.8']],
  ['lra-listops-mini-performer', 'models/lra/listops-mini-performer.ckpt', former('listops-mini', 'performer', 1, fs)],
  ['lra-listops-mini-att2', 'models/lra/listops-mini-att2.ckpt', former('listops-mini', 'att', 2, fs)],
  ['lra-listops-mini-att4', 'models/lra/listops-mini-att4.ckpt', former('listops-mini', 'att', 4, [...fs, '--mimo-warmup', '1800'])],
  ['lra-listops-mini-attmlp2', 'models/lra/listops-mini-attmlp2.ckpt', former('listops-mini', 'attmlp', 2, fs)],
  ['wrn-16-4', 'models/wrn-16-4.ckpt', ['train', 'conv', '--model', 'wrn-16-4', '--initial-width', '1', '--binding', 'none', '--capacity', '1', '--epochs', '15', '--mixup', '0']],
  ['mimonet-16-4-N1', 'models/mimonet-16-4-N1.ckpt', [...conv, '--capacity', '1']],
  ['mimonet-16-4-N2', 'models/mimonet-16-4-N2.ckpt', [...conv, '--capacity', '2']],
  ...lra('image', 9000),
  ...lra('text', 9000),
  ...lra('pathfinder', 9000),
  ...lra('listops', 4000),
];

function done(path) {
  if (!existsSync(path)) return false;
  try {
    return readCheckpointMeta(path).state?.done === true;
  } catch {
    return false;
  }
}

const argv = process.argv.slice(2);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1].split(',') : null;
const limitMin = argv.includes('--time-limit') ? Number(argv[argv.indexOf('--time-limit') + 1]) : null;
if (limitMin !== null && !(limitMin > 0)) {
  console.error('--time-limit needs a positive number of minutes, e.g. --time-limit 150');
  process.exit(2);
}
const deadline = limitMin === null ? null : Date.now() + limitMin * 60_000;
const unknown = only?.filter((n) => !JOBS.some(([name]) => name === n)) ?? [];
if (unknown.length) {
  console.error(`unknown run(s) ${unknown.join(', ')}; see node scripts/train-queue.mjs --list`);
  process.exit(2);
}
const queue = only ? only.map((n) => JOBS.find(([name]) => name === n)) : JOBS;
// Once a run stops for --time-limit, later runs still get the time left if their units are
// shorter (a WRN epoch fits where a dynamic MIMONet epoch does not), but only runs that have a
// recorded unit: a run's first unit always starts (nothing to predict it from) and could
// overrun the limit.
let timeStopped = false;
for (const [name, out, args] of queue) {
  const state = done(join(root, out)) ? 'done' : existsSync(join(root, out)) ? 'started' : 'not started';
  if (argv.includes('--list')) {
    console.log(`${name.padEnd(28)} ${state.padEnd(12)} npx mimo ${args.join(' ')} --out ${out} --resume`);
    continue;
  }
  if (state === 'done') continue;
  if (timeStopped && state !== 'started') continue;
  const left = deadline === null ? null : (deadline - Date.now()) / 60_000;
  if (left !== null && left <= 1) break;
  console.log(`[${new Date().toISOString()}] ${name}: ${state === 'started' ? 'resuming' : 'starting'}`);
  const limit = left === null ? [] : ['--time-limit', left.toFixed(2)];
  const r = spawnSync(process.execPath, [main, ...args, '--out', out, '--resume', ...limit], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.log(`[${new Date().toISOString()}] ${name}: stopped (exit ${r.status ?? r.signal}); run the queue again to resume`);
    process.exit(1);
  }
  const finished = done(join(root, out));
  if (args[1] === 'conv') {
    const tmp = join(root, out + '.compact');
    const c = spawnSync(process.execPath, [main, 'checkpoint', 'compact', '--in', out, '--out', tmp], { cwd: root, stdio: 'inherit' });
    if (c.status === 0) renameSync(tmp, join(root, out));
  }
  if (!finished) {
    console.log(`[${new Date().toISOString()}] ${name}: stopped at a checkpoint for --time-limit; run the queue again to resume`);
    timeStopped = true;
    continue;
  }
  console.log(`[${new Date().toISOString()}] ${name}: done`);
}

#!/usr/bin/env node
// The project's long training runs, one at a time (they share the machine's 2 cores; two
// OpenMP jobs at once slow each other badly). Every run is resumable: start the queue again
// after an interruption and it continues where it stopped, skipping finished runs.
//
//   node scripts/train-queue.mjs [--list] [--only NAME[,NAME]] [--time-limit MIN]   (e.g. under nohup)
//
// --list: each run with its state, progress (epoch or step, training hours so far) and command.
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
const { JOBS, runMeta, isDone, finished, parseScriptArgs } = await import(join(root, 'scripts', 'runs.mjs'));

/** "epoch 11/15, 8.7 h" or "step 1000/4000, 0.3 h" from a checkpoint's meta (empty without one). */
function progress(m) {
  if (!m) return '';
  const hours = `${(m.state.trainSeconds / 3600).toFixed(1)} h`;
  return m.train?.epochs !== undefined
    ? `epoch ${m.state.epoch}/${m.train.epochs}, ${hours}` : `step ${m.state.step}/${m.train.steps}, ${hours}`;
}

const argv = process.argv.slice(2);
const USAGE = 'usage: node scripts/train-queue.mjs [--list] [--only NAME[,NAME]] [--time-limit MIN]';
const parsed = parseScriptArgs(argv, { values: ['--only', '--time-limit'], flags: ['--list'] });
if (parsed.help) {
  console.log(USAGE);
  process.exit(0);
}
if (parsed.error) {
  console.error(`${parsed.error}; ${USAGE}`);
  process.exit(2);
}
const only = parsed.options.only?.split(',') ?? null;
const limitMin = parsed.options['time-limit'] === undefined ? null : Number(parsed.options['time-limit']);
if (limitMin !== null && !(limitMin > 0)) {
  console.error('--time-limit needs a positive number of minutes, e.g. --time-limit 150');
  process.exit(2);
}
const listOnly = parsed.options.list === true;
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
  const meta = runMeta(out);
  const state = isDone(meta) ? 'done' : existsSync(join(root, out)) ? 'started' : 'not started';
  if (listOnly) {
    const where = progress(meta);
    console.log(`${name.padEnd(28)} ${state.padEnd(12)} ${where.padEnd(24)} npx mimo ${args.join(' ')} --out ${out} --resume`);
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
  const ended = finished(out);
  if (args[1] === 'conv') {
    const tmp = join(root, out + '.compact');
    const c = spawnSync(process.execPath, [main, 'checkpoint', 'compact', '--in', out, '--out', tmp], { cwd: root, stdio: 'inherit' });
    if (c.status === 0) renameSync(tmp, join(root, out));
  }
  if (!ended) {
    console.log(`[${new Date().toISOString()}] ${name}: stopped at a checkpoint for --time-limit; run the queue again to resume`);
    timeStopped = true;
    continue;
  }
  console.log(`[${new Date().toISOString()}] ${name}: done`);
}

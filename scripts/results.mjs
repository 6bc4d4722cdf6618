#!/usr/bin/env node
// `npm run results`: every results table of the repository, regenerated from the committed
// checkpoints in one run. Throughput (images/s, sequences/s) is measured, so run it on an
// otherwise idle machine: it refuses when the 1-minute load average is above 0.5 (--busy-ok
// overrides). Runs of scripts/runs.mjs whose checkpoint is not finished are left out and listed.
//
//   npm run results                          cifar10 (+ plot), lra, lra-listops-mini, serve
//   npm run results -- --only cifar10,lra    some of them
//
// What it runs (each a mimo command anyone can run alone):
//   cifar10           mimo results conv --checkpoints <finished MIMOConv runs> --out results/cifar10
//                     mimo plot operating-points --out docs/operating-points.svg --png docs/operating-points.png
//   lra               mimo results former --checkpoints <finished full-length LRA runs> --out results/lra
//   lra-listops-mini  mimo results former --checkpoints <finished ListOps-mini runs> --out results/lra-listops-mini
//   serve             mimo bench serve --checkpoint <the dynamic MIMONet if finished, else the static N=4 one>
// The last stdout line is one JSON object: what was written, what was left out and why.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'dist', 'src', 'cli', 'main.js');
const { JOBS, finished, parseScriptArgs } = await import(join(root, 'scripts', 'runs.mjs'));

const TABLES = ['cifar10', 'lra', 'lra-listops-mini', 'serve'];
const argv = process.argv.slice(2);
const USAGE = `usage: node scripts/results.mjs [--only ${TABLES.join(',')}] [--busy-ok]   (npm run results -- ...)`;
const parsed = parseScriptArgs(argv, { values: ['--only'], flags: ['--busy-ok'] });
if (parsed.help) {
  console.log(USAGE);
  process.exit(0);
}
if (parsed.error) fail(`${parsed.error}; ${USAGE}`);
const only = parsed.options.only?.split(',') ?? TABLES;
const bad = only.filter((t) => !TABLES.includes(t));
if (bad.length || only.length === 0) fail(`--only takes some of ${TABLES.join(',')}; got ${JSON.stringify(only.join(','))}`);
// `npm run results` runs the setup first, which alone lifts the 1-minute average above the bar
// on 2 cores: give it up to two minutes to settle before refusing.
const busyOk = parsed.options['busy-ok'] === true;
let load = loadavg()[0];
for (let waited = 0; load > 0.5 && !busyOk && waited < 120; waited += 5) {
  if (waited === 0) process.stderr.write(`results: waiting up to 2 min for the 1-minute load average (${load.toFixed(2)}) to fall below 0.5\n`);
  await new Promise((r) => setTimeout(r, 5000));
  load = loadavg()[0];
}
if (load > 0.5 && !busyOk) {
  fail(`the 1-minute load average is ${load.toFixed(2)}: throughput measured now would be wrong. Stop other work (training runs: pgrep -af 'main.js train') and retry, or pass --busy-ok`);
}

function fail(msg) {
  console.error(`results: ${msg}`);
  process.exit(2);
}

/** Finished and unfinished checkpoints of the runs matching `pick` (name, args). */
function runs(pick) {
  const r = { done: [], missing: [] };
  for (const [name, out, args] of JOBS) if (pick(name, args)) (finished(out) ? r.done.push(out) : r.missing.push(name));
  return r;
}

function mimo(args) {
  process.stderr.write(`results: npx mimo ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [main, ...args, '--json'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  if (r.status !== 0) fail(`mimo ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const summary = { load_average: Number(load.toFixed(2)), written: [], left_out: {} };
const task = (args) => args[1] === 'former' ? args[args.indexOf('--task') + 1] : null;
for (const t of only) {
  if (t === 'cifar10') {
    const r = runs((_, args) => args[1] === 'conv');
    summary.left_out.cifar10 = r.missing;
    if (!r.done.length) continue;
    mimo(['results', 'conv', '--checkpoints', r.done.join(','), '--out', 'results/cifar10']);
    mimo(['plot', 'operating-points', '--results', 'results/cifar10.json', '--out', 'docs/operating-points.svg', '--png', 'docs/operating-points.png']);
    summary.written.push('results/cifar10.md', 'results/cifar10.json', 'docs/operating-points.svg', 'docs/operating-points.png');
  } else if (t === 'lra' || t === 'lra-listops-mini') {
    const r = runs((_, args) => args[1] === 'former' && (t === 'lra') === (task(args) !== 'listops-mini'));
    summary.left_out[t] = r.missing;
    if (!r.done.length) continue;
    mimo(['results', 'former', '--checkpoints', r.done.join(','), '--out', `results/${t}`]);
    summary.written.push(`results/${t}.md`, `results/${t}.json`);
  } else if (t === 'serve') {
    const dyn = 'models/mimonet-16-4-N4-dyn.ckpt', stat = 'models/mimonet-16-4-N4.ckpt';
    const ckpt = finished(dyn) ? dyn : finished(stat) ? stat : null;
    summary.left_out.serve = ckpt === dyn ? [] : ['mimonet-16-4-N4-dyn'];
    if (!ckpt) continue;
    mimo(['bench', 'serve', '--checkpoint', ckpt, '--duration', '10', '--clients', '1,8,64', '--max-latency-ms', '100', '--out', 'results/serve']);
    summary.written.push('results/serve.md', 'results/serve.json');
  }
}
for (const [t, names] of Object.entries(summary.left_out)) if (names.length) process.stderr.write(`results: ${t}: not finished, left out: ${names.join(', ')}\n`);
console.log(JSON.stringify(summary));

#!/usr/bin/env node
// `npm run recipes`: the MIMOConv recipe benchmark. Every candidate recipe trains the same fast
// proxy — MIMONet-10-2 (initial width 2, HRR) at N=4 on full 32x32 CIFAR-10 for 2 epochs
// (~15 min on one AVX2 core) — from the same seed, and is scored on the last 5000 training images,
// held out (`--val-images 5000`): recipes are chosen without looking at the test set. Each
// candidate is a set of `mimo train conv` flags; the table gives its validation accuracy per
// operating point and seed, its difference to the current recipe, and its cost.
//
//   node scripts/recipes.mjs [--list] [--only NAME,..] [--seeds 1,2] [--jobs J] [--time-limit MIN] [--report]
//
// --list        the candidates, their state per seed and their commands
// --only        just these candidates (their prerequisites, e.g. the N=1 model a warm start
//               copies from, run first)
// --seeds       seeds to run (default 1)
// --jobs J      J runs at once, run k pinned to core k with MIMO_THREADS=1 (default 1)
// --time-limit  minutes: a run starts an epoch only if it should end in time (resumable: run the
//               same command again to continue)
// --report      no training: only write results/recipes.md and .json from the runs so far
//
// Runs live in .cache/recipes/NAME-sSEED.ckpt (git-ignored); their per-epoch logs are copied to
// results/recipes/ so the table can be checked without the checkpoints.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'dist', 'src', 'cli', 'main.js');
const { parseScriptArgs, runMeta } = await import(join(root, 'scripts', 'runs.mjs'));

/**
 * The proxy every candidate trains (its flags may override these). Candidates start from the
 * reference recipe, so a candidate's meaning does not change when the default recipe of
 * `mimo train conv` does.
 */
export const PROXY = ['--recipe', 'reference', '--model', 'mimonet-10-2', '--initial-width', '2', '--binding', 'hrr', '--capacity', '4', '--epochs', '2', '--val-images', '5000'];
/** The recipe of the committed 15-epoch models: the reference's, without mixup. */
const CURRENT = ['--mixup', '0'];
const RUNS = '.cache/recipes';

/**
 * The candidates. `needs`: a candidate trained first with the same seed; `{needs}` in the flags
 * becomes its checkpoint, and its training time counts in this candidate's cost.
 */
export const CANDIDATES = [
  { name: 'current', flags: CURRENT, about: 'the recipe of the committed models: the reference without mixup' },
  { name: 'reference', flags: [], about: 'the paper\'s recipe (mixup alpha 1)' },
  { name: 'fast', flags: ['--recipe', 'fast'], about: 'the default recipe of mimo train conv (src/train/conv_config.ts)' },
  { name: 'wrn', flags: [...CURRENT, '--model', 'wrn-10-2', '--initial-width', '1', '--binding', 'none', '--capacity', '1'], about: 'the WideResNet of the proxy (WRN-10-2), current recipe' },
  { name: 'n1', flags: [...CURRENT, '--capacity', '1'], about: 'MIMONet-10-2 N=1, current recipe (what warm starts and distillation start from)' },
  { name: 'init-n1', flags: [...CURRENT, '--init-from', '{needs}'], needs: 'n1', about: 'warm start from the N=1 proxy (stem, trunk, classifier; keys and unbinding fresh)' },
  { name: 'current-e4', flags: [...CURRENT, '--epochs', '4'], about: 'the current recipe for 4 epochs: the cost-matched control of a warm start (2 epochs of N=1, then 2 of N=4)' },
  { name: 'batch32', flags: [...CURRENT, '--batch', '32', '--lr', '0.1'], about: '32 superpositions a step (4x the updates at the same cost), peak 0.1' },
  { name: 'wd5e-4', flags: [...CURRENT, '--weight-decay', '5e-4'], about: 'weight decay 5e-4 (reference 1e-5)' },
  { name: 'ls0.1', flags: [...CURRENT, '--label-smoothing', '0.1'], about: 'label smoothing 0.1' },
  { name: 'nesterov', flags: [...CURRENT, '--nesterov'], about: 'Nesterov momentum' },
  { name: 'kd-n1', flags: [...CURRENT, '--teacher', '{needs}'], needs: 'n1', about: 'distillation from the N=1 proxy (alpha 0.5, T 4; the teacher runs on every training image)' },
  { name: 'iso0', flags: [...CURRENT, '--isometry-reg', '0'], about: 'no isometry regulariser (reference weight 1e-4)' },
  { name: 'lr0.4', flags: [...CURRENT, '--lr', '0.4'], about: 'one-cycle peak 0.4 (reference 0.2)' },
  { name: 'lr0.1', flags: [...CURRENT, '--lr', '0.1'], about: 'one-cycle peak 0.1' },
  { name: 'prelu0.25', flags: [...CURRENT, '--prelu-init', '0.25'], about: 'PReLU slopes start at 0.25 (reference 0.5): less linear at the start' },
  { name: 'wrn-trunk', flags: [...CURRENT, '--model', 'wrn-10-2'], about: 'the WRN\'s ReLU blocks as the trunk (no PReLU, no isometry regulariser), HRR binding at N=4: is the MIMONet block slower to learn?' },
  { name: 'ls-nesterov-b32', flags: [...CURRENT, '--label-smoothing', '0.1', '--nesterov', '--batch', '32', '--lr', '0.1'], about: 'label smoothing 0.1, Nesterov and 32 superpositions a step together' },
  { name: 'dyn', flags: [...CURRENT, '--sup-low', '1', '--sup-frequency', '0.8'], about: 'dynamic N=4: 20% of steps at n=1 (the committed dynamic model\'s recipe)' },
  { name: 'dyn-f0.5', flags: [...CURRENT, '--sup-low', '1', '--sup-frequency', '0.5'], about: 'dynamic N=4 with half the steps at n=1' },
  { name: 'init-n1-lr0.1', flags: [...CURRENT, '--init-from', '{needs}', '--lr', '0.1'], needs: 'n1', about: 'warm start from the N=1 proxy with one-cycle peak 0.1: less of the trained trunk undone' },
  { name: 'init-n1-kd', flags: [...CURRENT, '--init-from', '{needs}', '--teacher', '{needs}'], needs: 'n1', about: 'warm start from the N=1 proxy and distillation from it' },
  { name: 'init-n1-dyn', flags: [...CURRENT, '--init-from', '{needs}', '--sup-low', '1', '--sup-frequency', '0.8'], needs: 'n1', about: 'dynamic N=4 (20% of steps at n=1) warm-started from the N=1 proxy' },
  { name: 'init-n1-kd-dyn', flags: [...CURRENT, '--init-from', '{needs}', '--teacher', '{needs}', '--sup-low', '1', '--sup-frequency', '0.8'], needs: 'n1', about: 'dynamic N=4 warm-started from the N=1 proxy and distilled from it' },
];

const argv = process.argv.slice(2);
const USAGE = 'usage: node scripts/recipes.mjs [--list] [--only NAME,..] [--seeds 1,2] [--jobs J] [--time-limit MIN] [--report]   (npm run recipes -- ...)';

/** A candidate's run for a seed: checkpoint path and the full mimo arguments. */
export function runOf(c, seed) {
  const out = `${RUNS}/${c.name}-s${seed}.ckpt`;
  const needs = c.needs ? CANDIDATES.find((d) => d.name === c.needs) : null;
  const flags = c.flags.map((f) => (f === '{needs}' ? `${RUNS}/${needs.name}-s${seed}.ckpt` : f));
  return { out, needs: needs ? `${RUNS}/${needs.name}-s${seed}.ckpt` : null, args: ['train', 'conv', ...mergeFlags(PROXY, [...flags, '--seed', String(seed)])] };
}

/** Options of `base` overridden by those of `over` (each once, in first-seen order); a flag without a value stays one. */
export function mergeFlags(base, over) {
  const pairs = new Map();
  for (const list of [base, over]) {
    for (let i = 0; i < list.length; i++) {
      const v = list[i + 1] !== undefined && !list[i + 1].startsWith('--') ? list[++i] : null;
      pairs.set(list[i - (v === null ? 0 : 1)], v);
    }
  }
  return [...pairs].flatMap(([k, v]) => (v === null ? [k] : [k, v]));
}

async function cli() {
  const parsed = parseScriptArgs(argv, { values: ['--only', '--seeds', '--jobs', '--time-limit'], flags: ['--list', '--report'] });
  if (parsed.help) {
    console.log(USAGE);
    return;
  }
  if (parsed.error) fail(`${parsed.error}; ${USAGE}`);
  const o = parsed.options;
  const seeds = (o.seeds ?? '1').split(',').map(Number);
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) fail(`--seeds takes whole numbers, e.g. --seeds 1,2; got ${o.seeds}`);
  const jobs = o.jobs === undefined ? 1 : Number(o.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) fail(`--jobs takes a whole number >= 1, got ${o.jobs}`);
  const limitMin = o['time-limit'] === undefined ? null : Number(o['time-limit']);
  if (limitMin !== null && !(limitMin > 0)) fail('--time-limit needs a positive number of minutes, e.g. --time-limit 120');
  const only = o.only?.split(',') ?? CANDIDATES.map((c) => c.name);
  const unknown = only.filter((n) => !CANDIDATES.some((c) => c.name === n));
  if (unknown.length) fail(`unknown candidate(s) ${unknown.join(', ')}; see node scripts/recipes.mjs --list`);
  // Prerequisites first.
  const wanted = new Set();
  for (const n of only) {
    const c = CANDIDATES.find((d) => d.name === n);
    if (c.needs) wanted.add(c.needs);
    wanted.add(n);
  }
  const tasks = [];
  for (const seed of seeds) for (const c of CANDIDATES) if (wanted.has(c.name)) tasks.push({ c, seed, ...runOf(c, seed) });
  if (o.list) {
    for (const t of tasks) {
      const m = runMeta(t.out);
      const state = m?.state?.done ? 'done' : m ? `epoch ${m.state.epoch}/${m.train.epochs}` : 'not started';
      console.log(`${`${t.c.name} s${t.seed}`.padEnd(16)} ${state.padEnd(12)} npx mimo ${t.args.join(' ')} --out ${t.out} --resume`);
    }
    return;
  }
  if (!o.report) await train(tasks, jobs, limitMin);
  const summary = report();
  console.log(JSON.stringify(summary));
}

function fail(msg) {
  console.error(`recipes: ${msg}`);
  process.exit(2);
}

const machine = (() => {
  let info = null;
  return () => {
    if (info) return info;
    const r = spawnSync(process.execPath, [main, 'info', '--json'], { cwd: root, encoding: 'utf8' });
    const j = JSON.parse(r.stdout.trim().split('\n').at(-1));
    info = `${j.cpu} family ${j.cpu_family} model ${j.cpu_model} (${j.vector_isa})`;
    return info;
  };
})();

async function train(tasks, jobs, limitMin) {
  const deadline = limitMin === null ? null : Date.now() + limitMin * 60_000;
  mkdirSync(join(root, RUNS), { recursive: true });
  const pending = tasks.filter((t) => !runMeta(t.out)?.state?.done);
  const running = new Set();
  const failed = new Set();
  const free = Array.from({ length: jobs }, (_, k) => k);
  const hasTaskset = spawnSync('taskset', ['--version']).status === 0;
  await new Promise((resolveAll) => {
    const next = () => {
      while (free.length && pending.length) {
        const left = deadline === null ? null : (deadline - Date.now()) / 60_000;
        if (left !== null && left <= 1) break;
        // A task whose prerequisite is neither done nor failed waits.
        const i = pending.findIndex((t) => !t.needs || runMeta(t.needs)?.state?.done || failed.has(t.needs));
        if (i < 0) break;
        const t = pending.splice(i, 1)[0];
        if (t.needs && failed.has(t.needs)) { failed.add(t.out); continue; }
        const core = free.shift();
        const args = [main, ...t.args, '--out', t.out, '--resume', ...(left === null ? [] : ['--time-limit', left.toFixed(2)])];
        const cmd = jobs > 1 && hasTaskset ? ['taskset', ['-c', String(core), process.execPath, ...args]] : [process.execPath, args];
        const env = { ...process.env, ...(jobs > 1 ? { MIMO_THREADS: '1' } : {}) };
        console.error(`[${new Date().toISOString()}] ${t.c.name} s${t.seed}: ${runMeta(t.out) ? 'resuming' : 'starting'}${jobs > 1 ? ` on core ${core}` : ''}`);
        writeFileSync(join(root, `${t.out}.run.json`), JSON.stringify({ machine: machine(), command: `npx mimo ${t.args.join(' ')} --out ${t.out} --resume` }) + '\n');
        const p = spawn(cmd[0], cmd[1], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
        running.add(p);
        p.on('exit', (code) => {
          running.delete(p);
          free.push(core);
          const done = runMeta(t.out)?.state?.done;
          if (code !== 0) failed.add(t.out);
          console.error(`[${new Date().toISOString()}] ${t.c.name} s${t.seed}: ${done ? 'done' : code === 0 ? 'stopped for --time-limit (run again to resume)' : `failed (exit ${code})`}`);
          next();
        });
      }
      if (running.size === 0) resolveAll();
    };
    next();
  });
}

const pct = (v) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(2)}`);
const meanOf = (xs) => xs.reduce((a, v) => a + v, 0) / xs.length;

/** results/recipes.json and .md from the finished runs. */
function report() {
  mkdirSync(join(root, 'results', 'recipes'), { recursive: true });
  const rows = [];
  for (const c of CANDIDATES) {
    const seeds = [];
    for (let seed = 0; seed < 100; seed++) {
      const r = runOf(c, seed);
      const m = runMeta(r.out);
      if (!m?.state?.done) continue;
      const side = existsSync(join(root, `${r.out}.run.json`)) ? JSON.parse(readFileSync(join(root, `${r.out}.run.json`), 'utf8')) : {};
      const pre = r.needs ? runMeta(r.needs) : null;
      const log = `results/recipes/${c.name}-s${seed}.jsonl`;
      if (existsSync(join(root, `${r.out}.jsonl`))) copyFileSync(join(root, `${r.out}.jsonl`), join(root, log));
      seeds.push({
        seed, val: Object.fromEntries((m.operatingPoints ?? []).map((p) => [p.n, p.accuracy])),
        capacity: m.model.capacity, trained_n: [...new Set([m.model.capacity, m.train.supLow ?? m.model.capacity])],
        train_seconds: Math.round(m.state.trainSeconds), prerequisite_seconds: pre ? Math.round(pre.state.trainSeconds) : 0,
        machine: side.machine ?? null, command: side.command ?? `npx mimo ${r.args.join(' ')} --out ${r.out}`, log,
      });
    }
    rows.push({ name: c.name, about: c.about, flags: c.flags, needs: c.needs ?? null, runs: seeds });
  }
  const base = rows.find((r) => r.name === 'current');
  const baseBySeed = new Map(base.runs.map((s) => [s.seed, s]));
  for (const r of rows) {
    if (!r.runs.length) continue;
    const N = r.runs[0].capacity;
    r.val_n = N;
    r.val_mean = meanOf(r.runs.map((s) => s.val[N]));
    r.val_spread = Math.max(...r.runs.map((s) => s.val[N])) - Math.min(...r.runs.map((s) => s.val[N]));
    // Same-seed differences to the current recipe (paired), at n = N of the current proxy.
    const diffs = r.runs.filter((s) => baseBySeed.has(s.seed) && s.capacity === base.runs[0].capacity).map((s) => s.val[N] - baseBySeed.get(s.seed).val[N]);
    r.delta_vs_current = diffs.length ? { mean: meanOf(diffs), min: Math.min(...diffs), max: Math.max(...diffs), seeds: diffs.length } : null;
    r.cost_minutes = meanOf(r.runs.map((s) => (s.train_seconds + s.prerequisite_seconds) / 60));
  }
  const out = { proxy: `npx mimo ${['train', 'conv', ...PROXY].join(' ')}`, split: 'validation: the last 5000 CIFAR-10 training images (never trained on)', candidates: rows };
  const tmp = join(root, 'results', 'recipes.json.tmp');
  writeFileSync(tmp, JSON.stringify(out, null, 2) + '\n');
  renameSync(tmp, join(root, 'results', 'recipes.json'));
  const lines = [
    '# MIMOConv recipe benchmark',
    '',
    'Generated by `npm run recipes -- --report` from the runs of `node scripts/recipes.mjs`. Proxy: MIMONet-10-2',
    '(initial width 2, HRR) at N=4, 2 epochs of full 32x32 CIFAR-10 (each epoch N passes), one core, one',
    `thread: \`${out.proxy}\` plus each candidate's flags. Accuracy is on the **validation** set (the last 5000`,
    'training images, never trained on); the test set is not looked at. Δ: the same seed\'s difference to the',
    'current recipe, mean (min..max over seeds). Cost: training minutes, including a prerequisite run (the model a',
    'warm start copies from or a teacher is). Costs are wall times with one run pinned per core and other work on',
    'the machine now and then: compare them within a few percent only. With one seed a difference of a point or two',
    'is within the seed-to-seed noise of so short a run; such candidates get more seeds (`--seeds 1,2,3`).',
    '',
    '| candidate | flags | seeds | val acc % at n=N | Δ vs current (pp) | other n (val %) | cost (min) | machine |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    if (!r.runs.length) continue;
    const other = r.runs.length ? Object.entries(r.runs[0].val).filter(([n]) => Number(n) !== r.val_n && r.runs[0].trained_n.includes(Number(n)))
      .map(([n]) => `n=${n}: ${pct(meanOf(r.runs.map((s) => s.val[n])))}`).join(', ') : '';
    const d = r.delta_vs_current;
    lines.push(`| ${r.name} (N=${r.val_n}) | \`${r.flags.map((f) => (f === '{needs}' ? `<${r.needs} run>` : f)).join(' ') || '--recipe reference'}\` | ${r.runs.map((s) => s.seed).join(', ')} | ${pct(r.val_mean)}${r.runs.length > 1 ? ` (${r.runs.map((s) => pct(s.val[r.val_n])).join(' / ')})` : ''} | ${d && r.name !== 'current' ? `${(d.mean * 100).toFixed(2)}${d.seeds > 1 ? ` (${(d.min * 100).toFixed(2)}..${(d.max * 100).toFixed(2)})` : ''}` : '–'} | ${other || '–'} | ${r.cost_minutes.toFixed(1)} | ${[...new Set(r.runs.map((s) => s.machine ?? '?'))].join('; ')} |`);
  }
  lines.push('', '## Candidates', '');
  for (const r of rows) lines.push(`- **${r.name}**: ${r.about}${r.runs.length ? '' : ' (not run yet)'}`);
  writeFileSync(join(root, 'results', 'recipes.md.tmp'), lines.join('\n') + '\n');
  renameSync(join(root, 'results', 'recipes.md.tmp'), join(root, 'results', 'recipes.md'));
  return { written: ['results/recipes.json', 'results/recipes.md'], candidates: rows.filter((r) => r.runs.length).map((r) => ({ name: r.name, val: r.val_mean, delta: r.delta_vs_current?.mean ?? null })) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await cli();

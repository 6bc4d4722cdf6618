// The repository's run scripts refuse what they do not understand before doing any work: a typo
// must not start hours of training or overwrite results tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = (name: string) => fileURLToPath(new URL(`../../scripts/${name}`, import.meta.url));
const run = (name: string, ...args: string[]) => spawnSync(process.execPath, [script(name), ...args], { encoding: 'utf8', timeout: 60000 });

test('train-queue: --help, unknown options and missing values exit before any run starts', async () => {
  const { JOBS } = await import(script('runs.mjs'));
  const help = run('train-queue.mjs', '--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /usage: node scripts\/train-queue\.mjs/);
  for (const args of [['--bogus'], ['--lsit'], ['--only'], ['--time-limit', '--list'], ['--list', '--only', 'no-such-run'], ['--time-limit', '0']]) {
    const r = run('train-queue.mjs', ...args);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}, ${r.stdout}`);
    assert.equal(r.stdout, '', `${args.join(' ')}: nothing started`);
    assert.match(r.stderr, /unknown|needs|positive/, args.join(' '));
  }
  const list = run('train-queue.mjs', '--list');
  assert.equal(list.status, 0, list.stderr);
  const lines = list.stdout.trim().split('\n');
  assert.equal(lines.length, JOBS.length, 'one line per run');
  for (const [i, [name, out]] of (JOBS as [string, string][]).entries()) {
    assert.ok(lines[i].startsWith(name + ' '), lines[i]);
    assert.match(lines[i], / (done|started|not started) /);
    assert.ok(lines[i].endsWith(`--out ${out} --resume`), lines[i]);
  }
});

test('results: unknown options and tables are refused by name', () => {
  const r = run('results.mjs', '--bogus');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown option --bogus/);
  const t = run('results.mjs', '--only', 'cifar100');
  assert.equal(t.status, 2);
  assert.match(t.stderr, /--only takes some of cifar10,lra,lra-listops-mini,serve/);
});

test('results: --help, and --only without a value is named', () => {
  const help = run('results.mjs', '--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: node scripts\/results\.mjs \[--only cifar10,lra,lra-listops-mini,serve\] \[--busy-ok\]/);
  const r = run('results.mjs', '--only');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^results: --only needs a value/);
});

test('parseScriptArgs: values, flags, unknown options and missing values', async () => {
  const { parseScriptArgs } = await import(script('runs.mjs'));
  const spec = { values: ['--only', '--time-limit'], flags: ['--list'] };
  assert.deepEqual(parseScriptArgs([], spec), { options: {} });
  assert.deepEqual(parseScriptArgs(['--bogus', '-h'], spec), { help: true });
  assert.deepEqual(parseScriptArgs(['--list', '--only', 'a,b', '--time-limit', '30'], spec),
    { options: { list: true, only: 'a,b', 'time-limit': '30' } });
  assert.deepEqual(parseScriptArgs(['--only'], spec), { error: '--only needs a value' });
  assert.deepEqual(parseScriptArgs(['--only', '--list'], spec), { error: '--only needs a value' });
  assert.deepEqual(parseScriptArgs(['--list', 'extra'], spec), { error: 'unknown option extra' });
  assert.deepEqual(parseScriptArgs(['--lsit'], spec), { error: 'unknown option --lsit' });
});

test('recipes: --help, refusals before any run, --list names every run with its merged command', async () => {
  const { CANDIDATES, mergeFlags } = await import(script('recipes.mjs'));
  const help = run('recipes.mjs', '--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: node scripts\/recipes\.mjs/);
  for (const args of [['--bogus'], ['--only', 'no-such'], ['--seeds', 'x'], ['--jobs', '0'], ['--time-limit', '-1'], ['--only']]) {
    const r = run('recipes.mjs', ...args);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}`);
    assert.equal(r.stdout, '', `${args.join(' ')}: nothing started`);
    assert.match(r.stderr, /^recipes: (unknown|--seeds|--jobs|--time-limit|--only)/, args.join(' '));
  }
  const list = run('recipes.mjs', '--list', '--seeds', '1,2');
  assert.equal(list.status, 0, list.stderr);
  const lines = list.stdout.trim().split('\n');
  assert.equal(lines.length, 2 * CANDIDATES.length, 'one line per candidate and seed');
  // Candidate flags override the proxy's, each option once; a warm start names its prerequisite's checkpoint.
  const wrn = lines.find((l: string) => l.startsWith('wrn s2'))!;
  assert.match(wrn, /--model wrn-10-2 --initial-width 1 --binding none --capacity 1 --epochs 2 --val-images 5000 --mixup 0 --seed 2 --out \.cache\/recipes\/wrn-s2\.ckpt --resume$/);
  assert.equal(wrn.match(/--model/g)!.length, 1);
  assert.match(lines.find((l: string) => l.startsWith('init-n1 s1'))!, /--init-from \.cache\/recipes\/n1-s1\.ckpt/);
  assert.deepEqual(mergeFlags(['--a', '1', '--flag', '--b', '2'], ['--b', '3', '--c', '--d', '4']), ['--a', '1', '--flag', '--b', '3', '--c', '--d', '4']);
});

test('layout-check: long files and import circles are named; a clean tree passes', async () => {
  const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { checkLayout } = await import(script('layout-check.mjs'));
  const root = mkdtempSync(join(tmpdir(), 'mimo-layout-'));
  mkdirSync(join(root, 'src', 'sub'), { recursive: true });
  mkdirSync(join(root, 'native'));
  writeFileSync(join(root, 'src', 'a.ts'), "import { b } from './sub/b.js';\nexport const a = 1;\n");
  writeFileSync(join(root, 'src', 'sub', 'b.ts'), "import type { c } from '../c.js';\nexport const b = 2;\n");
  writeFileSync(join(root, 'src', 'c.ts'), "export { a } from './a.js';\nexport const c = 3;\n");
  writeFileSync(join(root, 'src', 'ok.ts'), 'x\n'.repeat(400));
  writeFileSync(join(root, 'src', 'long.ts'), 'x\n'.repeat(401));
  writeFileSync(join(root, 'native', 'k.cc'), 'x\n'.repeat(601));
  assert.deepEqual(checkLayout(root), [
    { kind: 'too-long', file: 'src/long.ts', lines: 401, limit: 400 },
    { kind: 'too-long', file: 'native/k.cc', lines: 601, limit: 600 },
    { kind: 'import-circle', files: ['src/a.ts', 'src/sub/b.ts', 'src/c.ts', 'src/a.ts'] },
  ]);
  const r = run('layout-check.mjs', '--root', root);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /src\/long\.ts has 401 lines, over the limit of 400/);
  assert.match(r.stderr, /import circle src\/a\.ts -> src\/sub\/b\.ts -> src\/c\.ts -> src\/a\.ts/);
  rmSync(join(root, 'src', 'long.ts'));
  rmSync(join(root, 'native', 'k.cc'));
  writeFileSync(join(root, 'src', 'c.ts'), 'export const c = 3;\n');
  const ok = run('layout-check.mjs', '--root', root, '--json');
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout.trim()), { ok: true, problems: [] });
  rmSync(root, { recursive: true });
});

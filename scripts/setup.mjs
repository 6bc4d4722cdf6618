#!/usr/bin/env node
// Idempotent project setup, used by `npm run demo` and `npm test` (pretest):
// Debian packages, npm ci, the native addon, the TypeScript build and the datasets.
// Each step checks whether it is needed first, so a second run takes about a second.
// Only Node built-ins here: this runs before node_modules exists.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonStale, buildAddon, DNNL_HEADER } from './native-build.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const known = ['--skip-data', '--skip-apt', '--torch', '--help'];
for (const a of argv) {
  if (!known.includes(a)) {
    console.error(`setup: unknown option ${a} (known: ${known.join(', ')})`);
    process.exit(2);
  }
}
if (argv.includes('--help')) {
  console.log('usage: node scripts/setup.mjs [--skip-apt] [--skip-data] [--torch]\nInstalls Debian packages (as root), runs npm ci, builds the native addon and the TypeScript, unpacks the datasets.\n--torch also installs Debian\'s python3-torch (the PyTorch peer of npm run bench:speed).');
  process.exit(0);
}

const log = (msg) => process.stderr.write(`setup: ${msg}\n`);
// One line per step on the terminal; the tools' own output (apt-get, npm, tsc, the data
// unpacker) goes to this file, and its tail is shown when a step fails.
const LOG = join(root, '.cache', 'setup.log');
let logged = false;
function run(cmd, args, opts = {}) {
  logged = true;
  mkdirSync(dirname(LOG), { recursive: true });
  const fd = openSync(LOG, 'a');
  let r;
  try {
    writeFileSync(fd, `\n$ ${cmd} ${args.join(' ')}   (${new Date().toISOString()})\n`);
    r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', fd, fd], ...opts });
  } finally {
    closeSync(fd);
  }
  if (r.status !== 0) {
    const tail = readFileSync(LOG, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.error?.message}); the end of ${LOG}:\n${tail}`);
  }
}

// 1. Debian packages. libdnnl-dev gives the fast backend; without it everything still works on cpu.
// chromium runs the browser test of the `mimo serve` demo page; DejaVu fonts label PNG plots.
const APT = [
  { pkg: 'libdnnl-dev', present: () => existsSync(DNNL_HEADER) },
  { pkg: 'chromium', present: () => existsSync('/usr/bin/chromium') },
  { pkg: 'fonts-dejavu-core', present: () => existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf') },
  // PyTorch only as the benchmark peer (npm run bench:speed); never needed at run time.
  ...(argv.includes('--torch') ? [{ pkg: 'python3-torch', present: () => existsSync('/usr/lib/python3/dist-packages/torch') }] : []),
];
const missing = APT.filter((p) => !p.present()).map((p) => p.pkg);
if (missing.length > 0 && !argv.includes('--skip-apt')) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) {
    log(`installing Debian packages: ${missing.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    try {
      run('apt-get', ['update', '-qq'], { env });
      run('apt-get', ['install', '-y', '-qq', ...missing], { env });
    } catch (e) {
      log(`${e.message}; continuing without (no libdnnl-dev: the slow cpu backend; no chromium: the browser test fails)`);
    }
  } else {
    log(`missing Debian packages: ${missing.join(' ')}. Run: sudo apt-get install -y ${missing.join(' ')}` +
      ' (continuing; without libdnnl-dev the library uses the slow pure-JS cpu backend, without chromium the browser test fails)');
  }
}

// 2. npm ci when node_modules is missing or older than the lockfile.
const lock = join(root, 'package-lock.json');
const stamp = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(stamp) || statSync(lock).mtimeMs > statSync(stamp).mtimeMs) {
  log('npm ci');
  // --ignore-scripts: the addon is built in step 3 with a clear message on failure.
  run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund']);
}

// 3. The native addon, when oneDNN is present and the build is stale.
if (existsSync(DNNL_HEADER) && addonStale(root)) {
  log('building the native oneDNN addon (node-gyp)');
  const why = buildAddon(root, { quiet: true });
  if (why) log(`native addon build failed: ${why}\nsetup: continuing on the slow cpu backend`);
}

// 4. TypeScript, when any source is newer than the build.
function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
const built = join(root, 'dist', '.built');
const srcTime = Math.max(newest(join(root, 'src')), newest(join(root, 'test')), statSync(join(root, 'tsconfig.json')).mtimeMs);
if (!existsSync(built) || statSync(built).mtimeMs < srcTime) {
  log('compiling TypeScript');
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
  writeFileSync(built, new Date().toISOString());
}

// 5. Datasets: unpack the bundled copies (../shared/data) into the data directory.
if (!argv.includes('--skip-data')) {
  const dataDir = process.env.MIMO_DATA_DIR || join(root, '.cache', 'data');
  const prepare = join(root, '..', 'shared', 'data', 'prepare.mjs');
  const have = ['cifar-10-batches-bin/test_batch.bin', 'mnist/t10k-labels-idx1-ubyte', 'aclImdb/test/pos']
    .every((f) => existsSync(join(dataDir, f)));
  if (!have) {
    if (existsSync(prepare)) {
      log(`unpacking datasets into ${dataDir}`);
      run(process.execPath, [prepare, dataDir]);
    } else {
      log(`datasets not found in ${dataDir} and no bundled copy at ${prepare}: put the official files there ` +
        '(cifar-10-batches-bin/, mnist/, aclImdb/) or set MIMO_DATA_DIR; data tests will be skipped');
    }
  }
}
log(`ready${logged ? ` (the tools' output: ${LOG})` : ''}`);

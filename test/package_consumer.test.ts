// The package as a user gets it: `npm pack`, install the tarball into an empty project (from
// npm's cache: setup's `npm ci` filled it), compile a strict TypeScript file and the README's
// library example against the installed types with no deep imports, and run both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDirs } from './helpers/tmp.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tmp = tempDirs('mimo-consumer-');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const CONSUMER = `
import * as tf from '@tensorflow/tfjs';
import {
  initBackend, MimoConvNet, operatingPoints, hrrBind, hrrUnbind, unitaryHrrKeys, cosineSimilarity,
  resolveTrainConfig, DEFAULT_CONV_RECIPE, trainConv, loadConvCheckpoint, readCheckpointMeta, loadImageDataset,
  type MimoConvConfig, type TrainConvConfig, type ImageDataset,
} from 'mimonets';
import { startServer, SERVE_DEFAULTS, type ServeOptions } from 'mimonets/serve';

const info = await initBackend({ backend: 'cpu' });
const config: Partial<MimoConvConfig> = { depth: 10, width: 1, initialWidth: 1, capacity: 4 };
const net = new MimoConvNet(config, 1);
const x = tf.randomNormal([8, 16, 16, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
const shape = net.forward(x, 4, { training: true }).logits.shape;
// HRR: unbinding a bound vector with its unitary key gives the vector back.
const keys = unitaryHrrKeys(1, 64, 3);
const v = tf.randomNormal([1, 64], 0, 1, 'float32', 4) as tf.Tensor2D;
const similarity = cosineSimilarity(hrrUnbind(hrrBind(v, keys), keys), v).dataSync()[0];
const train: TrainConvConfig = resolveTrainConfig({}, 4);
const opts: ServeOptions = { checkpoint: 'x.ckpt' };
const loaders = [trainConv, loadConvCheckpoint, readCheckpointMeta, loadImageDataset, startServer].map((f) => typeof f);
const ds: ImageDataset | null = null;
console.log(JSON.stringify({ backend: info.backend, shape, points: operatingPoints(net.config), similarity, recipe: train.recipe, default: DEFAULT_CONV_RECIPE,
  port: SERVE_DEFAULTS.port, checkpoint: opts.checkpoint, loaders, ds }));
`;

test('npm pack, install into a fresh project, compile strictly against the types, run', { timeout: 600_000 }, () => {
  const dir = tmp();
  const packed = JSON.parse(run(npm, ['pack', '--json', '--pack-destination', dir], root))[0];
  const files: string[] = packed.files.map((f: { path: string }) => f.path);
  assert.ok(files.includes('dist/src/index.d.ts') && files.includes('dist/src/serve/index.js'), 'the typings and the serve subpath are packed');
  assert.ok(!files.some((f) => f.startsWith('dist/test/') || f.startsWith('models/') || f.startsWith('.cache/')), 'no tests, models or data in the package');
  const project = join(dir, 'consumer');
  run('mkdir', ['-p', project], dir);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const typesNode = JSON.parse(readFileSync(join(root, 'node_modules', '@types', 'node', 'package.json'), 'utf8')).version;
  run(npm, ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', join(dir, packed.filename), `@types/node@${typesNode}`], project);
  writeFileSync(join(project, 'consumer.ts'), CONSUMER);
  // The README's library example, as written.
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /## Library\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README: a ```ts block in the Library section');
  writeFileSync(join(project, 'readme.ts'), block[1]);
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', outDir: 'out', types: ['node'],
      // tfjs's own declarations do not pass a strict lib check (e.g. 'Long' in tfjs-core); the
      // consumer's code is still checked strictly against ours.
      skipLibCheck: true },
    files: ['consumer.ts', 'readme.ts'],
  }));
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project);
  const out = JSON.parse(run(process.execPath, ['out/consumer.js'], project).trim().split('\n').at(-1)!);
  const printed = run(process.execPath, ['out/readme.js'], project).trim().split('\n');
  // Trained briefly in superposition, then classifying at both operating points (chance: 25%).
  assert.equal(printed.length, 2, printed.join('\n'));
  printed.forEach((line, i) => {
    const m = /^n=(\d): test accuracy (\d+\.\d)%$/.exec(line);
    assert.ok(m && Number(m[1]) === i + 1 && Number(m[2]) > 55, `README example printed '${line}'`);
  });
  assert.equal(out.backend, 'cpu');
  assert.deepEqual(out.shape, [8, 10]);
  assert.deepEqual(out.points, [1, 2, 4]);
  assert.ok(out.similarity > 0.99, `HRR round trip similarity ${out.similarity}`);
  assert.equal(out.recipe, out.default);
  assert.equal(out.port, 8080);
  assert.deepEqual(out.loaders, ['function', 'function', 'function', 'function', 'function']);
});

// The @example blocks of the TSDoc in src/ that import from 'mimonets' are whole programs: each
// is transpiled (TypeScript → JavaScript), written inside the package (so 'mimonets' resolves to
// this package by self-reference, as it does for a user), and run. Every entry point of the
// public API has one; the others may be fragments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { packageRoot } from '../src/util/package_root.js';

const ROOT = packageRoot()!;
const OUT = join(ROOT, '.cache', 'examples');

/** The entry points that must have a runnable example. */
const ENTRY_POINTS = ['initBackend', 'MimoConvNet', 'superpose', 'MimoFormer', 'trainConv', 'evaluateConv', 'saveConvCheckpoint', 'loadConvCheckpoint',
  'startServer', 'hrrBind', 'bindBundle', 'unbindSlots', 'convFromTorch', 'convToTorch', 'exportMimoConvOnnx'];

interface Example { file: string; line: number; code: string }

function examples(): Example[] {
  const out: Example[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) {
        const lines = readFileSync(p, 'utf8').split('\n');
        lines.forEach((l, i) => {
          if (!/^\s*\*\s*@example\s*$/.test(l)) return;
          const body: string[] = [];
          for (let j = i + 1; j < lines.length && !/\*\//.test(lines[j]) && !/^\s*\*\s*@\w/.test(lines[j]); j++) body.push(lines[j].replace(/^\s*\* ?/, ''));
          out.push({ file: relative(ROOT, p), line: i + 1, code: body.join('\n') });
        });
      }
    }
  };
  walk(join(ROOT, 'src'));
  return out;
}

const all = examples();
const runnable = all.filter((e) => /from 'mimonets(\/\w+)?'/.test(e.code));

test('every entry point has a runnable example that imports it', () => {
  for (const name of ENTRY_POINTS) {
    assert.ok(runnable.some((e) => new RegExp(`import \\{[^}]*\\b${name}\\b[^}]*\\} from 'mimonets`).test(e.code)), `no runnable @example imports ${name}`);
  }
});

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
for (const [i, e] of runnable.entries()) {
  test(`@example at ${e.file}:${e.line} runs`, () => {
    const js = ts.transpileModule(e.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const file = join(OUT, `example${i}.mjs`);
    writeFileSync(file, js);
    const r = spawnSync(process.execPath, [file], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
    assert.equal(r.status, 0, `${e.file}:${e.line} failed:\n${r.stderr}\n--- code ---\n${e.code}`);
  });
}

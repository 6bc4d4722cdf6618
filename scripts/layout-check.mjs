#!/usr/bin/env node
// The layout rules of the source tree: no TypeScript file under src/ over 400 lines, no file under
// native/ over 600, and no import circle among the files of src/ (relative imports, `import type`
// included: a circle of types is still a circle a reader has to untangle).
//
//   node scripts/layout-check.mjs [--root DIR] [--json]
//
// Exit 0 when the tree keeps the rules, 1 with every violation listed (file, lines, limit; or the
// files of each circle in import order), 2 on a usage error.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LIMITS = [
  { dir: 'src', ext: ['.ts'], max: 400 },
  { dir: 'native', ext: ['.cc', '.h', '.hpp', '.cpp'], max: 600 },
];

function walk(dir, exts) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p, exts));
    else if (exts.some((x) => e.name.endsWith(x)) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

const lineCount = (text) => (text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0));

/** Relative imports of a TypeScript file, resolved to .ts files of the tree. */
function importsOf(file, text) {
  const out = [];
  const re = /^\s*(?:import|export)\s[^;]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2];
    const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
    if (existsSync(target) && statSync(target).isFile()) out.push(target);
  }
  return out;
}

/** Every elementary import circle, each reported once (starting at its smallest file). */
function circles(graph) {
  const found = new Map();
  const nodes = [...graph.keys()].sort();
  for (const start of nodes) {
    // Depth-first from `start`, only through files that sort after it: each circle is found from its smallest file.
    const stack = [[start, [start]]];
    while (stack.length) {
      const [node, path] = stack.pop();
      for (const next of graph.get(node) ?? []) {
        if (next === start) {
          const key = path.join('>');
          if (!found.has(key)) found.set(key, [...path, start]);
        } else if (next > start && !path.includes(next) && path.length < 12) {
          stack.push([next, [...path, next]]);
        }
      }
    }
  }
  return [...found.values()];
}

export function checkLayout(root) {
  const problems = [];
  for (const { dir, ext, max } of LIMITS) {
    for (const f of walk(join(root, dir), ext)) {
      const n = lineCount(readFileSync(f, 'utf8'));
      if (n > max) problems.push({ kind: 'too-long', file: relative(root, f), lines: n, limit: max });
    }
  }
  const graph = new Map();
  for (const f of walk(join(root, 'src'), ['.ts'])) graph.set(f, importsOf(f, readFileSync(f, 'utf8')));
  for (const c of circles(graph)) problems.push({ kind: 'import-circle', files: c.map((f) => relative(root, f)) });
  return problems;
}

function main() {
  const argv = process.argv.slice(2);
  let root = join(dirname(fileURLToPath(import.meta.url)), '..'), json = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root' && argv[i + 1] !== undefined) root = resolve(argv[++i]);
    else if (argv[i] === '--json') json = true;
    else if (argv[i] === '--help' || argv[i] === '-h') { console.log('usage: node scripts/layout-check.mjs [--root DIR] [--json]'); return 0; }
    else { console.error(`layout-check: unknown option ${argv[i]}; usage: node scripts/layout-check.mjs [--root DIR] [--json]`); return 2; }
  }
  const problems = checkLayout(root);
  for (const p of problems) {
    if (p.kind === 'too-long') console.error(`layout-check: ${p.file} has ${p.lines} lines, over the limit of ${p.limit}: split it by concept`);
    else console.error(`layout-check: import circle ${p.files.join(' -> ')}: move what both need into a module of its own`);
  }
  if (json) console.log(JSON.stringify({ ok: problems.length === 0, problems }));
  else if (problems.length === 0) console.log('layout-check: ok');
  return problems.length === 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) process.exit(main());
